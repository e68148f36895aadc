import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { EnvironmentConfig } from '../config.js';
import type { ApprovalGate } from './approval-gate.js';

/** What every workflow of an environment is built with (infra/stacks/ops-stack.ts gives the same to each). */
export interface WorkflowProps {
  readonly config: EnvironmentConfig;
  /** The ops functions' network: private subnets, whose NAT reaches AWS's public endpoints and the application. */
  readonly vpc: ec2.IVpc;
  /** The ops functions' group: HTTPS out (AWS APIs, the health probes through the load balancer). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The notification topic: every result goes there, and notify-slack posts it. */
  readonly topic: sns.ITopic;
  /** Encrypts log groups and dead-letter queues. */
  readonly logsKey: kms.IKey;
}

/** A workflow that verifies a second person's approval first, where the config says it needs one (production). */
export interface GatedWorkflowProps extends WorkflowProps {
  readonly approvalGate?: ApprovalGate;
}
