import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand, type RegisterScalableTargetCommandInput } from '@aws-sdk/client-application-auto-scaling';
import { environmentConfig } from '../../infra/config.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { SimulatedAccount } from '../simulated/account.js';
import { SimulatedStepFunctions } from '../simulated/step-functions.js';
import { type FourEyesWorld, type Roster, approvedInput, fourEyesWorld } from './four-eyes.js';
import { type Scenario, awsRefusal, published } from './scenario.js';

/** An override of the same state machine already running, started this many minutes ago (negative: after this one). */
export interface RunningOverride {
  readonly name: string;
  readonly service: string;
  readonly minutesAgo: number;
}

export interface ScalingOverrideWorldOptions {
  /** The account's Step Functions, holding the execution itself (the rehearsal's world has one). @default a new one */
  readonly stepFunctions?: SimulatedStepFunctions;
  /** Other overrides running now (each min 3, max 12 for 120 min, by bob). @default none */
  readonly running?: readonly RunningOverride[];
  /** Someone sets the bounds to these after the override's registration, before its revert. */
  readonly changedBeforeRevert?: { readonly min: number; readonly max: number };
  /** The nth RegisterScalableTarget (1-based) is refused with this error. */
  readonly registerErrors?: Readonly<Record<number, Error>>;
  /** The nth RegisterScalableTarget registers the bounds but answers a 5xx. */
  readonly registeredThenFails?: number;
  /** Who may ask and approve (the production override needs two people). @default the rehearsal's roster */
  readonly roster?: Roster;
}

export interface ScalingOverrideWorld {
  readonly stepFunctions: SimulatedStepFunctions;
  readonly approvals: FourEyesWorld;
}

/**
 * The override's account: the backend's scalable target at its 2..10 baseline (RegisterScalableTarget changes it,
 * DescribeScalableTargets reads it back), the overrides Step Functions runs, the approvals, the notification topic.
 */
export function scalingOverrideWorld(account: SimulatedAccount, environment: EnvironmentName, options: ScalingOverrideWorldOptions = {}): ScalingOverrideWorld {
  const { prefix, region, account: accountId } = environmentConfig(environment);
  const approvals = fourEyesWorld(account, environment, { roster: options.roster });
  const resourceId = `service/${prefix}/${prefix}-backend`;
  let bounds = { min: 2, max: 10 };
  let registrations = 0;
  const autoscaling = account.mock(ApplicationAutoScalingClient);
  autoscaling.on(DescribeScalableTargetsCommand).callsFake(async () => {
    if (options.changedBeforeRevert && registrations === 1) bounds = options.changedBeforeRevert;
    return { ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: bounds.min, MaxCapacity: bounds.max, RoleARN: 'arn:x', CreationTime: new Date() }] };
  });
  autoscaling.on(RegisterScalableTargetCommand).callsFake(async (input: RegisterScalableTargetCommandInput) => {
    registrations += 1;
    const error = options.registerErrors?.[registrations];
    if (error) {
      account.refuse(input);
      throw error;
    }
    bounds = { min: input.MinCapacity ?? bounds.min, max: input.MaxCapacity ?? bounds.max };
    if (options.registeredThenFails === registrations) throw awsRefusal('InternalServiceException', 'We encountered an internal error', 500);
    return { ScalableTargetARN: `arn:aws:application-autoscaling:${region}:${accountId}:scalable-target/0ec5abc` };
  });
  const stepFunctions = options.stepFunctions ?? new SimulatedStepFunctions(account);
  const stateMachineArn = `arn:aws:states:${region}:${accountId}:stateMachine:${prefix}-scaling-override`;
  for (const { name, service, minutesAgo } of options.running ?? []) {
    const input = { environment, service, min: 3, max: 12, durationMinutes: 120, reason: 'earlier', requestedBy: 'bob' };
    stepFunctions.add({ stateMachineArn, name, input: JSON.stringify(input), startDate: new Date(Date.now() - minutesAgo * 60_000) });
  }
  published(account);
  return { stepFunctions, approvals };
}

const overrideInput = (environment: EnvironmentName) => approvedInput('scaling-override', environment, { environment, service: 'backend', min: 4, max: 16, durationMinutes: 60, reason: 'month-end batch run', requestedBy: 'rehearsal' });

const scalingOverride: Scenario = {
  workflow: 'scaling-override',
  name: 'apply-revert',
  description: 'backend raised to 4..16 for 60 minutes (the wait takes no time here), then back to its 2..10 baseline',
  expect: 'SUCCEEDED',
  functions: ['verify-approval', 'scaling-override'],
  input: (environment) => overrideInput(environment),
  script: (account, environment, _executionName, { clock, stepFunctions }) => {
    const input = overrideInput(environment);
    // Only this rehearsal's own execution is running (the world's Step Functions holds it): nothing earlier to replace.
    const { approvals } = scalingOverrideWorld(account, environment, { stepFunctions });
    if (input.approvalId) approvals.record({ workflow: 'scaling-override', input, at: clock.now() });
    return {};
  },
};

export const scalingOverrideScenarios: readonly Scenario[] = [scalingOverride];
