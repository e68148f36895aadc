/** The two isolated environments and the three application services: every layer names them from here. */

export const ENVIRONMENTS = ['staging', 'production'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export const SERVICES = ['frontend', 'backend', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];
