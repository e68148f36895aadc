/**
 * The offline world, as a program uses it (`fhops rehearse`, the main job, the tests, a platform engineer's own
 * script): the scenarios, `rehearse(scenario, environment)`, and the simulated account a scenario scripts.
 * docs/rehearsals.md shows how to write a scenario.
 *
 *   const { run, calls, published } = await rehearse(findScenario('restore-drill', 'data-loss'), 'production');
 *   run.status, run.path, run.transitions  // how the synthesized state machine ended and which states it took
 *   calls                                  // every AWS call, in order: `RDS:RestoreDBInstanceToPointInTime {...}`
 *   published                              // the OpsResults on-call would read in Slack
 */
export { type Rehearsal, REHEARSAL_ASSEMBLY_DIR, ensureAssembly, rehearse } from './rehearse.js';
export { SCENARIOS, findScenario } from './scenarios/index.js';
export { type Scenario, type ScriptedAccount, minutesAgo, published, rehearsalExecutionName } from './scenarios/scenario.js';
export { SimulatedAccount, SimulatedRds, publishedResults, rdsInstance, scriptedHealthEndpoint } from './simulated/account.js';
export { SimulatedFailover } from './simulated/failover.js';
export { type SimulatedDatabase, simulatePostgres } from './simulated/postgres.js';
export type { WorkflowRun } from './executor.js';
export { loadFunctionEnvironment } from './assembly.js';
