import * as z from 'zod/mini';
import { type EnvironmentName, SERVICES, type ServiceName } from './environments.js';

/**
 * The scaling figures every scaling path checks against, in one shape: the Slack ingress and the CLI (the ceiling and
 * the longest override), the scaling override (the baseline a revert restores) and the alarm remediation (the
 * ceiling of its scale-out). Set once from infra/config.ts as the `SCALING_LIMITS` JSON.
 */
const count = z.number().check(z.int(), z.positive());

export const serviceLimitsSchema = z.object({
  /** The baseline a revert restores (the architecture document's figures). */
  minCapacity: count,
  maxCapacity: count,
  /** Highest max capacity an override may set. */
  overrideMaxCeiling: count,
});

export const scalingLimitsSchema = z.object({
  services: z.object(Object.fromEntries(SERVICES.map((service) => [service, serviceLimitsSchema])) as Record<ServiceName, typeof serviceLimitsSchema>),
  maxDurationMinutes: count,
});

export type ServiceLimits = z.infer<typeof serviceLimitsSchema>;
export type ScalingLimits = z.infer<typeof scalingLimitsSchema>;

/** The input that starts a scaling override, from Slack, the CLI or the remediation (its first state checks it again). */
export interface ScalingOverrideStart {
  readonly environment: EnvironmentName;
  readonly service: ServiceName;
  readonly min: number;
  readonly max: number;
  readonly durationMinutes: number;
  readonly reason: string;
  readonly requestedBy: string;
  readonly approvedBy?: string;
}
