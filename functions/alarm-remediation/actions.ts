import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { type ProbeFetch, type ProbeProgress, type ProbeSettings, probeHealth } from '../lib/health-probe.js';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { type EventSettings, type RemediationEvent, readEvent } from './events.js';
import type { ServiceName } from '../../contracts/environments.js';
import { type GuardSettings, type SwitchSettings, acquireGuard, readSwitches, releaseLock } from './guardrails.js';
import { type ReportSettings, type RemediationState, remediationResult } from './report.js';
import { type RunbookClients, type RunbookSettings, inspectDeployment, planRestart, planScaleOut, restartService, rollBack } from './runbooks.js';

/**
 * The alarm remediation's task handler: one function, one `action` per step of the state machine. Reads and plans
 * are separate from the actions, so the kill switch and the dry run stop before anything changes.
 */

export interface RemediationDependencies {
  readonly clients: RunbookClients & { readonly ssm: SSMClient; readonly dynamodb: DynamoDBClient; readonly fetch: ProbeFetch };
  readonly events: EventSettings;
  readonly switches: SwitchSettings;
  readonly guard: GuardSettings;
  readonly runbooks: RunbookSettings;
  readonly probe: ProbeSettings;
  readonly report: ReportSettings;
  readonly publish: (result: OpsResultInput) => Promise<unknown>;
}

// The incident and plans are produced by this function and carried by the state machine; parsed loosely.
const incident = z.custom<RemediationEvent>((value) => typeof value === 'object' && value !== null && 'lockKey' in value, 'expected the incident read from the event');
const withService = incident.refine((value) => value.service !== undefined, 'this runbook needs a service');
const plan = z.looseObject({ action: z.string(), reason: z.string() });

export const remediationEventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('readEvent'), input: z.unknown() }),
  z.object({ action: z.literal('checkSwitches'), incident }),
  z.object({ action: z.literal('planScaleOut'), incident: withService }),
  z.object({ action: z.literal('planRestart'), incident: withService }),
  z.object({ action: z.literal('inspectDeployment'), incident: withService }),
  z.object({ action: z.literal('takeLock'), incident, plan, owner: z.string().min(1) }),
  z.object({ action: z.literal('restartService'), incident: withService }),
  z.object({ action: z.literal('rollBack'), incident: withService, plan: z.looseObject({ toTaskDefinition: z.string().min(1) }) }),
  z.object({ action: z.literal('probeApplication'), state: z.looseObject({ application: z.custom<ProbeProgress>().optional() }) }),
  z.object({ action: z.literal('releaseLock'), incident, owner: z.string().min(1) }),
  z.object({ action: z.literal('report'), state: z.record(z.string(), z.unknown()), executionArn: z.string().optional(), startedAt: z.iso.datetime() }),
]);

export async function runRemediationAction(event: unknown, deps: RemediationDependencies): Promise<unknown> {
  const parsed = remediationEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`Not an alarm remediation step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const step = parsed.data;
  const { clients } = deps;
  const service = (value: RemediationEvent) => value.service as ServiceName;
  switch (step.action) {
    case 'readEvent':
      return readEvent(step.input, deps.events);
    case 'checkSwitches':
      return readSwitches(clients.ssm, deps.switches, step.incident.dryRunRequested, clients.now());
    case 'planScaleOut':
      return planScaleOut(clients, deps.runbooks, service(step.incident), step.incident.subject);
    case 'planRestart':
      return planRestart(clients, deps.runbooks, service(step.incident));
    case 'inspectDeployment':
      return inspectDeployment(clients, deps.runbooks, service(step.incident), step.incident.kind === 'ecs-deployment-failed');
    case 'takeLock':
      return acquireGuard(
        clients.dynamodb,
        deps.guard,
        { lockKey: step.incident.lockKey, cooldownKey: step.incident.cooldownKey, owner: step.owner, action: step.plan.action, eventId: step.incident.eventId },
        clients.now(),
      );
    case 'restartService':
      return restartService(clients, deps.runbooks, service(step.incident));
    case 'rollBack':
      return rollBack(clients, deps.runbooks, service(step.incident), step.plan.toTaskDefinition);
    case 'probeApplication': {
      const progress = await probeHealth(clients.fetch, deps.probe, step.state.application, clients.now);
      return progress.capReached ? { ...progress, stopReason: `not healthy within ${deps.probe.waitCapMinutes} min (${progress.consecutiveSuccesses} of ${deps.probe.consecutiveSuccesses} successes in a row)` } : progress;
    }
    case 'releaseLock':
      return releaseLock(clients.dynamodb, deps.guard, step.incident.lockKey, step.owner);
    case 'report': {
      const result = remediationResult(step.state as RemediationState, deps.report, { arn: step.executionArn, startedAt: step.startedAt }, clients.now());
      await deps.publish(result);
      return { outcome: result.outcome, severity: result.severity, summary: result.summary };
    }
  }
}
