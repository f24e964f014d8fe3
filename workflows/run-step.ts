import { z } from 'zod';
import { getCase, recordThrottled } from '../bot/core/case-store.js';
import { failureDetail } from '../bot/core/case-story.js';
import { CaseClosedError, InvalidInputError } from '../bot/core/errors.js';
import { logger } from '../bot/core/logger.js';
import { isThrottling } from './errors.js';
import { notifier } from './notifier.js';
import { STEPS } from './steps/index.js';

const StepEvent = z.looseObject({ step: z.string().min(1).max(64) });

/**
 * Runs one workflow step: validates `{step, …}`, runs the step module, reports its line in the case
 * thread (through the outbox: the step does not wait for Slack; Slack failures never fail a step),
 * returns its output to the state machine, and rethrows a
 * failure unchanged so that its `name` reaches the definitions' `Retry`/`Catch`.
 */
export async function runStep(event: unknown): Promise<unknown> {
  const parsed = StepEvent.safeParse(event);
  if (!parsed.success) throw new InvalidInputError('A step event needs a "step" name');
  const module = STEPS[parsed.data.step];
  if (!module) throw new InvalidInputError(`Unknown step "${parsed.data.step}"`, 'step');
  const input = module.input.safeParse(event);
  if (!input.success) {
    const issue = input.error.issues[0];
    throw new InvalidInputError(
      `Step ${module.name}: ${issue?.path.join('.') || 'input'} ${issue?.message ?? 'is invalid'}`,
      issue?.path.join('.') ?? '',
    );
  }
  let caseId = (input.data as { caseId?: string }).caseId;
  // Nothing of a closed case acts again: an execution still running when its case was closed (a stop
  // that raced a step) changes nothing and says nothing.
  if (caseId && !module.runsOnClosedCase && (await getCase(caseId))?.status === 'closed')
    throw new CaseClosedError(`${caseId} is closed: step ${module.name} did nothing`);
  const started = Date.now();
  try {
    const output = await module.run(input.data);
    // prepareCase learns the case id (it may open the case).
    caseId ??= (output as { CaseId?: string } | null)?.CaseId;
    const report = module.report ? module.report(output, input.data) : { outcome: 'succeeded' as const };
    if (report && caseId) {
      const { label = module.label, ...line } = report;
      await say(caseId, { step: label, ...line, durationMs: Date.now() - started });
    }
    return output;
  } catch (error) {
    logger.warn('Step failed', {
      step: module.name,
      caseId,
      // An Error object: the logger writes its name, message, stack and cause chain.
      error,
    });
    // Throttling is retried (in the step, then by the state machine): not a failure worth a line, but
    // recorded, so that a failure after every retry names this step.
    if (caseId && isThrottling(error)) await noteThrottled(caseId, module.label, error);
    if (caseId && module.reportFailure !== false && !isThrottling(error))
      await say(caseId, {
        step: module.label,
        outcome: 'failed',
        durationMs: Date.now() - started,
        detail: failureDetail(error),
      });
    throw error;
  }
}

async function noteThrottled(caseId: string, step: string, error: unknown): Promise<void> {
  try {
    await recordThrottled(caseId, step, (error as Error)?.name ?? 'Throttling');
  } catch (recordError) {
    logger.error('Could not record a throttled step', { caseId, step, error: recordError });
  }
}

async function say(caseId: string, line: Parameters<ReturnType<typeof notifier>['postCaseLine']>[1]) {
  try {
    await notifier().postCaseLine(caseId, line);
  } catch (error) {
    logger.error('Could not report a step', { caseId, step: line.step, error });
  }
}
