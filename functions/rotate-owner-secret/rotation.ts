import { DescribeSecretCommand, type DescribeSecretCommandOutput, type SecretsManagerClient, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { OWNER_KINDS, type OwnerSecret, type OwnerSecretCheck, ROTATION_TAGS, SLACK_AUTH_TEST_URL, credentialOf, mention, newValueProblem, putCommand } from '../lib/owner-secrets.js';
import { type RotationEvent, RotationError, pendingString, runRotationStep, secretStringAt } from '../lib/rotation-contract.js';

/** What `fetch` the probe needs, so tests answer without a network. */
export type CheckFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; redirect: 'manual'; signal: AbortSignal },
) => Promise<{ readonly status: number; readonly json: () => Promise<unknown> }>;

export type ConfiguredOwnerSecret = OwnerSecret & { readonly secretArn: string };

export interface OwnerRotationDeps {
  readonly secrets: SecretsManagerClient;
  readonly environment: EnvironmentName;
  readonly ownerSecrets: readonly ConfiguredOwnerSecret[];
  /** Publishes a result to the notification topic (Slack). */
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
  readonly fetch: CheckFetch;
  readonly now: () => Date;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

/**
 * The step waits for its owner: no new value is stored yet. The step fails (so Secrets Manager marks the rotation
 * failed and reattempts it), nothing was rotated, and AWSCURRENT still holds the value the services use.
 */
export class OwnerValuePending extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnerValuePending';
  }
}

const WORKFLOW = 'rotate-owner-secret';

/** The declaration of the secret a rotation event names. */
export function configuredSecret(ownerSecrets: readonly ConfiguredOwnerSecret[], secretId: string): ConfiguredOwnerSecret {
  // Secrets Manager names the secret by its ARN; a name or partial ARN also matches.
  const found = ownerSecrets.find((s) => s.secretArn === secretId || s.secretArn.includes(`:secret:${secretId}`));
  if (!found) throw new RotationError(`${secretId} is not one of the secrets its owner rotates (${ownerSecrets.map((s) => s.name).join(', ')})`);
  return found;
}

/**
 * One step of the rotation contract for a secret its owner rotates. createSecret asks the owner (once per rotation)
 * and fails until they stored the new value as AWSPENDING; setSecret has nothing to set (the issuer made the value);
 * testSecret validates it and runs the configured check; finishSecret promotes it and clears the request tags.
 */
export async function rotateOwnerSecret(event: RotationEvent, deps: OwnerRotationDeps): Promise<void> {
  const secret = configuredSecret(deps.ownerSecrets, event.SecretId);
  try {
    await runRotationStep(deps.secrets, event, deps.log, {
      createSecret: (description) => awaitOwnerValue(event, secret, description, deps),
      setSecret: async () => deps.log('setSecret: nothing to set; the issuer made the new value', { secretId: event.SecretId }),
      testSecret: () => testOwnerValue(event, secret, deps),
    });
    if (event.Step === 'finishSecret') {
      await deps.secrets.send(new UntagResourceCommand({ SecretId: secret.secretArn, TagKeys: [ROTATION_TAGS.requestedAt, ROTATION_TAGS.requestedVersion] }));
      deps.log('finishSecret: rotation request closed', { secretId: event.SecretId });
    }
  } catch (error) {
    // Waiting for the owner and a refused value are told already; any other failure reaches no one else (the
    // ingress hears only of succeeded owner rotations), so it is reported here, as read back, before the step fails.
    if (!(error instanceof OwnerValuePending) && !(error instanceof ValueRefused)) await reportStepFailure(event, secret, error, deps);
    throw error;
  }
}

/** The test step refused the owner's value; the owner was told. */
export class ValueRefused extends RotationError {
  constructor(message: string) {
    super(message);
    this.name = 'ValueRefused';
  }
}

async function reportStepFailure(event: RotationEvent, secret: ConfiguredOwnerSecret, error: unknown, deps: OwnerRotationDeps): Promise<void> {
  const token = event.ClientRequestToken;
  const reason = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).replace(/\.$/, '');
  let stages: string[] | undefined;
  try {
    stages = (await deps.secrets.send(new DescribeSecretCommand({ SecretId: secret.secretArn }))).VersionIdsToStages?.[token];
  } catch {
    stages = undefined;
  }
  const state =
    stages === undefined
      ? `Secrets Manager could not be read back, so whether version ${token} became AWSCURRENT is unknown: check it (aws secretsmanager describe-secret --secret-id ${secret.secretArn}).`
      : stages.includes('AWSCURRENT')
        ? `Version ${token} IS AWSCURRENT now (read back), but the rotation did not finish, so the services were not restarted on it: they keep the previous value (still valid at the issuer) until they restart.`
        : `AWSCURRENT is still the previous value, which the services keep using; version ${token} is ${stages.join(', ') || 'no longer staged'}.`;
  const recover = stages?.includes('AWSCURRENT')
    ? `Restart the services (fhops start post-rotation, or aws ecs update-service --force-new-deployment), then revoke the old value at ${secret.issuer}.`
    : `Secrets Manager reattempts a failed rotation by itself a few times; if no success follows, fix the cause, then aws secretsmanager rotate-secret --secret-id ${secret.secretArn}: Secrets Manager reattempts this rotation with version ${token}; the value need not be stored again.`;
  const now = deps.now();
  try {
    await deps.publish({
      kind: 'OpsResult',
      workflow: WORKFLOW,
      environment: deps.environment,
      outcome: 'failed',
      severity: 'critical',
      summary: `${mention(secret.owner)}: the rotation of ${deps.environment} ${secret.name} failed at ${event.Step}: ${reason}. ${state}`.slice(0, 1500),
      startedAt: now.toISOString(),
      finishedAt: now.toISOString(),
      durationSeconds: 0,
      actionsTaken: [`Ran ${event.Step} of version ${token} of ${secret.secretArn}`, `Read back version ${token}: ${stages?.join(', ') || 'unknown'}`],
      howToUndo: `Nothing to undo. ${recover} Runbook: docs/runbooks/${WORKFLOW}.md`,
    });
  } catch (publishError) {
    deps.log('The failure report could not be published', { error: publishError instanceof Error ? publishError.message : String(publishError) });
  }
}

async function awaitOwnerValue(event: RotationEvent, secret: ConfiguredOwnerSecret, description: DescribeSecretCommandOutput, deps: OwnerRotationDeps): Promise<void> {
  const token = event.ClientRequestToken;
  if (await pendingString(deps.secrets, secret.secretArn, token)) {
    deps.log('createSecret: the owner stored the new value', { secretId: secret.secretArn });
    return;
  }
  const tags = Object.fromEntries((description.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
  const requestedAt = tags[ROTATION_TAGS.requestedVersion] === token ? tags[ROTATION_TAGS.requestedAt] : undefined;
  if (!requestedAt) {
    const now = deps.now();
    // Published before the tag is written: a failed tag write sends the request twice, never not at all.
    await deps.publish(rotationRequest(secret, deps.environment, token, now));
    await deps.secrets.send(
      new TagResourceCommand({
        SecretId: secret.secretArn,
        Tags: [
          { Key: ROTATION_TAGS.requestedAt, Value: now.toISOString() },
          { Key: ROTATION_TAGS.requestedVersion, Value: token },
        ],
      }),
    );
    throw new OwnerValuePending(`Rotation request sent to ${secret.owner} for ${secret.name}; waiting for the new value as AWSPENDING (${putCommand(secret, deps.environment)}). Nothing was rotated.`);
  }
  throw new OwnerValuePending(`Waiting for ${secret.owner} to store the new value of ${secret.name} as AWSPENDING, requested at ${requestedAt} (${putCommand(secret, deps.environment)}). Nothing was rotated.`);
}

/** The request the owner reads in Slack: what to do, in order, and that nothing changes until they do it. */
export function rotationRequest(secret: ConfiguredOwnerSecret, environment: EnvironmentName, token: string, now: Date): OpsResultInput {
  const check = checkDescription(secret.check);
  const steps = OWNER_KINDS[secret.kind];
  return {
    kind: 'OpsResult',
    workflow: WORKFLOW,
    environment,
    outcome: 'skipped',
    severity: 'warning',
    summary: `${mention(secret.owner)}: ${environment} ${secret.name} (${secret.kind}) is due for its 30-day rotation. Make a new value at ${secret.issuer} and store it as AWSPENDING; until then nothing is rotated and the services keep the current value.`,
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    durationSeconds: 0,
    actionsTaken: [
      `Opened rotation request ${token} for ${secret.secretArn}: the new version is staged AWSPENDING with no value`,
      `Steps: 1. at ${secret.issuer}, ${steps.make}${secret.kind === 'api-key' || secret.kind === 'oauth-token' ? ', keeping the old one valid' : ''}`,
      `2. ${putCommand(secret, environment)} (the value from standard input; it is validated and read back)`,
      `3. the rotation resumes: ${check}; then it becomes AWSCURRENT and ${steps.promoted}`,
      `4. ${steps.revoke}`,
    ],
    howToUndo: `Nothing to undo: AWSCURRENT is unchanged. Reminders follow daily and go to the incidents channel when overdue. Runbook: docs/runbooks/${WORKFLOW}.md`,
  };
}

async function testOwnerValue(event: RotationEvent, secret: ConfiguredOwnerSecret, deps: OwnerRotationDeps): Promise<void> {
  const value = await pendingString(deps.secrets, secret.secretArn, event.ClientRequestToken);
  if (value === undefined) throw new OwnerValuePending(`${secret.name} has no new value yet: ${putCommand(secret, deps.environment)}. Nothing was rotated.`);
  const current = await secretStringAt(deps.secrets, secret.secretArn, { VersionStage: 'AWSCURRENT' });
  const problem = newValueProblem(value, current, secret) ?? (await checkProblem(secret, value, deps));
  if (problem) {
    await deps.publish(refusedValue(secret, deps.environment, event.ClientRequestToken, problem, deps.now()));
    throw new ValueRefused(`testSecret refused the new value of ${secret.name}: ${problem}. AWSCURRENT is unchanged.`);
  }
  deps.log('testSecret: the new value passed its check', { secretId: secret.secretArn, check: secret.check.type });
}

/** What the test step does with the new value, as the rotation request says it. */
function checkDescription(check: OwnerSecretCheck): string {
  switch (check.type) {
    case 'https':
      return `the new value is probed at ${check.url} (expects HTTP ${check.expectedStatus})`;
    case 'slack-auth-test':
      return `the new token is proven with Slack's auth.test (expects ok: true for workspace ${check.teamId})`;
    case 'none':
      return `no automatic check (${check.reason}): test it at the issuer yourself`;
  }
}

/** The fields of Slack's auth.test answer the check reads (https://docs.slack.dev/reference/methods/auth.test). */
const authTestAnswerSchema = z.object({ ok: z.boolean(), error: z.string().optional(), team_id: z.string().optional() });

/** Why Slack's auth.test answer does not prove the token for `teamId`, or undefined when it does. */
export function authTestProblem(status: number, answer: unknown, teamId: string): string | undefined {
  if (status !== 200) return `Slack's auth.test answered HTTP ${status} to the new token`;
  const parsed = authTestAnswerSchema.safeParse(answer);
  if (!parsed.success) return "Slack's auth.test answer is not the JSON Slack documents (no ok field), so the token is unproven";
  // Slack answers 200 to a refused token too: only ok decides.
  if (!parsed.data.ok) return `Slack's auth.test refused the new token: ${parsed.data.error ?? 'no error named'}`;
  if (parsed.data.team_id !== teamId) return `the new token belongs to workspace ${parsed.data.team_id ?? 'unknown'}, not ${teamId}`;
  return undefined;
}

/** Runs the configured check against the new value; the problem, or undefined when it passed (or there is none). */
async function checkProblem(secret: ConfiguredOwnerSecret, value: string, deps: OwnerRotationDeps): Promise<string | undefined> {
  const { check } = secret;
  if (check.type === 'none') {
    deps.log('testSecret: no check configured for this secret', { secretId: secret.secretArn, reason: check.reason });
    return undefined;
  }
  let credential: string;
  try {
    credential = credentialOf(value, check);
  } catch (error) {
    return (error as Error).message;
  }
  const url = check.type === 'https' ? check.url : SLACK_AUTH_TEST_URL;
  const method = check.type === 'https' ? check.method : 'POST';
  const headers = check.type === 'https' ? { [check.header]: check.scheme ? `${check.scheme} ${credential}` : credential } : { Authorization: `Bearer ${credential}` };
  try {
    const response = await deps.fetch(url, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(check.timeoutSeconds * 1000) });
    if (check.type === 'https') return response.status === check.expectedStatus ? undefined : `${method} ${url} answered HTTP ${response.status} with it, not ${check.expectedStatus}`;
    return authTestProblem(response.status, response.status === 200 ? await response.json().catch(() => undefined) : undefined, check.teamId);
  } catch (error) {
    return `${method} ${url} could not be reached (${error instanceof Error ? error.name : 'error'}), so the value is unproven`;
  }
}

function refusedValue(secret: ConfiguredOwnerSecret, environment: EnvironmentName, token: string, problem: string, now: Date): OpsResultInput {
  return {
    kind: 'OpsResult',
    workflow: WORKFLOW,
    environment,
    outcome: 'failed',
    severity: 'warning',
    summary: `${mention(secret.owner)}: the new value of ${environment} ${secret.name} was refused by the rotation's test: ${problem}. It was not promoted; AWSCURRENT and the services are unchanged.`,
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    durationSeconds: 0,
    actionsTaken: [`Tested the AWSPENDING version ${token} of ${secret.secretArn}`, 'Promoted nothing'],
    howToUndo: `Nothing to undo. Versions cannot be changed: to store a corrected value, release this one (aws secretsmanager update-secret-version-stage --secret-id ${secret.secretArn} --version-stage AWSPENDING --remove-from-version-id ${token}), start a new request (aws secretsmanager rotate-secret --secret-id ${secret.secretArn}), then ${putCommand(secret, environment)}. Runbook: docs/runbooks/${WORKFLOW}.md`,
  };
}
