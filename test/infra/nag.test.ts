import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { type Acknowledgment as CdkAcknowledgment, App, Stack, Validations } from 'aws-cdk-lib';
import { buildFinanceHub } from '../../infra/financehub.js';
import { collectAcknowledgments, renderAcknowledgmentsMarkdown } from '../../infra/nag/report.js';
import { synthesizeApp } from './support/synth.js';

interface Report {
  pluginReports: { pluginName: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/** Synthesizes the app with every acknowledgment recorded but not applied, and returns what the packs report. */
function findingsWithoutAcknowledgments(): { findings: { rule: string; path: string }[]; acknowledged: { rule: string; path: string }[] } {
  const acknowledged: { rule: string; path: string }[] = [];
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules: CdkAcknowledgment[]) {
    const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
    for (const rule of rules.filter((r) => /^(AwsSolutions|NIST\.800\.53\.R5|PCI\.DSS\.321)-/.test(r.id))) {
      acknowledged.push({ rule: rule.id, path: scope.node.path });
    }
  });
  const outdir = mkdtempSync(join(tmpdir(), 'nag-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  try {
    buildFinanceHub(app);
    expect(() => app.synth()).toThrow('Acknowledge with');
  } finally {
    spy.mockRestore();
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
  const findings = report.pluginReports
    .filter((plugin) => ['AwsSolutions', 'PCI.DSS.321', 'NIST.800.53.R5'].includes(plugin.pluginName))
    .flatMap((plugin) => plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ rule: v.ruleName, path: c.constructPath }))));
  return { findings, acknowledged };
}

describe('cdk-nag', () => {
  it('passes AwsSolutions, PCI DSS 3.2.1 and NIST 800-53 R5 on every stack of both environments', () => {
    // Act
    const { app } = synthesizeApp();

    // Assess
    const stacks = app.node.children.filter((child) => Stack.isStack(child)).map((child) => child.node.id);
    expect(stacks).toHaveLength(18);
    expect(stacks).toEqual(expect.arrayContaining(['FinanceHub-staging-Network', 'FinanceHub-production-Ops', 'FinanceHub-production-DR', 'FinanceHub-staging-Registry', 'FinanceHub-staging-Dns']));
  });

  it('acknowledges only findings the packs really report, each where it occurs', () => {
    // Act
    const { findings, acknowledged } = findingsWithoutAcknowledgments();

    // Assess
    const unmatched = acknowledged.filter(
      (ack) => !findings.some((finding) => finding.rule === ack.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`) || ack.path === '')),
    );
    expect(unmatched).toEqual([]);
  });

  it('documents every acknowledgment with its reason in docs/nag-acknowledgments.md', () => {
    // Prepare
    const { app } = synthesizeApp();

    // Act
    const expected = renderAcknowledgmentsMarkdown(collectAcknowledgments(app));

    // Assess
    expect(readFileSync('docs/nag-acknowledgments.md', 'utf8')).toBe(expected);
  });
});
