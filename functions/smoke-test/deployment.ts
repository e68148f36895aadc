import type { ECSClient } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { SERVICES } from '../../contracts/environments.js';
import { type Release, type ReleaseSettings, readRelease } from '../lib/release.js';

/**
 * Reads the deployment an ECS "Deployment State Change" event is about: other environments' events are ignored, this
 * environment's release is read from ECS (functions/lib/release.ts).
 */

export const DEPLOYMENT_EVENTS = ['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_DEPLOYMENT_FAILED'] as const;

export interface DeploymentSettings extends ReleaseSettings {
  readonly region: string;
  readonly account: string;
}

/** Thrown for input that is not an ECS deployment event: the workflow reports it and changes nothing. */
export class InvalidDeploymentEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDeploymentEvent';
  }
}

const eventSchema = z.object({
  event: z.looseObject({
    id: z.string().min(1),
    'detail-type': z.literal('ECS Deployment State Change'),
    source: z.literal('aws.ecs'),
    account: z.string().regex(/^\d{12}$/),
    region: z.string().min(1),
    time: z.iso.datetime(),
    resources: z.array(z.string().startsWith('arn:aws:ecs:')).min(1),
    detail: z.looseObject({
      eventName: z.enum(DEPLOYMENT_EVENTS),
      deploymentId: z.string().min(1),
      reason: z.string().optional(),
      updatedAt: z.string().optional(),
    }),
  }),
});

export interface Deployment extends Release {
  readonly serviceArn: string;
  readonly eventName: (typeof DEPLOYMENT_EVENTS)[number];
  readonly deploymentId: string;
  readonly eventTime: string;
  readonly eventReason?: string;
}

export type DeploymentReading = { readonly ignored: true; readonly reason: string } | ({ readonly ignored: false } & Deployment);

/** Parses the event, ignores other environments' deployments, then reads the deployment from AWS. */
export async function readDeployment(ecs: ECSClient, settings: DeploymentSettings, input: unknown): Promise<DeploymentReading> {
  const parsed = eventSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidDeploymentEvent(`Not an ECS deployment event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
  }
  const { event } = parsed.data;
  const serviceArn = event.resources[0] ?? '';
  const expected = `arn:aws:ecs:${settings.region}:${settings.account}:service/${settings.clusterName}/`;
  if (event.account !== settings.account || event.region !== settings.region || !serviceArn.startsWith(expected)) {
    return { ignored: true, reason: `${serviceArn} is not a service of ${settings.environment}'s cluster ${settings.clusterName} in ${settings.account}/${settings.region}` };
  }
  const serviceName = serviceArn.slice(expected.length);
  const service = SERVICES.find((name) => serviceName === `${settings.servicePrefix}${name}`);
  if (!service) return { ignored: true, reason: `${serviceName} is not one of ${settings.environment}'s services (${SERVICES.map((n) => settings.servicePrefix + n).join(', ')})` };

  const release = await readRelease(ecs, settings, service);
  return {
    ignored: false,
    ...release,
    serviceArn,
    eventName: event.detail.eventName,
    deploymentId: event.detail.deploymentId,
    eventTime: event.time,
    eventReason: event.detail.reason,
  };
}
