import { defineSettings, env } from './config.js';

/**
 * Settings of the case lifecycle: the state machines the bot starts, and the approval rules.
 * Validated once per cold start; a missing ARN is named in the error.
 */
export const workflowSettings = defineSettings('Case workflows', {
  CASE_STATE_MACHINE_ARN: env.required('the ARN of the case state machine'),
  RELEASE_STATE_MACHINE_ARN: env.optional(),
  /** The examine workflow: closing a case whose forensic worker runs starts its clean-up there (issue 12). */
  EXAMINE_STATE_MACHINE_ARN: env.optional(),
});

export const approvalSettings = defineSettings('Approvals', {
  /** Four-eyes rule: whoever requested a containment may not approve it. */
  FOUR_EYES: env.bool(true),
  /** Minutes after which a pending approval reminds the commanders (the workflow's Wait uses the same). */
  APPROVAL_REMIND_MINUTES: env.int(15, 1, 24 * 60),
  /**
   * Minutes after the first request at which a pending approval expires (decision "expired"), whatever
   * the reminders. Fractions are allowed (tests expire in seconds, through the real workflow).
   */
  APPROVAL_EXPIRE_MINUTES: env.number(60, 0.005, 7 * 24 * 60),
});

/** Defaults for `/forensics analyze|contain <instance-id> [account] [region]`. */
export const commandSettings = defineSettings('Slash command', {
  DEFAULT_ACCOUNT: env.optional(),
});

/** Cache time of Slack user-group membership (roles); short so a removal takes effect quickly. */
export const authSettings = defineSettings('Authorization', {
  ROLE_CACHE_SECONDS: env.int(60, 0, 3600),
});
