import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Never log a configuration object, a token, a signing secret, a task token or
 * STS credentials: log ids (case, finding, instance, execution) and outcomes.
 */
export const logger = new Logger({
  serviceName: 'forensics-bot',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? (process.env.VITEST ? 'SILENT' : 'INFO'),
});
