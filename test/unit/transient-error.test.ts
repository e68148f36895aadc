import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { TransientError, awsCall } from '../../functions/lib/transient-error.js';

const ssm = mockClient(SSMClient);
const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 }, $retryable: { throttling: true } });

beforeEach(() => ssm.reset());
afterAll(() => ssm.restore());

describe('awsCall', () => {
  it('hands a throttle that Powertools Parameters wrapped in GetParameterError to the step Retry as TransientError', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(throttle());

    // Act
    const read = awsCall('Reading the authorization parameter', () => getParameter('/financehub-production/slack/authorization', { forceFetch: true }));

    // Assess
    await expect(read).rejects.toBeInstanceOf(TransientError);
    await expect(read).rejects.toThrow('Reading the authorization parameter: GetParameterError: Rate exceeded');
  });

  it('keeps a refusal wrapped the same way under its own name, for the Catch to report at once', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('User is not authorized to perform: ssm:GetParameter'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));

    // Act
    const read = awsCall('Reading the authorization parameter', () => getParameter('/financehub-production/slack/authorization', { forceFetch: true }));

    // Assess
    await expect(read).rejects.toMatchObject({ name: 'GetParameterError', message: 'User is not authorized to perform: ssm:GetParameter' });
  });
});
