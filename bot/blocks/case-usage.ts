import type { KnownBlock } from '@slack/types';
import { esc } from './case-text.js';

/** The usage help of `/forensics`, shown for `help` and for anything it cannot act on. */
export const FORENSICS_USAGE = [
  '`/forensics status CASE-ID` — the case: status, target, people, timeline, artifacts',
  '`/forensics audit CASE-ID` — who did what on the case, when, with what outcome',
  '`/forensics list` — open cases, newest first, 15 a page (`list after CASE-ID` for the next)',
  '`/forensics rules` — the auto-response rules, in the order they are tried',
  '`/forensics analyze <instance-id> [account] [region]` — open a case and acquire evidence',
  '`/forensics contain <instance-id> [account] [region]` — open a case and contain (commander approval)',
  "`/forensics retry CASE-ID reason` — run a failed case's workflow again, the reason recorded (responders)",
  '`/forensics release CASE-ID` — undo the containment (commanders)',
  '`/forensics close CASE-ID` — close the case (commanders)',
  "`/forensics workstation CASE-ID [hours]` — a forensic workstation with the case's evidence, through Session Manager only, terminated after its hours (4 by default)",
  '`/forensics help` — this help',
].join('\n');

export function usageBlocks(problem?: string): KnownBlock[] {
  return [
    ...(problem
      ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `:warning: ${esc(problem)}` } }]
      : []),
    { type: 'section', text: { type: 'mrkdwn', text: `*Usage*\n${FORENSICS_USAGE}` } },
  ];
}
