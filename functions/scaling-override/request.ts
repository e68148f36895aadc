import * as z from 'zod';
import { type EnvironmentName, ENVIRONMENTS, type ServiceName } from '../../contracts/environments.js';
import type { ScalingLimits, ScalingOverrideStart } from '../../contracts/scaling.js';

/**
 * What an override request may ask for: checked against the environment's figures before anything changes, with a
 * message that says every problem at once.
 */

export interface OverrideLimits extends ScalingLimits {
  readonly environment: EnvironmentName;
}

/** A checked start input (contracts/scaling.ts) with the baseline a revert restores. */
export interface ApplyRequest extends Omit<ScalingOverrideStart, 'environment'> {
  readonly action: 'apply';
  readonly baseline: { readonly min: number; readonly max: number };
}

export interface RevertRequest {
  readonly action: 'revert';
  readonly service: ServiceName;
  readonly reason: string;
  readonly requestedBy: string;
  readonly approvedBy?: string;
  readonly baseline: { readonly min: number; readonly max: number };
}

export type OverrideRequest = ApplyRequest | RevertRequest;

/** Bad input: the execution fails with this name and message, and nothing was changed. */
export class InvalidOverride extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOverride';
  }
}

const wholeNumber = (name: string) => z.number({ error: `${name} must be a whole number` }).int(`${name} must be a whole number`);

function schemaFor(limits: OverrideLimits) {
  const services = Object.keys(limits.services) as ServiceName[];
  const common = {
    environment: z.enum(ENVIRONMENTS, { error: 'environment must be staging or production' }).optional(),
    service: z.enum(services as [ServiceName, ...ServiceName[]], { error: `service must be one of ${services.join(', ')}` }),
    requestedBy: z.string({ error: 'requestedBy (who asks) is required' }).trim().min(1, 'requestedBy (who asks) is required').max(200),
    approvedBy: z.string().trim().max(200).optional(),
  };
  return z.discriminatedUnion('action', [
    z.looseObject({
      ...common,
      action: z.literal('apply'),
      min: wholeNumber('min').min(1, 'min must be at least 1'),
      max: wholeNumber('max').min(1, 'max must be at least 1'),
      durationMinutes: wholeNumber('durationMinutes')
        .min(1, 'durationMinutes must be at least 1')
        .max(limits.maxDurationMinutes, `durationMinutes must be at most ${limits.maxDurationMinutes}`),
      reason: z.string({ error: 'reason (why) is required' }).trim().min(1, 'reason (why) is required').max(500),
    }),
    z.looseObject({ ...common, action: z.literal('revert'), reason: z.string().trim().max(500).default('early revert requested') }),
  ]);
}

/** Parses and checks a request; every problem is named in one `InvalidOverride`. */
export function parseOverrideRequest(input: unknown, limits: OverrideLimits): OverrideRequest {
  const withAction = input && typeof input === 'object' && !('action' in input) ? { ...input, action: 'apply' } : input;
  const parsed = schemaFor(limits).safeParse(withAction);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => (issue.code === 'invalid_union' ? 'action must be apply or revert' : issue.message));
    throw new InvalidOverride(`Invalid scaling override: ${[...new Set(problems)].join('; ')}. Nothing was changed.`);
  }
  const request = parsed.data;
  const problems: string[] = [];
  if (request.environment && request.environment !== limits.environment) {
    problems.push(`this is the ${limits.environment} scaling override; start the ${request.environment} one for ${request.environment}`);
  }
  const service = limits.services[request.service];
  const baseline = { min: service.minCapacity, max: service.maxCapacity };
  if (request.action === 'revert') {
    if (problems.length > 0) throw new InvalidOverride(`Invalid scaling override: ${problems.join('; ')}. Nothing was changed.`);
    return { action: 'revert', service: request.service, reason: request.reason, requestedBy: request.requestedBy, approvedBy: request.approvedBy, baseline };
  }
  if (request.min > request.max) problems.push(`min (${request.min}) must not exceed max (${request.max})`);
  if (request.max > service.overrideMaxCeiling) problems.push(`max must be at most ${service.overrideMaxCeiling} for ${request.service}`);
  if (problems.length > 0) throw new InvalidOverride(`Invalid scaling override: ${problems.join('; ')}. Nothing was changed.`);
  return {
    action: 'apply',
    service: request.service,
    min: request.min,
    max: request.max,
    durationMinutes: request.durationMinutes,
    reason: request.reason,
    requestedBy: request.requestedBy,
    approvedBy: request.approvedBy,
    baseline,
  };
}
