import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { executionName } from '../../functions/lib/workflows.js';

/**
 * The GitHub Actions workflows cannot run here, so their structure is checked as GitHub reads it: the YAML, the job
 * graph, the permissions, the pinned actions, and the shell scripts (syntax, and the parts that compute names run for real).
 */

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

interface Job {
  readonly name?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string | { name: string };
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
  readonly 'timeout-minutes'?: number;
}

interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const directory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.github', 'workflows');
const files = readdirSync(directory).filter((file) => /\.ya?ml$/.test(file)).sort();

function load(file: string): { text: string; workflow: Workflow } {
  const text = readFileSync(path.join(directory, file), 'utf8');
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
  return { text, workflow: document.toJS() as Workflow };
}

const workflows = Object.fromEntries(files.map((file) => [file, load(file).workflow]));
const ci = workflows['ci.yml'] as Workflow;
const deployService = workflows['deploy-service.yml'] as Workflow;
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const environmentOf = (job: Job): string | undefined => (typeof job.environment === 'string' ? job.environment : job.environment?.name);
const assumesAwsRole = (job: Job): boolean => job.steps.some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
const stepNamed = (job: Job, name: string): Step => {
  const step = job.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step named "${name}"`);
  return step;
};
const allJobs = files.flatMap((file) => Object.entries((workflows[file] as Workflow).jobs).map(([id, job]) => ({ file, id, job })));

describe('GitHub Actions workflows', () => {
  it('are the repository CI and the reusable service deployment, each valid YAML with a name, triggers and jobs', () => {
    // Assess
    expect(files).toEqual(['ci.yml', 'deploy-service.yml']);
    for (const file of files) {
      const workflow = workflows[file] as Workflow;
      expect(typeof workflow.name).toBe('string');
      expect(Object.keys(workflow.on).length).toBeGreaterThan(0);
      expect(Object.keys(workflow.jobs).length).toBeGreaterThan(0);
    }
  });

  it.each(files)('%s pins every action to a full commit SHA with its version beside it', (file) => {
    // Prepare
    const { text } = load(file);
    const uses = text.split('\n').filter((line) => /^\s*-?\s*uses:/.test(line));

    // Assess
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it.each(files)('%s reads the repository only, unless a job says otherwise', (file) => {
    // Assess
    expect((workflows[file] as Workflow).permissions).toEqual({ contents: 'read' });
  });

  it.each(allJobs.map(({ file, id, job }) => [`${file} ${id}`, job] as const))('%s asks for an OIDC token exactly when it assumes an AWS role', (_name, job) => {
    // Prepare
    const expected = assumesAwsRole(job) ? { contents: 'read', 'id-token': 'write' } : { contents: 'read' };

    // Assess
    expect(job.permissions ?? { contents: 'read' }).toEqual(expected);
  });

  it.each(allJobs.filter(({ job }) => assumesAwsRole(job)).map(({ file, id, job }) => [`${file} ${id}`, job] as const))(
    '%s holds its AWS credentials until its time limit, within the roles’ two-hour maximum',
    (_name, job) => {
      // Prepare
      const durations = job.steps.filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@')).map((s) => Number(s.with?.['role-duration-seconds'] ?? 3600));

      // Assess
      for (const seconds of durations) {
        expect(seconds).toBeGreaterThanOrEqual((job['timeout-minutes'] ?? 360) * 60);
        expect(seconds).toBeLessThanOrEqual(7200);
      }
    },
  );

  it.each(allJobs.map(({ file, id, job }) => [`${file} ${id}`, job] as const))('%s has a time limit and never interpolates inputs or event data into a script', (_name, job) => {
    // Assess
    expect(job['timeout-minutes']).toBeGreaterThan(0);
    // Values reach scripts through env, so a crafted branch name or input cannot become shell code.
    const scripts = job.steps.map((step) => step.run ?? '');
    for (const script of scripts) expect(script).not.toMatch(/\$\{\{\s*(inputs|github\.event|github\.head_ref)/);
  });

  it.each(allJobs.map(({ file, id, job }) => [`${file} ${id}`, job] as const))('%s has shell scripts bash accepts', (_name, job) => {
    for (const step of job.steps.filter((s) => s.run)) {
      // Act: expressions are GitHub's, not bash's; a placeholder stands in for each.
      const script = (step.run ?? '').replace(/\$\{\{[^}]*\}\}/g, 'EXPR');

      // Assess
      expect(() => execFileSync('bash', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
    }
  });
});

describe('the repository CI (ci.yml)', () => {
  it('tests every push and pull request', () => {
    // Assess
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const test = ci.jobs.test as Job;
    expect(test.if).toBeUndefined();
    expect(test.steps.map((s) => s.run).filter(Boolean)).toEqual(['npm ci --loglevel=error', 'npm test']);
  });

  it('diffs both environments on pull requests only, after the tests, with the read-only diff role', () => {
    // Prepare
    const diff = ci.jobs.diff as Job;
    const credentials = diff.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));

    // Assess
    expect(needsOf(diff)).toEqual(['test']);
    expect(diff.if).toContain("github.event_name == 'pull_request'");
    expect(String(credentials?.with?.['role-to-assume'])).toMatch(/:role\/financehub-\$\{\{ matrix\.environment \}\}-github-cdk-diff$/);
    expect(stepNamed(diff, 'cdk diff').run).toContain('--no-change-set');
    expect(environmentOf(diff)).toBeUndefined();
  });

  it('deploys staging from main after the tests, then production behind the production environment', () => {
    // Prepare
    const staging = ci.jobs['deploy-staging'] as Job;
    const production = ci.jobs['deploy-production'] as Job;

    // Assess
    expect(needsOf(staging)).toEqual(['test']);
    expect(staging.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(environmentOf(staging)).toBe('staging');
    expect(stepNamed(staging, 'cdk deploy').run).toContain('"FinanceHub-staging-*"');
    expect(needsOf(production)).toEqual(['deploy-staging']);
    expect(environmentOf(production)).toBe('production');
    expect(stepNamed(production, 'cdk deploy').run).toContain('"FinanceHub-production-*"');
    for (const job of [staging, production]) {
      const env = environmentOf(job);
      const credentials = job.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(String(credentials?.with?.['role-to-assume'])).toMatch(new RegExp(`:role/financehub-${env}-github-cdk-deploy$`));
    }
  });

  it('synthesizes with the repository’s owner as githubOwner, the organization the deploy roles trust', () => {
    // Prepare
    const steps = [stepNamed(ci.jobs.diff as Job, 'cdk diff'), stepNamed(ci.jobs['deploy-staging'] as Job, 'cdk deploy'), stepNamed(ci.jobs['deploy-production'] as Job, 'cdk deploy')];

    // Assess
    for (const step of steps) expect(step.run).toContain('-c githubOwner=${{ github.repository_owner }}');
  });
});

describe('the reusable service deployment (deploy-service.yml)', () => {
  const jobs = deployService.jobs as Record<'build' | 'staging' | 'production', Job>;

  it('is called by other workflows with the service, both accounts and the test command', () => {
    // Prepare
    const call = deployService.on.workflow_call as { inputs: Record<string, { required?: boolean }> };

    // Assess
    expect(Object.keys(deployService.on)).toEqual(['workflow_call']);
    expect(Object.entries(call.inputs).filter(([, input]) => input.required).map(([name]) => name).sort()).toEqual([
      'production-account-id',
      'service',
      'staging-account-id',
      'test-command',
    ]);
  });

  it('builds and tests without AWS access, deploys staging, then promotes to production behind its environment', () => {
    // Assess
    expect(Object.keys(jobs)).toEqual(['build', 'staging', 'production']);
    expect(needsOf(jobs.build)).toEqual([]);
    expect(assumesAwsRole(jobs.build)).toBe(false);
    expect(needsOf(jobs.staging)).toEqual(['build']);
    expect(environmentOf(jobs.staging)).toBe('staging');
    expect(needsOf(jobs.production).sort()).toEqual(['build', 'staging']);
    expect(environmentOf(jobs.production)).toBe('production');
  });

  it('checks its inputs before anything else', () => {
    // Prepare
    const check = jobs.build.steps[0] as Step;
    const run = (env: Record<string, string>) => {
      try {
        execFileSync('bash', ['-euo', 'pipefail', '-c', check.run ?? ''], { env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
        return 'accepted';
      } catch (error) {
        return String((error as { stdout?: Buffer }).stdout);
      }
    };
    const good = { SERVICE: 'backend', STAGING_ACCOUNT_ID: '111111111111', PRODUCTION_ACCOUNT_ID: '222222222222' };

    // Act & Assess
    expect(check.name).toBe('Check the inputs');
    expect(run(good)).toBe('accepted');
    expect(run({ ...good, SERVICE: 'database' })).toContain("input service must be frontend, backend or worker, not 'database'");
    expect(run({ ...good, STAGING_ACCOUNT_ID: '1234' })).toContain("input staging-account-id must be a 12-digit AWS account id, not '1234'");
    expect(run({ ...good, PRODUCTION_ACCOUNT_ID: '111111111111' })).toContain('staging and production must be different accounts');
  });

  it('tags the image with the git SHA in staging and copies that digest to production instead of rebuilding', () => {
    // Prepare
    const productionScripts = jobs.production.steps.map((s) => s.run ?? '').join('\n');

    // Assess
    expect(deployService.env).toMatchObject({ IMAGE_TAG: '${{ github.sha }}' });
    expect(stepNamed(jobs.staging, 'Push the image (tag = git SHA)').run).toContain('docker push "$REGISTRY/$repository:$IMAGE_TAG"');
    expect(productionScripts).not.toMatch(/docker (build|push)/);
    expect(productionScripts).toContain('skopeo copy --authfile "$RUNNER_TEMP/auth.json" --preserve-digests');
    expect(productionScripts).toContain('financehub-staging/$SERVICE@$DIGEST');
    expect(jobs.production).toMatchObject({ env: { DIGEST: '${{ needs.staging.outputs.digest }}' } });
    // Read back: production's tag must resolve to the staged digest, or the job fails.
    expect(productionScripts).toContain('[ "$promoted" = "$DIGEST" ]');
  });

  it('assumes the deploy role of its own service in each environment, and the pull-only role for the copy', () => {
    // Prepare
    const roles = (job: Job) => job.steps.filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@')).map((s) => String(s.with?.['role-to-assume']));

    // Assess
    expect(roles(jobs.staging)).toEqual(['arn:aws:iam::${{ inputs.staging-account-id }}:role/financehub-staging-github-deploy-${{ inputs.service }}']);
    expect(roles(jobs.production)).toEqual([
      'arn:aws:iam::${{ inputs.staging-account-id }}:role/financehub-staging-github-promote-${{ inputs.service }}',
      'arn:aws:iam::${{ inputs.production-account-id }}:role/financehub-production-github-deploy-${{ inputs.service }}',
    ]);
  });

  it('deploys and waits for the verdict with the same steps in both environments', () => {
    // Assess
    for (const name of ['Deploy the new task definition', 'Wait for the smoke-test verdict']) {
      expect(stepNamed(jobs.production, name)).toEqual(stepNamed(jobs.staging, name));
    }
  });

  it.each([
    ['frontend', 'ecs-svc/1234567890123456789'],
    ['worker', 'ecs-svc/9876543210'],
  ])('waits for the smoke-test execution the start function names for %s deployment %s', (service, deployment) => {
    // Prepare
    const script = stepNamed(jobs.staging, 'Wait for the smoke-test verdict').run ?? '';
    const nameLine = script.split('\n').find((line) => line.startsWith('name='));

    // Act
    const name = execFileSync('bash', ['-c', `${nameLine}; echo -n "$name"`], { env: { SERVICE: service, DEPLOYMENT: deployment }, encoding: 'utf8' });

    // Assess
    expect(name).toBe(executionName(service, deployment));
    expect(script).toContain('execution:financehub-$ENVIRONMENT-smoke-test:$name');
  });

  it('registers the running task definition with only the application image changed, as RegisterTaskDefinition accepts it', () => {
    // Prepare
    const script = stepNamed(jobs.staging, 'Deploy the new task definition').run ?? '';
    const filter = /jq --arg c "\$SERVICE" --arg image "\$IMAGE" \\\n\s*'([^']+)'/.exec(script)?.[1];
    const described = {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111111111111:task-definition/financehub-staging-backend:7',
      family: 'financehub-staging-backend',
      taskRoleArn: 'arn:aws:iam::111111111111:role/task',
      executionRoleArn: 'arn:aws:iam::111111111111:role/execution',
      networkMode: 'awsvpc',
      revision: 7,
      status: 'ACTIVE',
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
      compatibilities: ['EC2', 'FARGATE'],
      requiresCompatibilities: ['FARGATE'],
      cpu: '2048',
      memory: '4096',
      registeredAt: '2026-11-30T10:00:00Z',
      registeredBy: 'arn:aws:sts::111111111111:assumed-role/financehub-staging-github-deploy-backend/run-1-1',
      containerDefinitions: [
        { name: 'backend', image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/financehub-staging/backend:aaa', essential: true },
        { name: 'xray-daemon', image: 'public.ecr.aws/xray/aws-xray-daemon:3.3.14', essential: false },
      ],
    };
    const image = '111111111111.dkr.ecr.us-east-1.amazonaws.com/financehub-staging/backend:bbb';

    // Act
    const next = JSON.parse(execFileSync('jq', ['--arg', 'c', 'backend', '--arg', 'image', image, filter ?? '.'], { input: JSON.stringify(described), encoding: 'utf8' })) as typeof described;

    // Assess
    expect(filter).toBeDefined();
    expect(next.containerDefinitions.map((c) => c.image)).toEqual([image, 'public.ecr.aws/xray/aws-xray-daemon:3.3.14']);
    expect(Object.keys(next).sort()).toEqual(['containerDefinitions', 'cpu', 'executionRoleArn', 'family', 'memory', 'networkMode', 'requiresCompatibilities', 'taskRoleArn']);
  });
});
