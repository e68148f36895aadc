import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand, type RegisterScalableTargetCommandInput } from '@aws-sdk/client-application-auto-scaling';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
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
  script: (account, environment, executionName) => {
    recordApproval(account, 'scaling-override', environment, overrideInput(environment));
    const { prefix, region, account: id } = environmentConfig(environment);
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
    // Only this rehearsal's own execution is running: nothing earlier to replace.
    account.mock(SFNClient).on(ListExecutionsCommand).resolves({
      executions: [{ executionArn: `arn:aws:states:${region}:${id}:execution:${prefix}-scaling-override:${executionName}`, stateMachineArn: 'arn:x', name: executionName, status: 'RUNNING', startDate: new Date() }],
    });
    published(account);
    return {};
  },
};

/** The backend CPU alarm of an environment, as EventBridge delivers it to the remediation workflow. */

export const scalingOverrideScenarios: readonly Scenario[] = [scalingOverride];
