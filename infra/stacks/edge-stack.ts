import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { SecureBucket } from '../constructs/secure-bucket.js';
import { WebFirewall } from '../constructs/web-firewall.js';
import { acknowledge } from '../nag/acknowledge.js';
import type { DataStack } from './data-stack.js';
import type { NetworkStack } from './network-stack.js';

export interface EdgeStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly network: NetworkStack;
  readonly data: DataStack;
  /** The zone this environment owns: records and the certificate's DNS validation are written there only. */
  readonly zone: route53.IHostedZone;
}

export interface ServiceTargetGroups {
  readonly frontend: elbv2.ApplicationTargetGroup;
  readonly backend: elbv2.ApplicationTargetGroup;
}

/** How users reach one environment: DNS, certificate, CloudFront, WAF, and the load balancer with its routing. */
export class EdgeStack extends Stack {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly httpsListener: elbv2.ApplicationListener;
  public readonly targetGroups: ServiceTargetGroups;
  public readonly distribution: cloudfront.Distribution;
  public readonly certificate: acm.ICertificate;
  /** Static assets, the distribution's `/static/*` origin. */
  public readonly staticBucket: s3.IBucket;
  /** The API's public name (the health probe of the failover drill goes through it). */
  public readonly apiDomainName: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config, network } = props;
    const edge = config.edge;
    const production = config.name === 'production';
    const fqdn = (name: string) => (name ? `${name}.${edge.domainName}` : edge.domainName);

    const { zone } = props;
    this.certificate = new acm.Certificate(this, 'Certificate', {
      certificateName: `${config.prefix}-wildcard`,
      domainName: `*.${edge.domainName}`,
      subjectAlternativeNames: [edge.domainName],
      validation: acm.CertificateValidation.fromDns(zone),
    });

    const edgeLogs = new SecureBucket(this, 'EdgeLogs', {
      bucketName: `${config.prefix}-edge-logs-${config.account}`,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(config.storage.backupRetentionDays) }],
    }).bucket;
    this.staticBucket = new SecureBucket(this, 'Static', {
      bucketName: `${config.prefix}-static-${config.account}`,
      serverAccessLogsBucket: edgeLogs,
      lifecycleRules: [
        {
          id: 'glacier-after-90-days',
          transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(config.storage.staticGlacierAfterDays) }],
        },
      ],
    }).bucket;

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      loadBalancerName: config.prefix,
      vpc: network.vpc,
      internetFacing: true,
      vpcSubnets: { subnetGroupName: 'public' },
      securityGroup: network.securityGroups.alb,
      dropInvalidHeaderFields: true,
      deletionProtection: production,
      http2Enabled: true,
    });
    this.loadBalancer.logAccessLogs(edgeLogs, 'alb');
    const httpListener = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    acknowledge(httpListener, 'The port 80 listener serves nothing: it only redirects to HTTPS (the document\'s HTTP -> HTTPS rule).', [
      'ELBv2ACMCertificateRequired',
    ]);

    const targetGroup = (name: 'frontend' | 'backend') => {
      const service = config.services[name];
      return new elbv2.ApplicationTargetGroup(this, `${name}Targets`, {
        targetGroupName: `${config.prefix}-${name}`.slice(0, 32),
        vpc: network.vpc,
        port: service.containerPort,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: { path: service.healthCheckPath, healthyHttpCodes: '200', interval: Duration.seconds(15), healthyThresholdCount: 2 },
      });
    };
    this.targetGroups = { frontend: targetGroup('frontend'), backend: targetGroup('backend') };
    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
      sslPolicy: elbv2.SslPolicy.TLS13_13,
      certificates: [this.certificate],
      defaultTargetGroups: [this.targetGroups.frontend],
    });
    this.httpsListener.addAction('Api', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/api/*'])],
      action: elbv2.ListenerAction.forward([this.targetGroups.backend]),
    });

    const regionalFirewall = new WebFirewall(this, 'RegionalFirewall', {
      name: `${config.prefix}-alb`,
      scope: 'REGIONAL',
      rateLimitPer5Minutes: edge.wafRateLimitPer5Minutes,
      logRetentionDays: config.observability.logRetentionDays,
      logsKey: network.logsKey,
    });
    new wafv2.CfnWebACLAssociation(this, 'LoadBalancerFirewall', {
      resourceArn: this.loadBalancer.loadBalancerArn,
      webAclArn: regionalFirewall.webAcl.attrArn,
    });
    const cdnFirewall = new WebFirewall(this, 'CdnFirewall', {
      name: `${config.prefix}-cdn`,
      scope: 'CLOUDFRONT',
      rateLimitPer5Minutes: edge.wafRateLimitPer5Minutes,
      logRetentionDays: config.observability.logRetentionDays,
      logsKey: network.logsKey,
    });

    const originName = fqdn(edge.originRecordName);
    // CloudFront reaches the ALB by a name the wildcard certificate covers, so the origin connection is verified TLS.
    const albOrigin = new origins.HttpOrigin(originName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const pageCache = new cloudfront.CachePolicy(this, 'PageCache', {
      cachePolicyName: `${config.prefix}-pages`,
      comment: 'Pages: cached one hour',
      defaultTtl: Duration.seconds(edge.defaultCacheSeconds),
      maxTtl: Duration.seconds(edge.defaultCacheSeconds),
      minTtl: Duration.seconds(0),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const staticCache = new cloudfront.CachePolicy(this, 'StaticCache', {
      cachePolicyName: `${config.prefix}-static`,
      comment: 'Static assets: cached one year',
      defaultTtl: Duration.seconds(edge.staticCacheSeconds),
      maxTtl: Duration.seconds(edge.staticCacheSeconds),
      minTtl: Duration.seconds(edge.staticCacheSeconds),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `${config.prefix}-security-headers`,
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
    });
    const common = {
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      responseHeadersPolicy: securityHeaders,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${config.prefix}: pages, API and static assets`,
      domainNames: edge.cdnRecordNames.map(fqdn),
      certificate: this.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: cdnFirewall.webAcl.attrArn,
      enableLogging: true,
      logBucket: edgeLogs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        ...common,
        origin: albOrigin,
        cachePolicy: pageCache,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      additionalBehaviors: {
        '/api/*': {
          ...common,
          origin: albOrigin,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
        '/static/*': {
          ...common,
          origin: origins.S3BucketOrigin.withOriginAccessControl(this.staticBucket),
          cachePolicy: staticCache,
        },
      },
    });

    const record = (id: string, name: string, target: route53.RecordTarget) => {
      new route53.ARecord(this, `${id}A`, { zone, recordName: fqdn(name), target });
      new route53.AaaaRecord(this, `${id}Aaaa`, { zone, recordName: fqdn(name), target });
    };
    const cdnTarget = route53.RecordTarget.fromAlias(new route53targets.CloudFrontTarget(this.distribution));
    const albTarget = route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(this.loadBalancer));
    edge.cdnRecordNames.forEach((name) => record(`Cdn${name || 'Apex'}`, name, cdnTarget));
    edge.albRecordNames.forEach((name) => record(`Alb${name}`, name, albTarget));
    record('Origin', edge.originRecordName, albTarget);
    this.apiDomainName = fqdn(edge.albRecordNames[0] ?? edge.cdnRecordNames[0] ?? edge.originRecordName);

    this.acknowledgeEdgeFindings(config, edgeLogs);
  }

  private acknowledgeEdgeFindings(config: EnvironmentConfig, edgeLogs: s3.IBucket): void {
    acknowledge(edgeLogs, 'Edge logs are audit data kept one year in-region; they are not part of the recovery set.', ['S3BucketReplicationEnabled']);
    acknowledge(edgeLogs, 'ALB access logs and CloudFront standard logs can only be delivered to SSE-S3 buckets.', ['S3DefaultEncryptionKMS']);
    acknowledge(this.staticBucket, 'Static assets are public through CloudFront by design; SSE-S3 encrypts them at rest.', ['S3DefaultEncryptionKMS']);
    acknowledge(this.staticBucket, 'Static assets are rebuilt and uploaded by every deployment; a replica would recover nothing CI cannot reproduce.', [
      'S3BucketReplicationEnabled',
    ]);
    acknowledge(this.distribution, 'The architecture document sets no geo restriction: FinanceHub serves users wherever they are.', ['AwsSolutions-CFR1']);
    if (config.name !== 'production') {
      acknowledge(this.loadBalancer, 'Staging is disposable by design; the production load balancer has deletion protection.', [
        'NIST.800.53.R5-ELBDeletionProtectionEnabled',
      ]);
    }
  }
}
