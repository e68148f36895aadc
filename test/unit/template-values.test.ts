import { resolveTemplateValue } from '../../rehearsal/definition.js';

describe('a template value resolved for a rehearsal', () => {
  it('gives a secret target attachment’s Ref as the ARN of the secret it attaches, as CloudFormation does', () => {
    // Prepare
    const template = {
      Resources: {
        AppSecret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'financehub-staging/db/app' } },
        AppSecretAttachment: { Type: 'AWS::SecretsManager::SecretTargetAttachment', Properties: { SecretId: { Ref: 'AppSecret' }, TargetId: { Ref: 'Database' } } },
      },
    };

    // Act
    const value = resolveTemplateValue(template, { Ref: 'AppSecretAttachment' }, { region: 'us-east-1', account: '111111111111' });

    // Assess
    expect(value).toBe(resolveTemplateValue(template, { Ref: 'AppSecret' }, { region: 'us-east-1', account: '111111111111' }));
    expect(value).toMatch(/^arn:aws:secretsmanager:us-east-1:111111111111:secret:financehub-staging\/db\/app-/);
  });
});
