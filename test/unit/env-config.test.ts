import * as z from 'zod';
import { envField, readConfig } from '../../functions/lib/env.js';
import { rotatedSecretsField } from '../../functions/lib/rotated-secrets.js';

describe('a function’s configuration read from its environment', () => {
  const schema = z.object({ TABLE_NAME: envField.text, APPROVAL_MINUTES: envField.positiveInt, ROTATED_SECRETS: rotatedSecretsField });
  const secrets = [{ secretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:app-AbCdEf', kind: 'database-app', services: ['financehub-staging-backend'] }];

  it('parses every variable to its type', () => {
    // Act
    const config = readConfig(schema, { TABLE_NAME: 'ops', APPROVAL_MINUTES: '15', ROTATED_SECRETS: JSON.stringify(secrets) });

    // Assess
    expect(config).toMatchObject({ TABLE_NAME: 'ops', APPROVAL_MINUTES: 15, ROTATED_SECRETS: [{ kind: 'database-app' }] });
  });

  it('names each variable that is missing or malformed, with what is wrong', () => {
    // Act
    const read = () => readConfig(schema, { APPROVAL_MINUTES: '1.5', ROTATED_SECRETS: '{' });

    // Assess
    expect(read).toThrow(
      'Invalid function configuration: TABLE_NAME is not set; APPROVAL_MINUTES is malformed: Invalid input: expected int, received number; ROTATED_SECRETS is malformed: not JSON',
    );
  });

  it('names the JSON variable, and the place inside it, where an item is malformed', () => {
    // Act
    const read = () => readConfig(schema, { TABLE_NAME: 'ops', APPROVAL_MINUTES: '15', ROTATED_SECRETS: JSON.stringify([{ ...secrets[0], secretArn: 'AppSecretAttachment' }]) });

    // Assess
    expect(read).toThrow('ROTATED_SECRETS is malformed at 0.secretArn: Invalid string: must start with "arn:"');
  });
});
