import { z } from 'zod';
import { defineSettings, env } from '../core/config.js';
import { type AutoResponseConfig, autoResponseProblems, parseAutoResponse } from './auto-response.js';
import { isSeverityLabel, SEVERITY_LABELS, type SeverityLabel } from '../core/severity.js';

/**
 * Intake settings (environment variables, validated once at cold start):
 *
 * - `MIN_SEVERITY`: a label (INFORMATIONAL…CRITICAL) or a 0–10 score; below it nothing is posted. Default LOW.
 * - `CHANNEL_ROUTES`: comma list of `<account id>=<channel>` and `<LABEL>=<channel>` (that label and
 *   above). An account route wins over a severity route; otherwise `ALERTS_CHANNEL`.
 * - `IGNORE_FINDING_TYPES`: comma list of finding types; `*` matches any run of characters.
 * - `IGNORE_ACCOUNTS`: comma list of account ids.
 * - `IGNORE_TAG`: the instance tag key that opts an instance out (default `forensics-bot:ignore`;
 *   any value but `false`).
 * - `STORM_WINDOW_SECONDS` / `STORM_MAX_POSTS`: at most that many new messages per channel per window
 *   (default 3 in 3 s: Slack's ~1 message per second, with its small burst); more are aggregated.
 * - `STORM_MAX_UPDATES`: at most that many summary re-renders per channel per window (default 3).
 * - `STORM_SLOT_WAIT_SECONDS`: how long the delivery that opens a storm waits for a posting slot for
 *   the summary card (default 30; the summary is never dropped, only delayed).
 * - `STORM_SUMMARY_SECONDS`: a storm summary card collects one type for this long (default 900).
 * - `SUMMARY_UPDATE_SECONDS`: a summary card is re-rendered at most this often (default 10). The last
 *   findings of a burst are shown by one delivery that waits out this interval inside its invocation
 *   (at most 40 s of it); above about 30 s that wait does not fit, and they show with the storm's next finding.
 * - `CARD_UPDATE_SECONDS`: a repeat re-renders its card at most this often (default 30).
 * - `FINGERPRINT_TTL_DAYS`: how long a finding's card is remembered for repeats (default 14).
 * - `CLAIM_WAIT_MS`: how long a concurrent delivery waits for the card being posted (default 5000).
 * - `ANALYZE_ACTION_ID` / `CONTAIN_ACTION_ID`: Security Hub custom action ids (default ForensicsAnalyze /
 *   ForensicsContain); action ids that contain "analyze"/"contain" also count.
 * - `CONTAIN_TAG_APPROVAL`: `not-required` (default, as the seed framework: whoever may tag the instance has
 *   decided) or `required` (a commander approves a Contain tag like any other containment).
 * - `SECURITY_HUB_UPDATES`: set posted Security Hub findings to NOTIFIED with a note (default true).
 */

const minSeverity = z
  .string()
  .optional()
  .transform((v, ctx): SeverityLabel | number => {
    const t = (v ?? '').trim();
    if (!t) return 'LOW';
    if (isSeverityLabel(t)) return t.toUpperCase() as SeverityLabel;
    const n = Number(t);
    if (Number.isFinite(n) && n >= 0 && n <= 10) return n;
    ctx.addIssue({
      code: 'custom',
      message: `expected one of ${SEVERITY_LABELS.join(', ')} or a score 0-10`,
    });
    return z.NEVER;
  });

export interface ChannelRoutes {
  byAccount: Record<string, string>;
  /** Highest label first. */
  bySeverity: { label: SeverityLabel; channel: string }[];
}

const channelRoutes = env.list().transform((items, ctx): ChannelRoutes => {
  const routes: ChannelRoutes = { byAccount: {}, bySeverity: [] };
  for (const item of items) {
    const [key, channel] = item.split('=').map((s) => s.trim());
    if (!key || !channel) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not <account or LABEL>=<channel>` });
      continue;
    }
    if (/^\d{12}$/.test(key)) routes.byAccount[key] = channel;
    else if (isSeverityLabel(key))
      routes.bySeverity.push({ label: key.toUpperCase() as SeverityLabel, channel });
    else
      ctx.addIssue({
        code: 'custom',
        message: `"${key}" is neither a 12-digit account id nor a severity label`,
      });
  }
  routes.bySeverity.sort((a, b) => SEVERITY_LABELS.indexOf(b.label) - SEVERITY_LABELS.indexOf(a.label));
  return routes;
});

export const intakeSettings = defineSettings('Intake', {
  MIN_SEVERITY: minSeverity,
  CHANNEL_ROUTES: channelRoutes,
  IGNORE_FINDING_TYPES: env.list(),
  IGNORE_ACCOUNTS: env.list(),
  IGNORE_TAG: z
    .string()
    .optional()
    .transform((v) => v?.trim() || 'forensics-bot:ignore'),
  STORM_WINDOW_SECONDS: env.int(3, 1, 3600),
  STORM_MAX_POSTS: env.int(3, 1, 1000),
  STORM_MAX_UPDATES: env.int(3, 1, 1000),
  STORM_SLOT_WAIT_SECONDS: env.int(30, 0, 600),
  STORM_SUMMARY_SECONDS: env.int(900, 10, 86_400),
  SUMMARY_UPDATE_SECONDS: env.int(10, 0, 3600),
  CARD_UPDATE_SECONDS: env.int(30, 0, 86_400),
  FINGERPRINT_TTL_DAYS: env.int(14, 1, 365),
  CLAIM_WAIT_MS: env.int(5000, 0, 60_000),
  ANALYZE_ACTION_ID: z
    .string()
    .optional()
    .transform((v) => v?.trim() || 'ForensicsAnalyze'),
  CONTAIN_ACTION_ID: z
    .string()
    .optional()
    .transform((v) => v?.trim() || 'ForensicsContain'),
  CONTAIN_TAG_APPROVAL: z
    .enum(['required', 'not-required', ''])
    .optional()
    .transform((v) => (v === 'required' ? 'required' : 'not-required') as 'required' | 'not-required'),
  SECURITY_HUB_UPDATES: env.bool(true),
});
export type IntakeSettings = ReturnType<typeof intakeSettings>;

/**
 * Auto-response (bot/intake/auto-response.ts), read by the findings function (it acts) and the Slack
 * function (`/forensics rules`):
 *
 * - `AUTO_RESPONSE`: the `autoResponse` JSON of cdk.json (rules, dryRun, maxCasesPerHour); none: no rules.
 * - `ALLOW_UNATTENDED_CONTAINMENT`: exactly `true` permits rules whose action is `contain`; anything else
 *   refuses such a rule at cold start, naming it.
 */
export const autoResponseSettings = defineSettings(
  'Auto-response',
  {
    AUTO_RESPONSE: z
      .string()
      .optional()
      .transform((v, ctx): AutoResponseConfig => {
        try {
          // the permission is checked below, with ALLOW_UNATTENDED_CONTAINMENT in view
          return parseAutoResponse(v ?? '', true);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    ALLOW_UNATTENDED_CONTAINMENT: z
      .enum(['true', 'false', ''])
      .optional()
      .transform((v) => v === 'true'),
  },
  (s) => {
    const problems = autoResponseProblems(s.AUTO_RESPONSE, s.ALLOW_UNATTENDED_CONTAINMENT);
    return problems.length ? `AUTO_RESPONSE: ${problems.join('; ')}` : undefined;
  },
);
