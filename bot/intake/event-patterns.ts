import { SEVERITY_LABELS, type SeverityLabel } from '../core/severity.js';
import { DETAIL_TYPES } from '../findings/events.js';
import { INCIDENT_TAG } from '../findings/normalize.js';
import { OCSF_CLOSE_ACTIVITY, OCSF_CLOSED_STATUS_IDS } from '../findings/ocsf.js';
import type { EventPattern } from './event-pattern-match.js';

/**
 * The intake's EventBridge rules as plain data, without CDK: the deploy builds its rules from them
 * (deploy/constructs/intake-rules.ts) and the sandbox routes every event it is given through them, so
 * both drop the same events.
 *
 * Findings pass when they are new (Security Hub CSPM: NEW, or NOTIFIED, which the bot's write-back sets, so
 * that the repeats of a carded finding still reach its card) and at or above the severity floor, or when
 * they are closed at the
 * source (GuardDuty archived; Security Hub CSPM resolved, suppressed or archived; OCSF suppressed,
 * resolved, archived or a Close activity) whatever their severity: a closed finding only ever updates the
 * card it already has (bot/intake/policy.ts decides `update-only` before the floor; the handler never
 * posts for it), and Security Hub lowers a passed control's severity to INFORMATIONAL as it resolves it.
 */

export const INTAKE_RULE_NAMES = [
  'guardDuty',
  'securityHubImported',
  'securityHubImportedV2',
  'securityHubCustomAction',
  'incidentTag',
  'workflowStatus',
] as const;
export type IntakeRuleName = (typeof INTAKE_RULE_NAMES)[number];

/** Which function each rule feeds. */
export const RULE_TARGETS: Record<IntakeRuleName, 'findings' | 'progress'> = {
  guardDuty: 'findings',
  securityHubImported: 'findings',
  securityHubImportedV2: 'findings',
  securityHubCustomAction: 'findings',
  incidentTag: 'findings',
  workflowStatus: 'progress',
};

/** The deployment's default floor (`alertsMinSeverity`), also the sandbox's. */
export const DEFAULT_MIN_SEVERITY: SeverityLabel = 'HIGH';

/** GuardDuty's numeric floor of each label (Low 1–3.9, Medium 4–6.9, High 7–8.9, Critical 9+). */
export const GUARDDUTY_FLOOR: Record<SeverityLabel, number> = {
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 4,
  HIGH: 7,
  CRITICAL: 9,
};

/**
 * OCSF `severity_id`s at or above each label (1 Informational … 5 Critical, 6 Fatal; 0 Unknown and 99 Other
 * count as informational, as bot/core/severity.ts reads them).
 */
const OCSF_SEVERITY_IDS: Record<SeverityLabel, number[]> = {
  INFORMATIONAL: [0, 1, 2, 3, 4, 5, 6, 99],
  LOW: [2, 3, 4, 5, 6],
  MEDIUM: [3, 4, 5, 6],
  HIGH: [4, 5, 6],
  CRITICAL: [5, 6],
};
const OCSF_NEW = 1;

/** The labels at or above a threshold, for the Security Hub CSPM pattern. */
export function labelsAtOrAbove(min: SeverityLabel): SeverityLabel[] {
  return SEVERITY_LABELS.slice(SEVERITY_LABELS.indexOf(min));
}

export interface IntakePatternOptions {
  /** Findings below it are dropped (unless closed). */
  minSeverity: SeverityLabel;
  /** ARNs of the Security Hub custom actions Analyze and Contain. */
  actionTargetArns: string[];
  /** ARNs of the state machines whose status changes the progress function follows. */
  stateMachineArns: string[];
}

/** Every intake pattern, in EventBridge's own syntax. */
export function intakePatterns(o: IntakePatternOptions): Record<IntakeRuleName, EventPattern> {
  return {
    guardDuty: {
      source: ['aws.guardduty'],
      'detail-type': [DETAIL_TYPES.guardDuty],
      detail: {
        $or: [
          {
            severity: [{ numeric: ['>=', GUARDDUTY_FLOOR[o.minSeverity]] }],
            service: { archived: [false] },
          },
          { service: { archived: [true] } },
        ],
      },
    },
    securityHubImported: {
      source: ['aws.securityhub'],
      'detail-type': [DETAIL_TYPES.securityHubImported],
      detail: {
        findings: {
          $or: [
            {
              Severity: { Label: labelsAtOrAbove(o.minSeverity) },
              // NOTIFIED is what the bot's own write-back sets (bot/intake/securityhub.ts): the finding's later
              // repeats must still reach its card. The intake never cards a NOTIFIED finding it has no card
              // for (bot/intake/policy.ts `repeat-only`): one that another tool notified stays without one.
              Workflow: { Status: ['NEW', 'NOTIFIED'] },
              RecordState: ['ACTIVE'],
            },
            // closed (bot/findings/asff.ts)
            { Workflow: { Status: ['RESOLVED', 'SUPPRESSED'] } },
            { RecordState: ['ARCHIVED'] },
          ],
        },
      },
    },
    securityHubImportedV2: {
      source: ['aws.securityhub'],
      'detail-type': [DETAIL_TYPES.securityHubImportedV2],
      detail: {
        findings: {
          $or: [
            { severity_id: OCSF_SEVERITY_IDS[o.minSeverity], status_id: [OCSF_NEW] },
            { status_id: [...OCSF_CLOSED_STATUS_IDS] },
            { activity_id: [OCSF_CLOSE_ACTIVITY] },
          ],
        },
      },
    },
    securityHubCustomAction: {
      source: ['aws.securityhub'],
      'detail-type': [DETAIL_TYPES.securityHubCustomAction],
      resources: o.actionTargetArns,
    },
    incidentTag: {
      source: ['aws.tag'],
      'detail-type': [DETAIL_TYPES.tagChange],
      detail: {
        'changed-tag-keys': [INCIDENT_TAG],
        service: ['ec2'],
        'resource-type': ['instance'],
        tags: { [INCIDENT_TAG]: ['Analyze', 'Contain'] },
      },
    },
    workflowStatus: {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: o.stateMachineArns,
        status: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
      },
    },
  };
}

export interface IntakeRuleOptions extends IntakePatternOptions {
  /** Take GuardDuty's own finding events (default true; off when they come through Security Hub). */
  guardDutyDirect?: boolean;
}

/**
 * The rules a deployment has: all, except GuardDuty's when `guardDutyDirect` is off, the custom action
 * rule without custom actions, and the status rule without state machines.
 */
export function intakeRules(o: IntakeRuleOptions): Partial<Record<IntakeRuleName, EventPattern>> {
  const patterns = intakePatterns(o);
  const enabled = INTAKE_RULE_NAMES.filter(
    (name) =>
      !(name === 'guardDuty' && o.guardDutyDirect === false) &&
      !(name === 'securityHubCustomAction' && o.actionTargetArns.length === 0) &&
      !(name === 'workflowStatus' && o.stateMachineArns.length === 0),
  );
  return Object.fromEntries(enabled.map((name) => [name, patterns[name]]));
}
