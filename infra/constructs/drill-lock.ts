import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DRILL_LOCK_KEY } from '../../functions/lib/drill-lock.js';
import type { OpsFunction } from './ops-function.js';
import { OpsLambdaStep, catchTo } from './ops-lambda-step.js';
import type { OpsTable } from './ops-table.js';

/**
 * The drill lock of an environment (functions/lib/drill-lock.ts) for a drill's function: the table and the lock's
 * lifetime in its environment, and the right to write and delete that one item and no other of the table.
 */
export function bindDrillLock(fn: OpsFunction, table: OpsTable, maxDuration: Duration): void {
  fn.addEnvironment('DRILL_LOCK_TABLE', table.tableName);
  fn.addEnvironment('DRILL_LOCK_MAX_MINUTES', String(maxDuration.toMinutes()));
  table.grantKeyActions(fn, DRILL_LOCK_KEY, 'dynamodb:PutItem', 'dynamodb:DeleteItem');
}

/** The name of the state that releases the lock, in every drill. */
export const RELEASE_DRILL_LOCK = 'Release the drill lock';

/**
 * The state every path of a drill passes before its report: releases the lock this execution holds (a no-op when it
 * holds none). What it answers is at `$.lockRelease`; when it still fails after its retries the error is at
 * `$.lockReleaseFailure` and the report says the lock is held, until when, and how to release it.
 */
export function releaseDrillLockStep(scope: Construct, fn: OpsFunction, report: OpsLambdaStep): OpsLambdaStep {
  const release = new OpsLambdaStep(scope, RELEASE_DRILL_LOCK, {
    lambdaFunction: fn,
    payload: { action: 'releaseLock', 'executionArn.$': '$$.Execution.Id' },
    resultPath: '$.lockRelease',
  });
  catchTo(release, report, '$.lockReleaseFailure');
  release.next(report);
  return release;
}
