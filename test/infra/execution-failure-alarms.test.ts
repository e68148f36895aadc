import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();

describe.each([
  ['staging', app.staging, 'C0000STAGECRIT'],
  ['production', app.production, 'C000PRODCRIT'],
] as const)('%s workflow escalations', (env, stacks, channel) => {
  const template = Template.fromStack(stacks.ops);
  const stateMachines = template.findResources('AWS::StepFunctions::StateMachine');
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => String(alarm.Properties.AlarmName).endsWith('-executions-failed'));
  const escalations = Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { TopicName: `financehub-${env}-workflow-escalations` } }));

  it('raises an alarm of its own for every state machine on failed, timed-out and aborted executions', () => {
    // Assess
    expect(Object.keys(stateMachines).length).toBeGreaterThan(0);
    expect(alarms).toHaveLength(Object.keys(stateMachines).length);
    for (const [logicalId, machine] of Object.entries(stateMachines)) {
      const alarm = alarms.find((candidate) => candidate.Properties.AlarmName === `${machine.Properties.StateMachineName}-executions-failed`);
      expect(alarm?.Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      const metrics = (alarm?.Properties.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } } }[]).filter((m) => m.MetricStat);
      expect(metrics.map((m) => m.MetricStat?.Metric.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const metric of metrics) expect(metric.MetricStat?.Metric.Dimensions[0]?.Value).toEqual({ Ref: logicalId });
    }
  });

  it('sends every escalation to its own topic, which AWS Chatbot posts to the critical channel without the notifier', () => {
    // Assess
    expect(escalations).toHaveLength(1);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: escalations[0] }]);
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T00000FINHUB',
      SlackChannelId: channel,
      SnsTopicArns: [{ Ref: escalations[0] }],
    });
    // The notification topic's subscriber (notify-slack) is not on the path.
    expect(template.findResources('AWS::SNS::Subscription', { Properties: { TopicArn: { Ref: escalations[0] } } })).toEqual({});
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: `financehub-${env}-workflow-escalations`, KmsMasterKeyId: Match.anyValue() });
  });
});
