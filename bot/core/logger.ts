import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Never log a configuration object, a token, a signing secret, a task token or
 * STS credentials: log ids (case, finding, instance, execution) and outcomes.
 */
export const logger = new Logger({
  serviceName: 'forensics-bot',
  logLevel: configuredLogLevel(),
});

type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';

/** POWERTOOLS_LOG_LEVEL (what the stack sets), then LOG_LEVEL; INFO by default, SILENT under vitest. */
export function configuredLogLevel(env: NodeJS.ProcessEnv = process.env): Level {
  return (
    ((env.POWERTOOLS_LOG_LEVEL || env.LOG_LEVEL)?.toUpperCase() as Level | undefined) ??
    (env.VITEST ? 'SILENT' : 'INFO')
  );
}

/**
 * Applies the configured level again, for a process that sets its variables after this module was
 * loaded (the sandbox sets POWERTOOLS_LOG_LEVEL from SANDBOX_LOG_LEVEL when it starts).
 */
export function applyLogLevel(): void {
  logger.setLogLevel(configuredLogLevel());
}
