import { parseInput } from '../../cli/commands/start.js';
import { pickScenario } from '../../cli/commands/rehearse.js';
import { AwsAccessError, FollowFailed, closest, explainAwsError } from '../../cli/errors.js';

/** What the SDK's credential chain throws when it finds no identity. */
const noCredentials = () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });

describe('fhops errors', () => {
  it.each([
    ['prod', ['staging', 'production'], 'production'],
    ['stagin', ['staging', 'production'], 'staging'],
    ['restor-drill', ['backup-verification', 'restore-drill', 'failover-drill'], 'restore-drill'],
    ['dataloss', ['passing', 'data-loss'], 'data-loss'],
    ['zzz', ['staging', 'production'], undefined],
  ])('suggests for "%s" the nearest of %j: %s', (typed, candidates, expected) => {
    // Act
    const suggestion = closest(typed, candidates);

    // Assess
    expect(suggestion).toBe(expected);
  });

  it('answers a mistyped scenario with the nearest one, the list, and that nothing was changed', () => {
    // Act
    const pick = () => pickScenario('restore-drill', 'dataloss');

    // Assess
    expect(pick).toThrow('Unknown scenario of restore-drill: "dataloss". Did you mean "data-loss"?\nChoose one of: passing, data-loss.\nNothing was changed.');
  });

  it.each([
    ['{bad', '--input is not valid JSON ('],
    ['[1,2]', '--input must be a JSON object.'],
  ])('refuses --input %s, saying how to give it and that nothing was changed', (text, problem) => {
    // Act
    const parse = () => parseInput(text);

    // Assess
    expect(parse).toThrow(problem);
    expect(parse).toThrow(`e.g. --input '{"requestedBy":"ana"}'.\nNothing was changed.`);
  });

  it('turns missing credentials into the profile, SSO and region options, and says nothing was started', () => {
    // Act
    const explained = explainAwsError(noCredentials(), 'us-east-1');

    // Assess
    expect(explained).toBeInstanceOf(AwsAccessError);
    expect((explained as Error).message).toContain('Nothing was started or changed.');
    expect((explained as Error).message).toContain('AWS_PROFILE=<profile>');
    expect((explained as Error).message).toContain('aws sso login --profile <profile>');
    expect((explained as Error).message).toContain('fhops --region <region>');
    expect((explained as AwsAccessError).exitCode).toBe(3);
  });

  it('never claims nothing was started when following an execution it started failed', () => {
    // Prepare
    const failed = new FollowFailed('arn:aws:states:us-east-1:111111111111:execution:financehub-staging-restore-drill:cli-ana', noCredentials());

    // Act
    const explained = explainAwsError(failed, 'us-east-1');

    // Assess
    expect(explained).toBe(failed);
    expect(failed.message).toContain('was started and may still be running');
    expect(failed.message).toContain('Do not start it again');
  });
});
