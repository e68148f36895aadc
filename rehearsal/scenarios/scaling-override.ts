import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand, type RegisterScalableTargetCommandInput } from '@aws-sdk/client-application-auto-scaling';
import { environmentConfig } from '../../infra/config.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { approvedInput, recordApproval } from './four-eyes.js';
import { type Scenario, published } from './scenario.js';

const overrideInput = (environment: EnvironmentName) => approvedInput('scaling-override', environment, { environment, service: 'backend', min: 4, max: 16, durationMinutes: 60, reason: 'month-end batch run', requestedBy: 'rehearsal' });

const scalingOverride: Scenario = {
  workflow: 'scaling-override',
  name: 'apply-revert',
  description: 'backend raised to 4..16 for 60 minutes (the wait takes no time here), then back to its 2..10 baseline',
  expect: 'SUCCEEDED',
  functions: ['verify-approval', 'scaling-override'],
  input: (environment) => overrideInput(environment),
  script: (account, environment, _executionName, { clock }) => {
    recordApproval(account, 'scaling-override', environment, overrideInput(environment), clock.now());
    const { prefix, region } = environmentConfig(environment);
    const resourceId = `service/${prefix}/${prefix}-backend`;
    let bounds = { min: 2, max: 10 };
    const autoscaling = account.mock(ApplicationAutoScalingClient);
    autoscaling.on(DescribeScalableTargetsCommand).callsFake(async () => ({
      ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: resourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: bounds.min, MaxCapacity: bounds.max, RoleARN: 'arn:x', CreationTime: new Date() }],
    }));
    autoscaling.on(RegisterScalableTargetCommand).callsFake(async (input: RegisterScalableTargetCommandInput) => {
      bounds = { min: input.MinCapacity ?? bounds.min, max: input.MaxCapacity ?? bounds.max };
      return { ScalableTargetARN: `arn:aws:application-autoscaling:${region}:000000000000:scalable-target/rehearsal` };
    });
    // Only this rehearsal's own execution is running (the world's Step Functions holds it): nothing earlier to replace.
    published(account);
    return {};
  },
};

/** The backend CPU alarm of an environment, as EventBridge delivers it to the remediation workflow. */

export const scalingOverrideScenarios: readonly Scenario[] = [scalingOverride];
