import { z } from 'zod';
import type { CaseStatus } from '../../bot/core/case-model.js';
import { canTransition } from '../../bot/core/case-model.js';
import { requireCase, transition } from '../../bot/core/case-store.js';
import { CaseConflictError } from '../../bot/core/errors.js';
import { ACCOUNT_ID_RE, CASE_ID_RE, INSTANCE_ID_RE, REGION_RE } from '../../bot/core/ids.js';
import type { Scope } from '../aws/member.js';

/**
 * What a step module is: a name (the `step` of the Lambda payload, the contract with the definitions),
 * a human label for the case thread, a zod schema of its input (loose: the state machine may pass more),
 * the work, and what to say in the thread afterwards (`undefined`: say nothing, e.g. a poll that waits on).
 */
export interface StepModule<S extends z.ZodType = z.ZodType, O = unknown> {
  name: string;
  label: string;
  input: S;
  run(input: z.infer<S>): Promise<O>;
  report?(output: O, input: z.infer<S>): StepReport | undefined;
  /** false: a failure is not posted by the handler (the step reports on its own, e.g. the catch-all). */
  reportFailure?: boolean;
  /** true: runs when the case is closed (a clean-up, e.g. terminating the case's forensic worker). */
  runsOnClosedCase?: boolean;
}

export interface StepReport {
  outcome: 'succeeded' | 'skipped' | 'started' | 'failed';
  detail?: string;
  /** Replaces the module's label when one module does several things (a poll of different phases). */
  label?: string;
}

/** Typed constructor of a step module (infers the input type from the schema). */
export function defineStep<S extends z.ZodType, O>(step: StepModule<S, O>): StepModule<S, O> {
  return step;
}

export const caseIdField = z.string().regex(CASE_ID_RE, 'not a case id (CASE-YYYYMMDD-XXXX)');
export const instanceIdField = z.string().regex(INSTANCE_ID_RE, 'not an EC2 instance id');
export const accountField = z.string().regex(ACCOUNT_ID_RE, 'an AWS account id is 12 digits');
export const regionField = z.string().regex(REGION_RE, 'not an AWS region');

/** The input every step about an instance receives. Every id is validated before any call uses it. */
export const TargetInput = z.looseObject({
  caseId: caseIdField,
  instanceId: instanceIdField,
  account: accountField,
  region: regionField,
});
export type TargetInput = z.infer<typeof TargetInput>;

export const scopeOf = (input: TargetInput): Scope => ({
  account: input.account,
  region: input.region,
  caseId: input.caseId,
});

/**
 * Moves the case to `to` when the move is allowed from where it stands; otherwise leaves it (a step
 * retried, or a status the Slack side already set). Returns whether it moved.
 */
export async function advanceCase(caseId: string, to: CaseStatus, extra = {}): Promise<boolean> {
  const current = await requireCase(caseId);
  if (current.status === to || !canTransition(current.status, to)) return false;
  try {
    await transition(caseId, to, extra);
    return true;
  } catch (error) {
    if (error instanceof CaseConflictError) return false;
    throw error;
  }
}

/** Plural words for thread lines ("1 ENI", "2 ENIs"). */
export const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
