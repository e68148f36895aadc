import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from './support/synth.js';

const app = synthesizeApp();
const environments = [
  ['staging', app.staging],
  ['production', app.production],
] as const;

describe.each(environments)('%s edge', (env, stacks) => {
  const template = Template.fromStack(stacks.edge);
  const prefix = `financehub-${env}`;

  it('has an internet-facing load balancer that redirects HTTP to HTTPS and serves HTTPS with TLS 1.3 only', () => {
    // Assess
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: String(env === 'production') },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
    });
  });

  it.each([
    ['frontend', 3000, '/health'],
    ['backend', 8000, '/api/health'],
  ])('has a %s target group on port %i checked at %s', (service, port, path) => {
    // Assess
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Name: `${prefix}-${service}`,
      Port: port,
      TargetType: 'ip',
      HealthCheckPath: path,
    });
  });

  it('routes /api/* to the backend', () => {
    // Assess
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('caches /static/* one year, /api/* not at all, everything else one hour, at price class 100', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ Name: `${prefix}-static`, DefaultTTL: 31536000, MaxTTL: 31536000 }),
    });
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ Name: `${prefix}-pages`, DefaultTTL: 3600 }),
    });
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]?.Properties.DistributionConfig;
    expect(distribution.PriceClass).toBe('PriceClass_100');
    expect(distribution.ViewerCertificate.MinimumProtocolVersion).toBe('TLSv1.2_2021');
    const behaviors = Object.fromEntries(distribution.CacheBehaviors.map((b: { PathPattern: string; CachePolicyId: unknown }) => [b.PathPattern, b.CachePolicyId]));
    // The managed CachingDisabled policy id.
    expect(behaviors['/api/*']).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(JSON.stringify(behaviors['/static/*'])).toContain('StaticCache');
    expect(JSON.stringify(distribution.DefaultCacheBehavior.CachePolicyId)).toContain('PageCache');
  });

  it.each(['CLOUDFRONT', 'REGIONAL'])('protects the %s scope with the document’s WAF rules and a 2000 per 5 minutes rate limit', (scope) => {
    // Prepare
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL')).find((r) => r.Properties.Scope === scope);

    // Act
    const rules = acl?.Properties.Rules as { Name: string; Statement: { RateBasedStatement?: { Limit: number } } }[];

    // Assess
    expect(rules.map((rule) => rule.Name).sort()).toEqual(
      [
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesBotControlRuleSet',
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'AWSManagedRulesSQLiRuleSet',
        'rate-limit-per-ip',
      ].sort(),
    );
    expect(rules.find((rule) => rule.Name === 'rate-limit-per-ip')?.Statement.RateBasedStatement?.Limit).toBe(2000);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 2);
  });

  it('has a wildcard certificate validated by DNS in the zone the environment owns', () => {
    // Prepare
    const zone = env === 'production' ? 'financehub.com' : 'staging.financehub.com';
    const zoneId = env === 'production' ? 'Z0000000000000FINHUB' : { 'Fn::ImportValue': Match.stringLikeRegexp('FinanceHub-staging-Dns') };

    // Assess
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: `*.${zone}`,
      SubjectAlternativeNames: [zone],
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: zone, HostedZoneId: zoneId }],
    });
  });
});

describe('DNS records of both environments', () => {
  const records = (template: Template) =>
    Object.values(template.findResources('AWS::Route53::RecordSet'))
      .filter((r) => r.Properties.Type === 'A')
      .map((r) => [r.Properties.Name, JSON.stringify(r.Properties.AliasTarget.DNSName).includes('LoadBalancer') ? 'alb' : 'cdn']);

  it('points financehub.com and www at CloudFront and api straight at the production load balancer', () => {
    // Assess
    expect(records(Template.fromStack(app.production.edge)).sort()).toEqual(
      [
        ['financehub.com.', 'cdn'],
        ['www.financehub.com.', 'cdn'],
        ['api.financehub.com.', 'alb'],
        ['origin.financehub.com.', 'alb'],
      ].sort(),
    );
  });

  it('points staging.financehub.com at the staging distribution, in the staging zone', () => {
    // Assess
    expect(records(Template.fromStack(app.staging.edge)).sort()).toEqual(
      [
        ['staging.financehub.com.', 'cdn'],
        ['origin.staging.financehub.com.', 'alb'],
      ].sort(),
    );
  });
});

describe.each(environments)('%s compute', (env, stacks) => {
  const template = Template.fromStack(stacks.compute);
  const prefix = `financehub-${env}`;
  const logRetention = env === 'production' ? 7 : 1;

  it.each([
    ['frontend', '1024', '2048', 2, 10],
    ['backend', '2048', '4096', 2, 10],
    ['worker', '1024', '2048', 2, 5],
  ])('runs %s with %s CPU units and %s MiB, scaling %i to %i', (service, cpu, memory, min, max) => {
    // Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Family: `${prefix}-${service}`, Cpu: cpu, Memory: memory });
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: `${prefix}-${service}`,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: `service/${prefix}/${prefix}-${service}`,
      MinCapacity: min,
      MaxCapacity: max,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/ecs/${service}`, RetentionInDays: logRetention });
  });

  it('tracks 50% CPU and steps out above 70% for 2 minutes, in below 30% for 5 minutes', () => {
    // Assess
    template.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      { TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 50 }) },
      3,
    );
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { Threshold: 70, EvaluationPeriods: 2, ComparisonOperator: 'GreaterThanThreshold', Period: 60 },
      3,
    );
    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { Threshold: 30, EvaluationPeriods: 5, ComparisonOperator: 'LessThanThreshold', Period: 60 },
      3,
    );
  });

  it('injects database credentials from Secrets Manager, never as plain variables', () => {
    // Prepare
    const backend = Object.values(template.findResources('AWS::ECS::TaskDefinition')).find((r) => r.Properties.Family === `${prefix}-backend`);
    const app = backend?.Properties.ContainerDefinitions.find((c: { Name: string }) => c.Name === 'backend');

    // Assess
    expect(app.Secrets.map((s: { Name: string }) => s.Name)).toEqual(
      expect.arrayContaining(['DATABASE_PASSWORD', 'DATABASE_USER', 'DATABASE_HOST', 'REDIS_AUTH_TOKEN', 'DJANGO_SECRET_KEYS']),
    );
    const plain = JSON.stringify(app.Environment);
    expect(plain).not.toMatch(/PASSWORD|SECRET_KEY|AUTH_TOKEN/);
    expect(plain).toContain('"UPLOAD_MAX_BYTES","Value":"10485760"');
  });

  it('gives the worker its queues, a container health check and the shared file system at /mnt/efs', () => {
    // Prepare
    const worker = Object.values(template.findResources('AWS::ECS::TaskDefinition')).find((r) => r.Properties.Family === `${prefix}-worker`);
    const app = worker?.Properties.ContainerDefinitions.find((c: { Name: string }) => c.Name === 'worker');

    // Assess
    expect(app.Environment).toEqual(expect.arrayContaining([{ Name: 'DRAMATIQ_QUEUES', Value: 'default,high-priority,low-priority' }]));
    expect(app.HealthCheck.Command[0]).toBe('CMD-SHELL');
    expect(app.MountPoints).toEqual([{ SourceVolume: 'shared', ContainerPath: '/mnt/efs', ReadOnly: false }]);
    expect(worker?.Properties.Volumes[0].EFSVolumeConfiguration).toMatchObject({ TransitEncryption: 'ENABLED' });
  });

  it('pulls each image by its immutable tag from the registry stack’s repositories, creating none itself', () => {
    // Assess
    template.resourceCountIs('AWS::ECR::Repository', 0);
    const images = Object.values(template.findResources('AWS::ECS::TaskDefinition')).map((r) => JSON.stringify(r.Properties.ContainerDefinitions[0].Image));
    expect(images).toHaveLength(3);
    for (const service of ['frontend', 'backend', 'worker']) {
      expect(images.some((image) => image.includes(`/${prefix}/${service}:offline`) && image.includes(`${stacks.config.account}.dkr.ecr.us-east-1.`))).toBe(true);
    }
    expect(stacks.compute.dependencies).toContain(stacks.registry);
  });
});

describe.each(environments)('%s observability', (env, stacks) => {
  const template = Template.fromStack(stacks.observability);
  const prefix = `financehub-${env}`;

  it('has ten alarms: CPU and memory for three services, error rate and p95 latency for two, all to the topic', () => {
    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    for (const service of ['frontend', 'backend', 'worker']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${prefix}-${service}-high-cpu`, Threshold: 80 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${prefix}-${service}-high-memory`, Threshold: 85 });
    }
    for (const service of ['frontend', 'backend']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${prefix}-${service}-high-error-rate`, Threshold: 5 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${prefix}-${service}-high-latency`, Threshold: 2, ExtendedStatistic: 'p95' });
    }
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: topic }], OKActions: [{ Ref: topic }] });
  });

  it('encrypts the notification topic and sends RDS and ECS failure events to it', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: `${prefix}-notifications`, KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::RDS::EventSubscription', { EventCategories: Match.arrayWith(['backup', 'failover', 'failure', 'maintenance']) });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ 'detail-type': ['ECS Deployment State Change'] }) });
  });

  it('has the four dashboards and samples 10% of requests in X-Ray', () => {
    // Assess
    for (const name of ['infrastructure-overview', 'application-performance', 'database-performance', 'error-tracking']) {
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `${prefix}-${name}` });
    }
    template.hasResourceProperties('AWS::XRay::SamplingRule', { SamplingRule: Match.objectLike({ FixedRate: 0.1 }) });
  });
});
