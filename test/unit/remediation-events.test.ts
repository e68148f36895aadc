import highCpu from '../../events/alarm-high-cpu.json';
import highErrorRate from '../../events/alarm-high-error-rate.json';
import highLatency from '../../events/alarm-high-latency.json';
import highMemory from '../../events/alarm-high-memory.json';
import deploymentFailed from '../../events/remediation-ecs-deployment-failed.json';
import rdsFailover from '../../events/remediation-rds-failover.json';
import { InvalidRemediationEvent, readEvent } from '../../functions/alarm-remediation/events.js';

const settings = { prefix: 'financehub-staging', databaseInstanceId: 'financehub-staging-db', runbookDocument: 'docs/runbooks/alarm-remediation.md' };

describe('reading what started a remediation', () => {
  it.each([
    ['high CPU', highCpu, 'high-cpu', 'scale-out', 'backend'],
    ['high memory', highMemory, 'high-memory', 'restart', 'worker'],
    ['a high error rate', highErrorRate, 'high-error-rate', 'deployment', 'backend'],
    ['high latency', highLatency, 'high-latency', 'notify', 'frontend'],
    ['a failed deployment', deploymentFailed, 'ecs-deployment-failed', 'deployment', 'backend'],
    ['a database failover', rdsFailover, 'rds-failover', 'verify-health', undefined],
  ])('picks the runbook for %s', (_case, event, kind, runbook, service) => {
    // Act
    const incident = readEvent({ event }, settings);

    // Assess
    expect(incident).toMatchObject({ eventId: event.id, kind, runbook, service, runbookLink: `docs/runbooks/alarm-remediation.md#${kind}`, dryRunRequested: false });
    expect(incident.lockKey).toBe(service ?? 'financehub-staging-db');
    expect(incident.cooldownKey).toBe(`${kind}#${service ?? 'financehub-staging-db'}`);
  });

  it('keeps the alarm reason as context and the requester from the input', () => {
    // Act
    const incident = readEvent({ event: highCpu, dryRun: true, requestedBy: 'alice via fhops' }, settings);

    // Assess
    expect(incident.detail).toBe(`ALARM: ${highCpu.detail.state.reason}`);
    expect(incident).toMatchObject({ dryRunRequested: true, requestedBy: 'alice via fhops', subject: 'financehub-staging-backend-high-cpu' });
  });

  it.each([
    ['an alarm back to OK', { ...highCpu, detail: { ...highCpu.detail, state: { ...highCpu.detail.state, value: 'OK' } } }],
    ['an alarm of another environment', { ...highCpu, detail: { ...highCpu.detail, alarmName: 'financehub-production-backend-high-cpu' } }],
    ['an alarm of this environment without a runbook', { ...highCpu, detail: { ...highCpu.detail, alarmName: 'financehub-staging-notify-slack-undelivered' } }],
    ['an RDS event about the read replica', { ...rdsFailover, detail: { ...rdsFailover.detail, SourceIdentifier: 'financehub-staging-db-replica' } }],
    ['an RDS event that is not a failover', { ...rdsFailover, detail: { ...rdsFailover.detail, EventID: 'RDS-EVENT-0002' } }],
    ['a deployment of an unknown service', { ...deploymentFailed, resources: ['arn:aws:ecs:us-east-1:111111111111:service/financehub-staging/financehub-staging-reports'] }],
  ])('only notifies for %s', (_case, event) => {
    // Act
    const incident = readEvent({ event }, settings);

    // Assess
    expect(incident).toMatchObject({ kind: 'other', runbook: 'notify', service: undefined });
  });

  it('makes the event id safe for execution names', () => {
    // Act
    const incident = readEvent({ event: { ...highCpu, id: 'manual test: backend/cpu' } }, settings);

    // Assess
    expect(incident.eventId).toBe('manual-test-backend-cpu');
  });

  it.each([
    ['no event', { alarm: 'backend is slow' }],
    ['an event without an id', { event: { ...highCpu, id: '' } }],
    ['an alarm event without a state', { event: { ...highCpu, detail: { alarmName: 'financehub-staging-backend-high-cpu' } } }],
  ])('refuses %s with a clear error', (_case, input) => {
    // Act
    const reading = () => readEvent(input, settings);

    // Assess
    expect(reading).toThrow(InvalidRemediationEvent);
    expect(reading).toThrow('Nothing was changed.');
  });
});
