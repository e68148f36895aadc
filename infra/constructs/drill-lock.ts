import type { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DRILL_LOCK_KEY } from '../../functions/lib/drill-lock.js';
import type { OpsFunction } from './ops-function.js';
import { OpsLambdaStep, OpsResultStep, catchTo, reportNotDelivered } from './ops-lambda-step.js';
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

/** The state names of a drill's ending, as its runbook and tests name them. */
export interface DrillEndingStates {
  readonly report: string;
  readonly reportNotWritten: string;
  readonly passed: string;
  readonly succeeded: string;
  readonly skipped: string;
  readonly failed: string;
}

/**
 * How every drill ends: the lock released, then the report written and published by the drill's function (retried as
 * every result step is), then the execution ends as the report's outcome says. A report that still fails fails the
 * execution with why, and the failed-executions alarm tells on-call. Returns the release: every path goes there.
 */
export function drillEnding(scope: Construct, fn: OpsFunction, states: DrillEndingStates, errorPrefix: 'Drill' | 'DrSimulation'): OpsLambdaStep {
  const report = new OpsResultStep(scope, states.report, {
    lambdaFunction: fn,
    payload: { action: 'writeReport', executionName: sfn.JsonPath.stringAt('$$.Execution.Name') },
    notDelivered: reportNotDelivered(scope, states.reportNotWritten, `${errorPrefix}ReportFailed`),
  });
  report.next(
    new sfn.Choice(scope, states.passed)
      .when(sfn.Condition.stringEquals('$.report.outcome', 'succeeded'), new sfn.Succeed(scope, states.succeeded))
      .when(sfn.Condition.stringEquals('$.report.outcome', 'skipped'), new sfn.Succeed(scope, states.skipped))
      .otherwise(new sfn.Fail(scope, states.failed, { error: `${errorPrefix}Failed`, causePath: sfn.JsonPath.stringAt('$.report.summary') })),
  );
  return releaseDrillLockStep(scope, fn, report);
}
