import { DEFAULT_CONTEXT, DeploymentSettingError, deploymentContextFrom } from '../../infra/config.js';

const real = { stagingAccount: '123456789012', productionAccount: '210987654321', hostedZoneId: 'Z05512345ABCDEFGHIJK', slackWorkspaceId: 'T01FINHUB', slackStagingCriticalChannel: 'C01STAGECRIT', slackProductionCriticalChannel: 'C01PRODCRIT', imageTag: '3f9c2e1' };

function refusal(values: Record<string, unknown>): DeploymentSettingError {
  try {
    deploymentContextFrom(values);
  } catch (error) {
    if (error instanceof DeploymentSettingError) return error;
    throw error;
  }
  throw new Error('the settings were accepted');
}

describe('deployment settings', () => {
  it('is the offline world when no account setting is given', () => {
    // Act
    const context = deploymentContextFrom({});

    // Assess
    expect(context).toEqual(DEFAULT_CONTEXT);
    expect(context.real).toBe(false);
  });

  it('accepts a complete real deploy with an immutable tag', () => {
    // Act
    const context = deploymentContextFrom(real);

    // Assess
    expect(context).toEqual({ ...real, domainName: 'financehub.com', githubOwner: 'financehub', phase: 'all', real: true });
  });

  it('accepts the registry phase of a first deploy without an image tag', () => {
    // Act
    const context = deploymentContextFrom({ ...real, imageTag: undefined, phase: 'registry' });

    // Assess
    expect(context).toMatchObject({ phase: 'registry', real: true, imageTag: undefined });
  });

  it('refuses one account for both environments, naming both settings', () => {
    // Act
    const error = refusal({ ...real, productionAccount: real.stagingAccount });

    // Assess
    expect(error.setting).toBe('stagingAccount, productionAccount');
    expect(error.message).toContain('must be separate accounts');
  });

  it('refuses a real deploy with a missing setting, naming what to pass', () => {
    // Act
    const error = refusal({ stagingAccount: real.stagingAccount, imageTag: real.imageTag });

    // Assess
    expect(error.setting).toBe('productionAccount, hostedZoneId');
    expect(error.message).toContain('-c productionAccount=... -c hostedZoneId=...');
  });

  it.each([
    [{ slackWorkspaceId: undefined }, 'slackWorkspaceId', 'missing for a real deploy: pass -c slackWorkspaceId=...'],
    [{ slackProductionCriticalChannel: '#critical' }, 'slackProductionCriticalChannel', 'is not a Slack channel id'],
  ])('refuses a real deploy whose critical Slack channel is missing or malformed (%j)', (change, setting, message) => {
    // Act
    const error = refusal({ ...real, ...change });

    // Assess
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(message);
  });

  it('refuses a real deploy without an image tag and says how to deploy the registries first', () => {
    // Act
    const error = refusal({ ...real, imageTag: undefined });

    // Assess
    expect(error.setting).toBe('imageTag');
    expect(error.message).toContain('-c imageTag=<tag>');
    expect(error.message).toContain('-c phase=registry');
  });

  it.each(['latest', 'LATEST'])('refuses the mutable tag %s', (imageTag) => {
    // Act
    const error = refusal({ ...real, imageTag });

    // Assess
    expect(error.setting).toBe('imageTag');
    expect(error.message).toContain('"latest" is refused');
  });

  it.each([
    ['stagingAccount', '12345', 'is not a 12-digit AWS account id'],
    ['productionAccount', '111111111111', 'offline placeholder'],
    ['hostedZoneId', 'financehub.com', 'is not a Route53 hosted zone id'],
    ['imageTag', 'v1 beta', 'is not an ECR image tag'],
    ['domainName', 'FinanceHub.com', 'is not a lower-case DNS name'],
    ['phase', 'compute', 'must be registry or all'],
    ['githubOwner', 'finance hub', 'is not a GitHub organization or user name'],
  ])('refuses %s=%s', (setting, value, reason) => {
    // Act
    const error = refusal({ ...real, [setting]: value });

    // Assess
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(reason);
  });
});
