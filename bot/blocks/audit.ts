import type { KnownBlock } from '@slack/types';
import type { AuditEvent } from '../core/case-model.js';
import { cut, esc, mention } from './case-text.js';

/** How many events one answer shows (Slack allows 50 blocks; the newest are the ones asked for). */
const SHOWN = 40;

/** `/forensics audit CASE-ID`: the case's audit trail, newest last, every value escaped. Pure. */
export function auditBlocks(caseId: string, trail: AuditEvent[]): KnownBlock[] {
  const shown = trail.slice(-SHOWN);
  const head = `*Audit trail of ${caseId}*: ${trail.length} event${trail.length === 1 ? '' : 's'}${
    trail.length > SHOWN ? ` (the last ${SHOWN} shown)` : ''
  }. Written once, never updated or deleted.`;
  const lines = shown.map((e) => {
    const at = (e.at ?? '').slice(0, 19).replace('T', ' ');
    const detail = e.detail ? ` — ${esc(cut(e.detail, 200))}` : '';
    return `\`${at}\` ${mention(e.actor)} *${esc(e.action)}* ${e.outcome}${detail}`;
  });
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  // Several events per section, within the 3,000-character limit of a section's text.
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n') } });
    chunk = [];
  };
  for (const line of lines) {
    if ([...chunk, line].join('\n').length > 2900) flush();
    chunk.push(line);
  }
  flush();
  return blocks.slice(0, 50);
}
