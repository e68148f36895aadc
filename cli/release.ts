import type { ECSClient } from '@aws-sdk/client-ecs';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { SERVICES } from '../contracts/environments.js';
import { stateMachineArn, executionName } from '../functions/lib/workflows.js';
import { type Release, type ReleaseSettings, readRelease } from '../functions/lib/release.js';
import type { EnvironmentConfig } from '../infra/config.js';

/** `fhops deploy-status`: what each service of an environment runs, as ECS and the smoke test's executions say. */

export interface ServiceStatus extends Release {
  /** The newest smoke-test execution of this service: its status and whether it tested the deployment running now. */
  readonly lastSmokeTest?: { readonly name: string; readonly status: string; readonly startedAt?: string; readonly ofCurrentDeployment: boolean };
}

export function releaseSettings(config: EnvironmentConfig): ReleaseSettings {
  return { environment: config.name, clusterName: config.prefix, servicePrefix: `${config.prefix}-` };
}

export async function deployStatus(clients: { ecs: ECSClient; sfn: SFNClient }, config: EnvironmentConfig): Promise<ServiceStatus[]> {
  const settings = releaseSettings(config);
  const smokeTests = stateMachineArn(config.region, config.account, config.prefix, 'smoke-test');
  const { executions = [] } = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: smokeTests, maxResults: 100 }));
  return Promise.all(
    SERVICES.map(async (service) => {
      const release = await readRelease(clients.ecs, settings, service);
      const last = executions.filter((e) => e.name?.startsWith(`${service}-`)).sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))[0];
      return {
        ...release,
        lastSmokeTest: last?.name
          ? {
              name: last.name,
              status: last.status ?? 'UNKNOWN',
              startedAt: last.startDate?.toISOString(),
              ofCurrentDeployment: release.primaryDeploymentId !== undefined && last.name === executionName(service, release.primaryDeploymentId),
            }
          : undefined,
      };
    }),
  );
}

const VERDICTS: Record<string, string> = { SUCCEEDED: 'passed', FAILED: 'failed', RUNNING: 'running', TIMED_OUT: 'timed out', ABORTED: 'aborted' };

/** One line per service, as the terminal shows it. */
export function formatStatus(rows: readonly ServiceStatus[]): string[] {
  return rows.map((row) => {
    const revision = row.taskDefinition.split('/').at(-1);
    const tasks = `${row.runningCount ?? '?'}/${row.desiredCount ?? '?'} tasks`;
    const smoke = row.lastSmokeTest
      ? `smoke test ${VERDICTS[row.lastSmokeTest.status] ?? row.lastSmokeTest.status}${row.lastSmokeTest.ofCurrentDeployment ? '' : ' (of an earlier deployment)'}`
      : 'no smoke test on record';
    return `${row.service.padEnd(9)} ${revision} image ${row.imageTag ?? row.image ?? '?'} commit ${row.commit ?? '?'} by ${row.deployedBy}, ${tasks}, rollout ${row.rolloutState ?? '?'}, ${smoke}`;
  });
}
