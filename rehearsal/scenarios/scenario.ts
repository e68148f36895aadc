import { environmentConfig } from '../../infra/config.js';
import { SimulatedEcs, type SimulatedServiceOptions } from '../simulated/ecs.js';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { WorkflowName } from '../../contracts/workflows.js';
import type { RotatedSecret, SecretKind } from '../../functions/lib/rotated-secrets.js';
import type { RotationFunction } from '../rotation.js';
import type { SimulatedDatabase } from '../simulated/postgres.js';
import type { SimulatedSecretsManager } from '../simulated/secrets-manager.js';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type SimulatedAccount } from '../simulated/account.js';
import type { SimulatedClock } from '../simulated/clock.js';
import type { SimulatedStepFunctions } from '../simulated/step-functions.js';

/** Where a rotation scenario makes the rotation fail: one of its steps, the services' restart, or the Slack report. */
export type RotationFailurePoint = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret' | 'restart' | 'revoke' | 'report';

/** A scenario of a secret's rotation: Secrets Manager runs the steps, then the post-rotation workflow runs (rehearsal/rotation.ts). */
export interface ScenarioRotation {
  readonly kind: SecretKind;
  readonly failure?: RotationFailurePoint;
}

/** One scripted situation of the simulated account a workflow (or a rotation function, with `rotation`) is rehearsed in. */
export interface Scenario {
  readonly workflow: WorkflowName | RotationFunction;
  readonly name: string;
  readonly description: string;
  /** What the rehearsal should end in; the main job fails when it does not. */
  readonly expect: 'SUCCEEDED' | 'FAILED';
  /** Function folders whose real handlers run the workflow's Lambda tasks. */
  readonly functions: readonly string[];
  readonly input: (environment: EnvironmentName) => unknown;
  /** Scripts the account for one execution; `world` holds the rehearsal's clock and its strict simulated services. */
  readonly script: (account: SimulatedAccount, environment: EnvironmentName, executionName: string, world: RehearsalWorld) => ScriptedAccount;
  readonly rotation?: ScenarioRotation;
}

/** What every rehearsal has before its scenario scripts the rest: one clock, Step Functions holding the execution itself. */
export interface RehearsalWorld {
  readonly clock: SimulatedClock;
  readonly stepFunctions: SimulatedStepFunctions;
  /** A rotation scenario's secret, as the environment's ingress is configured for it. */
  readonly rotated?: RotatedSecret;
  /**
   * A function's environment as its template sets it (by its Powertools service name), in `region`: for a function
   * the workflow reaches through the simulated account rather than a Task (the DR simulation's agent).
   */
  readonly functionEnvironment: (service: string, region: string) => Record<string, string>;
}

/** The last Wednesday 14:00 UTC: rehearsals start then, far from the Sunday 03:00 maintenance window, whenever they run. */
export function lastWednesdayAfternoon(): number {
  const at = new Date();
  at.setUTCHours(14, 0, 0, 0);
  at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 4) % 7));
  return at.getTime();
}

/** What a scenario's script leaves in place for the rehearsal. */
export interface ScriptedAccount {
  /** Undoes what the script changed outside the simulated account. */
  readonly undo?: () => void;
  /**
   * Clients the scenario's functions are built with instead of the real ones (`createHandler({ clients })`): the
   * clock and the HTTP client of functions that read the time of day or probe the application. SDK clients need
   * none: the simulated account answers every client of a class.
   */
  readonly clients?: Readonly<Record<string, unknown>>;
  /** The simulated databases of the scenario, by host, as the rehearsal left them (what a test reads back). */
  readonly databases?: Readonly<Record<string, SimulatedDatabase>>;
  /** A rotation scenario's Secrets Manager, which rotates the secret. */
  readonly secretsManager?: SimulatedSecretsManager;
  /** What a person does after a failed rotation attempt before Secrets Manager reattempts it (the owner stores the new value). */
  readonly beforeReattempt?: () => Promise<void>;
  /** Whether a value of the rotated secret logs in to what it guards, as the simulated database or Redis holds it now. */
  readonly authenticates?: (secretString: string) => boolean;
}

/** Names the execution after its scenario, so the call log says which rehearsal made it. */
export const rehearsalExecutionName = (scenario: Pick<Scenario, 'workflow' | 'name'>) => `rehearsal-${scenario.workflow}-${scenario.name}`;

/** A time this many minutes before now. */
export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
/** The notification topic accepts every publish: what the workflows tell on-call is read from the call log. */
export const published = (account: SimulatedAccount) => account.mock(SNSClient).on(PublishCommand).resolves({ MessageId: 'rehearsal' });

/** The environment's cluster with its backend and worker (and the frontend, which reads no secret). */
export function simulatedCluster(account: SimulatedAccount, environment: EnvironmentName, services: Partial<Record<'backend' | 'worker', Partial<SimulatedServiceOptions>>> = {}): void {
  const { prefix, region, account: accountId } = environmentConfig(environment);
  const service = (name: 'frontend' | 'backend' | 'worker') => ({ ...(name === 'frontend' ? {} : services[name]), name: `${prefix}-${name}` });
  new SimulatedEcs(account, { region, accountId, clusters: { [prefix]: [service('frontend'), service('backend'), service('worker')] } });
}

/** What a rotation scenario scripts for its kind: the secret's world, and how each failure point is made to happen there. */
export interface RotationWorldScript {
  readonly workflow: RotationFunction;
  readonly kind: SecretKind;
  /** Short name the scenarios are named after: `db-app`, `redis-auth`. */
  readonly name: string;
  /** What rotates, as the scenario descriptions say it. */
  readonly label: string;
  /** The failure points this rotation has, each with what goes wrong in the world. */
  readonly failures: Partial<Record<RotationFailurePoint, string>>;
  readonly script: (account: SimulatedAccount, environment: EnvironmentName, world: RehearsalWorld, failure: RotationFailurePoint | undefined) => ScriptedAccount;
}

/** A rotation's scenarios: it succeeds, then one per failure point, each ending FAILED and reported. */
export function rotationScenarios(rotation: RotationWorldScript): Scenario[] {
  const functions = [rotation.workflow, 'rotation-events', 'post-rotation'];
  const scenario = (failure?: RotationFailurePoint): Scenario => ({
    workflow: rotation.workflow,
    name: failure ? `${rotation.name}-fails-at-${failure}` : `${rotation.name}-rotated`,
    description: failure ? `${rotation.label}: ${rotation.failures[failure]}` : `${rotation.label}: all four steps with one token, then what follows, reported`,
    expect: failure ? 'FAILED' : 'SUCCEEDED',
    functions,
    input: () => ({ rotate: rotation.kind }),
    rotation: { kind: rotation.kind, failure },
    script: (account, environment, _executionName, world) => {
      if (failure === 'report') {
        // Refused where SNS answers, so the call log shows nothing was delivered.
        account.mock(SNSClient).on(PublishCommand).callsFake((input: object) => {
          account.refuse(input);
          throw awsRefusal('KMSDisabledException', 'The KMS key of the notification topic is disabled');
        });
      } else {
        published(account);
      }
      return rotation.script(account, environment, world, failure);
    },
  });
  return [scenario(), ...(Object.keys(rotation.failures) as RotationFailurePoint[]).map(scenario)];
}

/** An error as AWS would answer it (the SDK's name and metadata), for a world that refuses a call. */
export const awsRefusal = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' });
