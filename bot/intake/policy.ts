import type { Finding } from '../core/finding.js';
import { meetsThreshold } from '../core/severity.js';
import { matchesGlob } from './glob.js';
import type { IntakeSettings } from './settings.js';

/**
 * The intake policy: a pure decision per finding — post it (in which channel), count it on a card it
 * already has without ever posting one (`repeat-only`), update its card only (archived or resolved), or
 * ignore it (and why). The caller logs every ignore with its reason.
 */
export type PolicyDecision =
  | { action: 'post'; channel: string }
  | { action: 'repeat-only'; channel: string; reason: string }
  | { action: 'update-only'; channel: string; reason: string }
  | { action: 'ignore'; reason: string };

export type PolicySettings = Pick<
  IntakeSettings,
  'MIN_SEVERITY' | 'CHANNEL_ROUTES' | 'IGNORE_FINDING_TYPES' | 'IGNORE_ACCOUNTS' | 'IGNORE_TAG'
> & { ALERTS_CHANNEL: string };

/** The channel for a finding: account route, then the highest severity route it reaches, then the default. */
export function routeChannel(finding: Finding, s: PolicySettings): string {
  const byAccount = s.CHANNEL_ROUTES.byAccount[finding.account];
  if (byAccount) return byAccount;
  const bySeverity = s.CHANNEL_ROUTES.bySeverity.find((r) => meetsThreshold(finding.severity, r.label));
  return bySeverity?.channel ?? s.ALERTS_CHANNEL;
}

export function decide(finding: Finding, s: PolicySettings): PolicyDecision {
  if (s.IGNORE_ACCOUNTS.includes(finding.account))
    return { action: 'ignore', reason: `account ${finding.account} is ignored` };
  const typeRule = s.IGNORE_FINDING_TYPES.find((p) => matchesGlob(finding.type, p));
  if (typeRule)
    return { action: 'ignore', reason: `finding type ${finding.type} is ignored (rule "${typeRule}")` };
  const optOut = finding.resource.instance?.tags?.[s.IGNORE_TAG];
  if (optOut !== undefined && optOut.trim().toLowerCase() !== 'false')
    return {
      action: 'ignore',
      reason: `instance ${finding.resource.id} carries the opt-out tag ${s.IGNORE_TAG}`,
    };
  const channel = routeChannel(finding, s);
  // Archived findings are checked before the severity floor: a card that was posted must still be closed.
  if (finding.archived)
    return { action: 'update-only', channel, reason: 'archived or resolved at the source' };
  if (!meetsThreshold(finding.severity, s.MIN_SEVERITY))
    return {
      action: 'ignore',
      reason: `severity ${finding.severity.label} (${finding.severity.score}) is below ${s.MIN_SEVERITY}`,
    };
  // The bot's own write-back moves a posted CSPM finding to NOTIFIED, and its repeats keep that status: they
  // count on its card. A finding some other tool notified, which the bot never carded, gets no card now.
  if (finding.source === 'securityhub' && finding.workflowStatus === 'NOTIFIED')
    return {
      action: 'repeat-only',
      channel,
      reason: 'NOTIFIED in Security Hub: counted on its card, never posted',
    };
  return { action: 'post', channel };
}
