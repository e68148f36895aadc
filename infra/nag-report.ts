import { type App, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Acknowledgment {
  /** Rule id as acknowledged, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly rule: string;
  readonly reason: string;
  /** Construct path the acknowledgment applies to (and everything below it). */
  readonly path: string;
}

/** Every cdk-nag acknowledgment in the app, read from the construct tree after synthesis. */
export function collectAcknowledgments(app: App): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  for (const construct of app.node.findAll() as IConstruct[]) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ rule: rule.replace(/^[^:]+::/, ''), reason, path: construct.node.path });
      }
    }
  }
  return found;
}

/** Groups acknowledgments by rule: how many places, and each distinct reason. */
export function acknowledgmentsByRule(acks: readonly Acknowledgment[]): Map<string, { count: number; reasons: Set<string> }> {
  const byRule = new Map<string, { count: number; reasons: Set<string> }>();
  for (const ack of acks) {
    const entry = byRule.get(ack.rule) ?? { count: 0, reasons: new Set<string>() };
    entry.count += 1;
    entry.reasons.add(ack.reason);
    byRule.set(ack.rule, entry);
  }
  return new Map([...byRule.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
