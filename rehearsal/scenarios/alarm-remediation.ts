import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { ConditionalTables } from '../simulated/conditional-tables.js';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import highCpu from '../../events/alarm-high-cpu.json' with { type: 'json' };
import { environmentConfig } from '../../infra/config.js';
import { type EnvironmentName, SERVICES } from '../../contracts/environments.js';
import { SimulatedEcs } from '../simulated/ecs.js';
import { type SimulatedAccount } from '../simulated/account.js';
import { type Scenario, published } from './scenario.js';

function backendHighCpu(environment: EnvironmentName) {
  const { prefix, account: id } = environmentConfig(environment);
  const alarm = `${prefix}-backend-high-cpu`;
  return {
    event: {
      ...highCpu,
      account: id,
      resources: [`arn:aws:cloudwatch:us-east-1:${id}:alarm:${alarm}`],
      detail: { ...highCpu.detail, alarmName: alarm },
    },
  };
}

const remediationSwitches = (account: SimulatedAccount, environment: EnvironmentName, killSwitch: 'on' | 'off') => {
  const { prefix } = environmentConfig(environment);
  account.mock(SSMClient).on(GetParametersCommand).resolves({
    Parameters: [
      { Name: `/${prefix}/remediation/kill-switch`, Type: 'String', Value: killSwitch },
      { Name: `/${prefix}/remediation/dry-run`, Type: 'String', Value: 'off' },
    ],
  });
};

const remediationPaused: Scenario = {
  workflow: 'alarm-remediation',
  name: 'kill-switch',
  description: 'backend CPU alarm while the kill switch is on: the runbook is only reported, nothing is changed',
  expect: 'SUCCEEDED',
  functions: ['alarm-remediation'],
  input: backendHighCpu,
  script: (account, environment) => {
    remediationSwitches(account, environment, 'on');
    published(account);
    return {};
  },
};

const remediationScaleOut: Scenario = {
  workflow: 'alarm-remediation',
  name: 'scale-out',
  description: 'backend CPU alarm with 10 tasks at max 10: takes the service lock, starts a 60-minute scaling override to max 12, releases the lock',
  expect: 'SUCCEEDED',
  functions: ['alarm-remediation'],
  input: backendHighCpu,
  script: (account, environment) => {
    const { prefix } = environmentConfig(environment);
    remediationSwitches(account, environment, 'off');
    // Locks and cooldowns are conditional writes against the stored items; the override starts in the world's Step Functions.
    new ConditionalTables(account, { tables: { [`${prefix}-remediation-guardrails`]: 'pk' } });
    const { region, account: accountId } = environmentConfig(environment);
    new SimulatedEcs(account, { region, accountId, clusters: { [prefix]: SERVICES.map((service) => ({ name: `${prefix}-${service}`, desiredCount: service === 'backend' ? 10 : 2 })) } });
    account.mock(ApplicationAutoScalingClient).on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: `service/${prefix}/${prefix}-backend`, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 10, RoleARN: 'arn:x', CreationTime: new Date() }],
    });
    published(account);
    return {};
  },
};

/** The last Wednesday 14:00 UTC: drills run then, far from the Sunday 03:00 maintenance window, whenever the rehearsal runs. */

export const alarmRemediationScenarios: readonly Scenario[] = [remediationPaused, remediationScaleOut];
