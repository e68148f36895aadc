import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { envField, readConfig } from './env.js';
import { type HandlerOverrides, opsHandler } from './handler.js';
import { logger } from './powertools.js';
import { tracer } from './tracer.js';
import { awsCall } from './transient-error.js';

export interface Started {
  readonly executionName: string;
  readonly executionArn: string;
  /** True when the execution of this name was already started (a second delivery of the same event). */
  readonly duplicate: boolean;
}

/**
 * Starts the execution `name` at most once: EventBridge delivers at least once, and Step Functions refuses a second
 * execution of the same name (ExecutionAlreadyExists), so a second delivery starts nothing and says so.
 */
export async function startOnce(sfn: SFNClient, stateMachineArn: string, name: string, input: unknown, what: string): Promise<Started> {
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    const started = await awsCall(what, () => sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
    return { executionName: name, executionArn: started.executionArn ?? executionArn, duplicate: false };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return { executionName: name, executionArn, duplicate: true };
    throw error;
  }
}

const environmentSchema = z.object({ STATE_MACHINE_ARN: envField.arn });

/**
 * `createHandler` of a function that starts one execution per event (`start`), logging what it did: the state machine
 * from Lambda's environment and a real Step Functions client unless the overrides give others.
 */
export function startFunctionHandler(start: (sfn: SFNClient, stateMachineArn: string, event: unknown) => Promise<Started>, logged: { readonly started: string; readonly duplicate: string }) {
  return (overrides: HandlerOverrides<{ readonly sfn: SFNClient }> = {}) => {
    const env = readConfig(environmentSchema, overrides.environment);
    const { sfn } = { sfn: tracer.captureAWSv3Client(new SFNClient({})), ...overrides.clients };
    return opsHandler(
      async (event: unknown) => {
        const started = await start(sfn, env.STATE_MACHINE_ARN, event);
        logger.info(started.duplicate ? logged.duplicate : logged.started, { ...started });
        return started;
      },
      { correlationIdPath: 'id', tracer },
    );
  };
}
