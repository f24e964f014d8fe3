import { afterEach, describe, expect, it } from 'vitest';
import {
  type EventPattern,
  matchEvent,
  matchesPattern,
  routeEvent,
  UnsupportedPatternError,
} from '../../../bot/intake/event-pattern-match.js';
import { DEFAULT_MIN_SEVERITY, intakeRules } from '../../../bot/intake/event-patterns.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { decide } from '../../../bot/intake/policy.js';
import { intakeSettings } from '../../../bot/intake/settings.js';
import { loadEvent } from '../../support/events.js';

type Json = Record<string, any>;

const ACTIONS = ['ForensicsAnalyze', 'ForensicsContain'].map(
  (id) => `arn:aws:securityhub:us-east-1:111111111111:action/custom/${id}`,
);
const CASE_MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-bot-case';
const RULES = intakeRules({
  minSeverity: DEFAULT_MIN_SEVERITY,
  actionTargetArns: ACTIONS,
  stateMachineArns: [CASE_MACHINE],
});
const route = (event: unknown) => routeEvent(RULES, event);

const guardDuty = (name: string) => loadEvent<Json>('guardduty', name);
const SSH = 'guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed'; // severity 2
const BITCOIN = 'guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted'; // severity 8
const asff = (name: string) => loadEvent<Json>('securityhub', `securityhub-findings-imported-${name}`);
const V2_ENVELOPE =
  'securityhub-v2-findings-imported-v2-eventbridge-guardduty-iam-CloudTrailLoggingDisabled.sumologic-docs';
const ocsf = (finding: Json) => ({
  ...loadEvent<Json>('securityhub-v2', V2_ENVELOPE),
  detail: { findings: [finding] },
});
const ocsfBodies = () =>
  loadEvent<Json[]>(
    'securityhub-v2',
    'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_ContainerMountsHostDirectory_and_cspm-control.cruxstack-securityhubv2-bot',
  );

afterEach(() => intakeSettings.reset());

describe('Function: matchEvent (EventBridge semantics)', () => {
  const event = {
    source: 'aws.guardduty',
    detail: {
      severity: 5.5,
      tags: ['a', 'b'],
      items: [
        { k: 'x', v: 1 },
        { k: 'y', v: 2 },
      ],
      name: 'web-1',
    },
  };

  it('matches exact values, and an array field when any element matches', () => {
    expect(matchesPattern({ source: ['aws.guardduty', 'aws.tag'] }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchEvent({ detail: { tags: ['c'] } }, event)).toMatchObject({
      matched: false,
      reason: 'detail.tags is ["a","b"], not "c"',
    });
  });

  it('matches numeric ranges, prefixes, suffixes, any case, anything-but and exists', () => {
    expect(matchesPattern({ detail: { severity: [{ numeric: ['>=', 4, '<', 7] }] } }, event)).toBe(true);
    expect(matchEvent({ detail: { severity: [{ numeric: ['>=', 7] }] } }, event).reason).toBe(
      'detail.severity is 5.5, not >= 7',
    );
    expect(matchesPattern({ detail: { name: [{ prefix: 'web-' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ suffix: '-1' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ 'equals-ignore-case': 'WEB-1' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ 'anything-but': ['web-1'] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { name: [{ 'anything-but': { prefix: 'db-' } }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { gone: [{ 'anything-but': ['x'] }] } }, event)).toBe(false); // absent
    expect(matchesPattern({ detail: { gone: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ exists: true }] } }, event)).toBe(true);
    expect(matchEvent({ detail: { gone: ['x'] } }, event).reason).toBe('detail.gone is missing');
  });

  it('matches a nested pattern within one element of an array of objects, never across two', () => {
    expect(matchesPattern({ detail: { items: { k: ['y'], v: [2] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { items: { k: ['x'], v: [2] } } }, event)).toBe(false);
  });

  it('matches $or alternatives and says why none held', () => {
    const pattern = { detail: { $or: [{ severity: [{ numeric: ['>=', 7] }] }, { name: ['db-1'] }] } };
    expect(matchesPattern(pattern, { detail: { severity: 8 } })).toBe(true);
    expect(matchEvent(pattern, event).reason).toBe(
      'none of: detail.severity is 5.5, not >= 7; or detail.name is "web-1", not "db-1"',
    );
  });

  it('refuses a filter it does not implement rather than match it loosely', () => {
    expect(() => matchesPattern({ detail: { name: [{ wildcard: 'web-*' }] } }, event)).toThrow(
      UnsupportedPatternError,
    );
  });
});

describe('Function: the intake rules against the real sample events', () => {
  it('passes a HIGH GuardDuty finding and drops a LOW one, naming the floor', () => {
    expect(route(guardDuty(BITCOIN)).matched).toEqual(['guardDuty']);
    const low = route(guardDuty(SSH));
    expect(low.matched).toEqual([]);
    expect(low.closest?.rule).toBe('guardDuty');
    expect(low.closest?.reason).toMatch(/detail\.severity is 2, not >= 7/);
  });

  it('passes an archived GuardDuty finding whatever its severity (it only updates its card)', () => {
    const archived = guardDuty(SSH);
    archived.detail.service.archived = true;
    expect(route(archived).matched).toEqual(['guardDuty']);
  });

  it('passes a NEW or NOTIFIED, active CSPM finding at or above HIGH; drops MEDIUM, NOTIFIED MEDIUM; passes closed ones', () => {
    const medium = asff('guardduty-ec2-sshbruteforce.composed');
    const high = structuredClone(medium);
    high.detail.findings[0].Severity.Label = 'HIGH';
    const notified = structuredClone(high);
    notified.detail.findings[0].Workflow.Status = 'NOTIFIED';
    const notifiedMedium = structuredClone(medium);
    notifiedMedium.detail.findings[0].Workflow.Status = 'NOTIFIED';
    const archived = structuredClone(medium);
    archived.detail.findings[0].RecordState = 'ARCHIVED';
    const suppressed = structuredClone(medium);
    suppressed.detail.findings[0].Workflow.Status = 'SUPPRESSED';

    expect(route(high).matched).toEqual(['securityHubImported']);
    expect(route(medium)).toMatchObject({ matched: [], closest: { rule: 'securityHubImported' } });
    expect(route(medium).closest?.reason).toMatch(
      /Severity\.Label is "MEDIUM", not one of "HIGH", "CRITICAL"/,
    );
    // NOTIFIED is what the bot's write-back sets: repeats of a carded finding reach its card (issue 14)
    expect(route(notified).matched).toEqual(['securityHubImported']);
    expect(route(notifiedMedium).matched).toEqual([]);
    expect(route(archived).matched).toEqual(['securityHubImported']);
    expect(route(suppressed).matched).toEqual(['securityHubImported']);
    expect(route(asff('securityhub-afsbp-ec2.7')).matched).toEqual([]); // INFORMATIONAL
  });

  it('passes new OCSF findings at or above HIGH and closed ones; drops Medium and In Progress', () => {
    const [runtime, control, closeActivity] = ocsfBodies();
    expect(route(loadEvent('securityhub-v2', V2_ENVELOPE)).matched).toEqual(['securityHubImportedV2']); // Suppressed
    expect(route(ocsf(control!)).matched).toEqual(['securityHubImportedV2']); // Critical, New
    expect(route(ocsf(closeActivity!)).matched).toEqual(['securityHubImportedV2']); // Medium, Close
    const medium = route(ocsf(runtime!));
    expect(medium).toMatchObject({ matched: [], closest: { rule: 'securityHubImportedV2' } });
    expect(medium.closest?.reason).toMatch(/severity_id is 3, not one of 4, 5, 6/);
    expect(route(ocsf({ ...control!, status_id: 2, status: 'In Progress' })).matched).toEqual([]);
  });

  it('passes the Analyze/Contain tag and the custom actions of this deployment only', () => {
    const tag = loadEvent<Json>('tag', 'ec2-tag-change-on-resource.awsdocs');
    expect(route(tag).matched).toEqual([]);
    tag.detail['changed-tag-keys'] = ['SecurityIncidentStatus'];
    tag.detail.tags = { SecurityIncidentStatus: 'Contain' };
    expect(route(tag).matched).toEqual(['incidentTag']);
    tag.detail.tags = { SecurityIncidentStatus: 'Contained' }; // what the bot writes itself
    expect(route(tag).closest).toMatchObject({ rule: 'incidentTag' });

    const action = loadEvent<Json>(
      'securityhub',
      'securityhub-findings-custom-action-ec2-instance-afo-triage',
    );
    expect(route(action).matched).toEqual([]);
    action.resources = [ACTIONS[1]];
    expect(route(action).matched).toEqual(['securityHubCustomAction']);
  });

  it("passes the status changes of the deployment's state machines only", () => {
    const status = loadEvent<Json>('stepfunctions', 'execution-status-change-failed');
    expect(route(status).matched).toEqual([]);
    status.detail.stateMachineArn = CASE_MACHINE;
    expect(route(status).matched).toEqual(['workflowStatus']);
  });

  it('has no GuardDuty rule when GuardDuty comes through Security Hub only', () => {
    const rules = intakeRules({
      minSeverity: 'HIGH',
      actionTargetArns: [],
      stateMachineArns: [],
      guardDutyDirect: false,
    });
    expect(Object.keys(rules)).toEqual(['securityHubImported', 'securityHubImportedV2', 'incidentTag']);
  });
});

describe('Function: the rules and the handler agree', () => {
  // The redacted real finding with its redactions filled in, so that the handler reads it.
  const unredacted = (e: Json): Json =>
    JSON.parse(
      JSON.stringify(e)
        .replaceAll('XXXXXXXXXXXX', '333333333333')
        .replaceAll('XXXX-XX-XXTXX:XX:XXZ', '2024-01-01T00:00:00Z'),
    );
  const samples: [string, Json][] = [
    ...[SSH, 'guardduty-finding-ec2-canary-stateless-integtest.composed'].map(
      (n) => [n, guardDuty(n)] as [string, Json],
    ),
    [BITCOIN, unredacted(guardDuty(BITCOIN))],
    ...['guardduty-ec2-sshbruteforce.composed', 'securityhub-afsbp-ec2.7', 'securityhub-cis-1.3'].map(
      (n) => [n, asff(n)] as [string, Json],
    ),
    ['v2 envelope', loadEvent<Json>('securityhub-v2', V2_ENVELOPE)],
    ...ocsfBodies().map((f, i) => [`v2 body ${i}`, ocsf(f)] as [string, Json]),
  ];
  // what the bot's own write-back makes of a CSPM finding (a card and its repeats)
  const notified = (e: Json): Json | undefined => {
    if (e['detail-type'] !== 'Security Hub Findings - Imported') return undefined;
    const n = structuredClone(e);
    n.detail.findings[0].Workflow = { Status: 'NOTIFIED' };
    return n;
  };
  const closed = (e: Json): Json => {
    const c = structuredClone(e);
    if (c.source === 'aws.guardduty') c.detail.service.archived = true;
    else if (c['detail-type'] === 'Findings Imported V2') c.detail.findings[0].status_id = 4;
    else c.detail.findings[0].RecordState = 'ARCHIVED';
    return c;
  };

  it('the rules pass every finding the handler would post at the default floor, and only closed ones below it', () => {
    // Prepare
    process.env.MIN_SEVERITY = DEFAULT_MIN_SEVERITY;
    const policy = { ...intakeSettings(), ALERTS_CHANNEL: 'C0ALERTS' };
    delete process.env.MIN_SEVERITY;

    for (const [name, event] of [
      ...samples,
      ...samples.map(([n, e]) => [`${n} closed`, closed(e)] as const),
      ...samples.flatMap(([n, e]) => {
        const n2 = notified(e);
        return n2 ? [[`${n} notified`, n2] as const] : [];
      }),
    ]) {
      // Act
      const passed = route(event).matched.length > 0;
      const [finding] = normalizeEvent(event).findings;
      expect(finding, name).toBeDefined();
      const decision = decide(finding!, policy).action;

      // Assess: a dropped event is one the handler would ignore; a passed one it posts, counts on its card
      // (repeat-only) or only updates
      expect(passed ? ['post', 'repeat-only', 'update-only'] : ['ignore'], name).toContain(decision);
    }
  });
});

// a compile-time check: the patterns are EventBridge JSON, not CDK's camelCase
const _shape: EventPattern = RULES.guardDuty!;
void _shape;
