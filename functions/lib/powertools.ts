import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** One Logger and Metrics per process (the Tracer is in tracer.ts), shared by every module (service name from POWERTOOLS_SERVICE_NAME). */
export const logger = new Logger();
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'FinanceHub/Ops',
  // Every OpsFunction sets ENVIRONMENT: dashboards and alarms select their environment's metrics by it.
  defaultDimensions: process.env.ENVIRONMENT ? { environment: process.env.ENVIRONMENT } : {},
});
