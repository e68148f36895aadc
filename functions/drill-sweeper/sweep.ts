import { type DBInstance, DBInstanceNotFoundFault, DeleteDBInstanceCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { OpsResultInput } from '../../contracts/ops-result.js';
import { DRILL_PURPOSE, DRILL_TAG, manualDeleteCommand } from '../restore-drill/drill.js';
import type { EnvironmentName } from '../../contracts/environments.js';

export interface SweeperConfig {
  readonly environment: EnvironmentName;
  readonly region: string;
  /** `${prefix}-drill-` */
  readonly drillInstancePrefix: string;
  readonly maxAgeHours: number;
}

export interface SweptInstance {
  readonly instanceId: string;
  readonly createdAt?: string;
  readonly ageHours?: number;
  readonly status?: string;
  readonly drillExecution?: string;
  /** `deleted`: deletion requested now; `already-deleting`; `failed`: RDS refused (see `problem`). */
  readonly result: 'deleted' | 'already-deleting' | 'failed';
  readonly problem?: string;
}

async function* allInstances(rds: RDSClient): AsyncGenerator<DBInstance> {
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBInstancesCommand({ Marker: marker, MaxRecords: 100 }));
    yield* page.DBInstances ?? [];
    marker = page.Marker;
  } while (marker);
}

const tag = (instance: DBInstance, key: string) => instance.TagList?.find((t) => t.Key === key)?.Value;

/** Drill instances of this environment older than the limit: named like a drill AND tagged as one (as the drill tags them). */
export async function findStaleDrillInstances(rds: RDSClient, config: SweeperConfig, now: Date): Promise<DBInstance[]> {
  const stale: DBInstance[] = [];
  for await (const instance of allInstances(rds)) {
    const id = instance.DBInstanceIdentifier ?? '';
    if (!id.startsWith(config.drillInstancePrefix) || tag(instance, DRILL_TAG.purpose) !== DRILL_PURPOSE) continue;
    // An instance still being created has no create time yet; it is young by definition.
    const created = instance.InstanceCreateTime;
    if (created && now.getTime() - created.getTime() > config.maxAgeHours * 3_600_000) stale.push(instance);
  }
  return stale;
}

/** Deletes each stale drill instance (no final snapshot, no retained backups) and says what happened to each. */
export async function sweepDrillInstances(rds: RDSClient, config: SweeperConfig, now: Date): Promise<SweptInstance[]> {
  const stale = await findStaleDrillInstances(rds, config, now);
  const swept: SweptInstance[] = [];
  for (const instance of stale) {
    const instanceId = instance.DBInstanceIdentifier ?? '';
    const createdAt = instance.InstanceCreateTime;
    const base = {
      instanceId,
      createdAt: createdAt?.toISOString(),
      ageHours: createdAt ? Math.round(((now.getTime() - createdAt.getTime()) / 3_600_000) * 10) / 10 : undefined,
      status: instance.DBInstanceStatus,
      drillExecution: tag(instance, DRILL_TAG.execution),
    };
    if (instance.DBInstanceStatus === 'deleting') {
      swept.push({ ...base, result: 'already-deleting' });
      continue;
    }
    try {
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instanceId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
      swept.push({ ...base, result: 'deleted' });
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) {
        swept.push({ ...base, result: 'already-deleting' });
        continue;
      }
      swept.push({ ...base, result: 'failed', problem: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  return swept;
}

/** The OpsResult of a sweep that found something: a drill died mid-way, and what became of its instance. */
export function sweepResult(swept: readonly SweptInstance[], config: SweeperConfig, startedAt: Date, finishedAt: Date): OpsResultInput {
  const failed = swept.filter((s) => s.result === 'failed');
  const describe = (s: SweptInstance) => `${s.instanceId} (${s.ageHours ?? '?'} h old, ${s.status ?? 'unknown'}${s.drillExecution ? `, drill ${s.drillExecution}` : ''})`;
  return {
    kind: 'OpsResult',
    workflow: 'drill-sweeper',
    environment: config.environment,
    outcome: failed.length ? 'failed' : 'succeeded',
    severity: failed.length ? 'critical' : 'warning',
    summary: failed.length
      ? `ORPHAN REMAINS: could not delete ${failed.map((s) => `${describe(s)}: ${s.problem}`).join('; ')}`
      : `Deleted ${swept.length} restore-drill instance(s) older than ${config.maxAgeHours} h, left by a drill that died mid-way: ${swept.map(describe).join('; ')}`,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    measurements: [{ name: 'Stale drill instances', value: swept.length, unit: 'count', target: 0, passed: false }],
    actionsTaken: swept.map((s) => (s.result === 'failed' ? `Could not delete ${s.instanceId}` : `Deleted ${s.instanceId} (no final snapshot)`)),
    howToUndo: failed.length
      ? `Delete by hand: ${failed.map((s) => manualDeleteCommand(s.instanceId, config.region)).join(' && ')}`
      : 'Nothing to undo: these were temporary copies made by the restore drill; the source database is untouched. Runbook: docs/runbooks/restore-drill.md',
  };
}
