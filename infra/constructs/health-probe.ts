import type { EnvironmentConfig } from '../config.js';

/** The URL the drill and the remediation probe: the backend's health path through the load balancer's TLS name. */
export function healthProbeUrl(config: EnvironmentConfig): string {
  const { edge } = config;
  const host = edge.originRecordName ? `${edge.originRecordName}.${edge.domainName}` : edge.domainName;
  return `https://${host}${config.healthProbe.path}`;
}
