import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { environmentConfig } from '../../infra/config.js';
import { slackManifest, slackRequestUrl } from '../../cli/slack-manifest.js';

const cloudFormation = mockClient(CloudFormationClient);
const URL = 'https://abc123.lambda-url.us-east-1.on.aws/';

beforeEach(() => cloudFormation.reset());

describe('fhops slack-manifest', () => {
  it('reads the request URL from the deployed Ops stack’s output', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'FinanceHub-production-Ops' }).resolves({
      Stacks: [{ StackName: 'FinanceHub-production-Ops', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'SlackOpsSlackRequestUrlA8E9C95C', OutputValue: URL }] }],
    });

    // Act
    const url = await slackRequestUrl(new CloudFormationClient({}), environmentConfig('production'));

    // Assess
    expect(url).toBe(URL);
  });

  it('says to deploy first when the Ops stack does not exist', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack does not exist'), { name: 'ValidationError' }));

    // Act
    const reading = slackRequestUrl(new CloudFormationClient({}), environmentConfig('staging'));

    // Assess
    await expect(reading).rejects.toThrow('FinanceHub-staging-Ops is not deployed in this account and region: deploy it first');
  });

  it('points the slash command and the approval buttons at the function URL, with the two scopes the app uses', () => {
    // Act
    const manifest = slackManifest(environmentConfig('production'), URL);

    // Assess
    expect(manifest).toMatchObject({
      display_information: { name: 'FinanceHub Ops (production)' },
      features: { slash_commands: [{ command: '/ops', url: URL, should_escape: false }] },
      oauth_config: { scopes: { bot: ['commands', 'incoming-webhook', 'chat:write'] } },
      settings: { interactivity: { is_enabled: true, request_url: URL }, socket_mode_enabled: false },
    });
  });

  it('gives staging its own command, so both apps live in one workspace', () => {
    // Act
    const manifest = slackManifest(environmentConfig('staging'), URL) as { features: { slash_commands: { command: string }[] } };

    // Assess
    expect(manifest.features.slash_commands[0]?.command).toBe('/ops-staging');
  });

  it('refuses a request URL that is not https', () => {
    // Act
    const building = () => slackManifest(environmentConfig('production'), 'http://example.com/');

    // Assess
    expect(building).toThrow('Slack needs an https request URL, got http://example.com/');
  });
});
