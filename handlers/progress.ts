import { applyExecutionStatus, ExecutionStatusChangeSchema } from '../bot/cases/progress.js';
import { logger } from '../bot/core/logger.js';

/**
 * EventBridge "Step Functions Execution Status Change" -> the case's status, card and thread.
 * An event that is not one is logged with the reason and dropped (retrying it would not help).
 */
export async function handler(event: unknown): Promise<{ outcome: string }> {
  const parsed = ExecutionStatusChangeSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('Not an execution status change; ignored', { issues: parsed.error.issues.slice(0, 3) });
    return { outcome: 'ignored' };
  }
  return { outcome: await applyExecutionStatus(parsed.data) };
}
