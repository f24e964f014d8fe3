import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { DeployConfigInput } from '../../../deploy/config.js';
import { NAMES } from '../../../deploy/names.js';
import { INSTANCE_STATUS } from '../../../workflows/steps/instance.js';
import { loadEvent } from '../../support/events.js';
import { DEFAULT_MIN_SEVERITY, intakeRules } from '../../../bot/intake/event-patterns.js';
import { parseDeployConfig } from '../../../deploy/config.js';
import { matchesPattern } from './event-pattern.js';
import { SANDBOX_ACTION_TARGET_ARNS, sandboxRules } from '../../../sandbox/routing.js';
import { MULTI_ACCOUNT, resources, synth } from './synth.js';

type Json = Record<string, unknown>;

/** A template value with its references replaced by what they are in us-east-1 of 111111111111. */
function resolveIn(template: Template, value: unknown): unknown {
  const all = Object.fromEntries(resources(template));
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Json;
    if ('Ref' in o && o.Ref === 'AWS::Partition') return 'aws';
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(walk).join(sep);
    }
    if ('Fn::GetAtt' in o) {
      const [id, attribute] = o['Fn::GetAtt'] as [string, string];
      const target = all[id] as Json;
      if (target?.Type === 'AWS::SecurityHub::ActionTarget' && attribute === 'ActionTargetArn')
        return `arn:aws:securityhub:us-east-1:111111111111:action/custom/${(target.Properties as Json).Id}`;
      throw new Error(`cannot resolve ${id}.${attribute}`);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value);
}

/** The rules of the security stack: which function each feeds, and a matcher of its pattern. */
function rules(input: DeployConfigInput = MULTI_ACCOUNT) {
  const { security } = synth(input);
  return resources(security, 'AWS::Events::Rule').map(([id, r]) => {
    const p = r.Properties as { EventPattern: Json; Targets: { Arn: { 'Fn::GetAtt': string[] } }[] };
    const pattern = resolveIn(security, p.EventPattern) as Json;
    return {
      id,
      pattern,
      target: p.Targets.map((t) => t.Arn['Fn::GetAtt'][0]!.replace(/Function.*$/, '')),
      matches: (event: Json) => matchesPattern(pattern, event),
    };
  });
}

/** JSON with object keys in order: two patterns compare equal whatever order their keys were written in. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

/** The rules (by logical id) that let the event through, with the function they send it to. */
function routed(event: Json, input?: DeployConfigInput): string[] {
  return rules(input)
    .filter((r) => r.matches(event))
    .flatMap((r) => r.target);
}

const guardDuty = (name: string) => loadEvent<Json & { detail: Json }>('guardduty', name);
const imported = (name: string) =>
  loadEvent<Json & { detail: { findings: Json[] } }>('securityhub', `securityhub-findings-imported-${name}`);

describe('Function: the intake rules against sample events', () => {
  it("defaults to the module's severity floor, which the sandbox uses too", () => {
    const { alertsMinSeverity: _, ...withoutFloor } = MULTI_ACCOUNT;
    expect(parseDeployConfig(withoutFloor as Record<string, unknown>).alertsMinSeverity).toBe(
      DEFAULT_MIN_SEVERITY,
    );
  });

  it('synthesizes exactly the patterns of bot/intake/event-patterns.ts (the sandbox routes by them)', () => {
    for (const input of [
      MULTI_ACCOUNT,
      { ...MULTI_ACCOUNT, guardDutyDirect: false, alertsMinSeverity: 'MEDIUM' as const },
    ]) {
      // Prepare
      const synthesized = rules(input);
      const statusRule = synthesized.find((r) => JSON.stringify(r.pattern.source) === '["aws.states"]')!;
      const stateMachineArns = (statusRule.pattern.detail as { stateMachineArn: string[] }).stateMachineArn;
      const expected = intakeRules({
        minSeverity: input.alertsMinSeverity ?? 'HIGH',
        guardDutyDirect: input.guardDutyDirect !== false,
        actionTargetArns: [NAMES.analyzeAction, NAMES.containAction].map(
          (id) => `arn:aws:securityhub:us-east-1:111111111111:action/custom/${id}`,
        ),
        stateMachineArns,
      });

      // Assess
      expect(stateMachineArns.length).toBeGreaterThan(0);
      for (const arn of stateMachineArns)
        expect(arn).toMatch(/^arn:aws:states:us-east-1:111111111111:stateMachine:ForensicsBot-\w+$/);
      expect(synthesized.map((r) => canonical(r.pattern)).sort()).toEqual(
        Object.values(expected).map(canonical).sort(),
      );
      expect(synthesized.find((r) => r.id.startsWith('IntakeSecurityHubImportedV2'))?.target).toEqual([
        'BotFindings',
      ]);
    }
  });

  it('the sandbox routes by exactly the rules a deployment with the defaults synthesizes (issue 14, done when)', () => {
    // Prepare: a deployment that sets neither the floor nor guardDutyDirect; the sandbox's own rules
    const { alertsMinSeverity: _, ...defaults } = MULTI_ACCOUNT;
    const synthesized = rules(defaults);
    const sandbox = sandboxRules(['arn:aws:states:us-east-1:111111111111:stateMachine:forensics-bot-case']);
    // Only the ARNs of the account's own custom actions and state machines differ (their names and account)
    const withoutOwnArns = (pattern: unknown): string => {
      const p = structuredClone(pattern) as Json;
      if (p.source && JSON.stringify(p.source) === '["aws.states"]')
        (p.detail as Json).stateMachineArn = ['<own state machines>'];
      if (JSON.stringify(p['detail-type']) === '["Security Hub Findings - Custom Action"]')
        p.resources = ['<own custom actions>'];
      return canonical(p);
    };

    // Assess: the same rules, pattern for pattern, with the same custom actions (Analyze and Contain)
    expect(synthesized.map((r) => withoutOwnArns(r.pattern)).sort()).toEqual(
      Object.values(sandbox).map(withoutOwnArns).sort(),
    );
    const actions = synthesized.find((r) =>
      JSON.stringify(r.pattern['detail-type']).includes('Custom Action'),
    )!;
    expect((actions.pattern.resources as string[]).map((a) => a.split('/').pop())).toEqual(
      SANDBOX_ACTION_TARGET_ARNS.map((a) => a.split('/').pop()),
    );
  });

  it('sends a HIGH GuardDuty finding to the findings function, not a LOW or MEDIUM one; an archived one at any severity', () => {
    // Prepare
    const high = guardDuty('guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted');
    const low = guardDuty('guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed');
    const medium = guardDuty('guardduty-finding-ec2-canary-stateless-integtest.composed');
    const archived = structuredClone(high);
    (archived.detail.service as Json).archived = true;

    // Act / Assess
    expect(routed(high)).toEqual(['BotFindings']);
    expect(routed(low)).toEqual([]);
    expect(routed(medium)).toEqual([]);
    // an archived finding only updates the card it has (the handler never posts one for it)
    expect(routed(archived)).toEqual(['BotFindings']);
    const archivedLow = structuredClone(low);
    (archivedLow.detail.service as Json).archived = true;
    expect(routed(archivedLow)).toEqual(['BotFindings']);
  });

  it('takes GuardDuty through Security Hub only when told to (one card per finding, every region)', () => {
    // Prepare
    const input = { ...MULTI_ACCOUNT, guardDutyDirect: false };
    const direct = guardDuty('guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted');
    const throughHub = imported('guardduty-ec2-sshbruteforce.composed');
    (throughHub.detail.findings[0]!.Severity as Json).Label = 'HIGH';

    // Act / Assess
    expect(routed(direct, input)).toEqual([]);
    expect(routed(throughHub, input)).toEqual(['BotFindings']);
  });

  it('follows the configured severity: MEDIUM lets GuardDuty 4+ and Security Hub MEDIUM through', () => {
    // Prepare
    const input = { ...MULTI_ACCOUNT, alertsMinSeverity: 'MEDIUM' as const };

    // Act / Assess
    expect(routed(guardDuty('guardduty-finding-ec2-canary-stateless-integtest.composed'), input)).toEqual([
      'BotFindings',
    ]);
    expect(
      routed(guardDuty('guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed'), input),
    ).toEqual([]);
    expect(routed(imported('securityhub-cis-1.3'), input)).toEqual(['BotFindings']);
    expect(routed(imported('securityhub-afsbp-ec2.7'), input)).toEqual([]); // INFORMATIONAL
  });

  it('sends NEW or NOTIFIED, active Security Hub findings at or above HIGH, and resolved, suppressed or archived ones at any severity', () => {
    // Prepare
    const event = imported('guardduty-ec2-sshbruteforce.composed');
    const high = structuredClone(event);
    (high.detail.findings[0]!.Severity as Json).Label = 'HIGH';
    const notified = structuredClone(high);
    (notified.detail.findings[0]!.Workflow as Json).Status = 'NOTIFIED';
    const notifiedMedium = structuredClone(event);
    (notifiedMedium.detail.findings[0]!.Workflow as Json).Status = 'NOTIFIED';
    const archived = structuredClone(event);
    archived.detail.findings[0]!.RecordState = 'ARCHIVED';
    const resolved = structuredClone(event);
    (resolved.detail.findings[0]!.Workflow as Json).Status = 'RESOLVED';
    (resolved.detail.findings[0]!.Severity as Json).Label = 'INFORMATIONAL'; // as CSPM resolves a passed control

    // Act / Assess
    expect(routed(event)).toEqual([]); // MEDIUM
    expect(routed(high)).toEqual(['BotFindings']);
    // the bot's write-back sets NOTIFIED: the finding's repeats must still reach its card (issue 14); the
    // intake posts no card for a NOTIFIED finding it has none for
    expect(routed(notified)).toEqual(['BotFindings']);
    expect(routed(notifiedMedium)).toEqual([]); // the floor holds for NOTIFIED as for NEW
    expect(routed(archived)).toEqual(['BotFindings']); // updates the card it has, if any
    expect(routed(resolved)).toEqual(['BotFindings']);
  });

  it('sends new Security Hub (OCSF) findings at or above HIGH, and closed ones at any severity', () => {
    // Prepare
    const envelope = loadEvent<Json & { detail: { findings: Json[] } }>(
      'securityhub-v2',
      'securityhub-v2-findings-imported-v2-eventbridge-guardduty-iam-CloudTrailLoggingDisabled.sumologic-docs',
    );
    const [runtime, control] = loadEvent<Json[]>(
      'securityhub-v2',
      'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go',
    );
    const v2 = (finding: Json) => ({ ...structuredClone(envelope), detail: { findings: [finding] } });

    // Act / Assess
    expect(routed(envelope)).toEqual(['BotFindings']); // Low, but Suppressed: updates its card
    expect(routed(v2(control!))).toEqual(['BotFindings']); // Critical, New
    expect(routed(v2(runtime!))).toEqual([]); // Medium, New
    expect(routed(v2({ ...runtime!, severity_id: 4, severity: 'High' }))).toEqual(['BotFindings']);
    expect(routed(v2({ ...control!, status_id: 2, status: 'In Progress' }))).toEqual([]); // someone is on it
    expect(routed(v2({ ...runtime!, activity_id: 3 }))).toEqual(['BotFindings']); // Close
  });

  it("takes the custom actions the stack creates, and nobody else's", () => {
    // Prepare
    const event = loadEvent<Json>(
      'securityhub',
      'securityhub-findings-custom-action-ec2-instance-afo-triage',
    );
    const action = (id: string) => ({
      ...structuredClone(event),
      resources: [`arn:aws:securityhub:us-east-1:111111111111:action/custom/${id}`],
    });

    // Act / Assess
    expect(routed(event)).toEqual([]);
    expect(routed(action(NAMES.analyzeAction))).toEqual(['BotFindings']);
    expect(routed(action(NAMES.containAction))).toEqual(['BotFindings']);
    expect(routed(action('SomeoneElsesAction'))).toEqual([]);
  });

  it('opens cases on SecurityIncidentStatus=Analyze|Contain, never on the statuses the bot writes itself', () => {
    // Prepare
    const sample = loadEvent<Json & { detail: Json }>('tag', 'ec2-tag-change-on-resource.awsdocs');
    const tagged = (value: string) => {
      const e = structuredClone(sample);
      e.detail['changed-tag-keys'] = [NAMES.incidentTag];
      e.detail.tags = { Name: 'web-1', [NAMES.incidentTag]: value };
      return e;
    };

    // Act / Assess
    expect(routed(sample)).toEqual([]);
    expect(routed(tagged('Analyze'))).toEqual(['BotFindings']);
    expect(routed(tagged('Contain'))).toEqual(['BotFindings']);
    for (const status of Object.values(INSTANCE_STATUS)) expect(routed(tagged(status)), status).toEqual([]);
  });

  it("follows the status changes of the bot's own state machines only", () => {
    // Prepare
    const sample = loadEvent<Json & { detail: Json }>('stepfunctions', 'execution-status-change-failed');
    const ours = structuredClone(sample);
    ours.detail.stateMachineArn = 'arn:aws:states:us-east-1:111111111111:stateMachine:ForensicsBot-Case';
    const child = structuredClone(ours);
    child.detail.stateMachineArn =
      'arn:aws:states:us-east-1:111111111111:stateMachine:ForensicsBot-AcquireDisk';

    // Act / Assess
    expect(routed(sample)).toEqual([]);
    expect(routed(ours)).toEqual(['BotProgress']);
    expect(routed(child)).toEqual(['BotProgress']);
  });

  it('forwards from member accounts exactly what the security account takes', () => {
    // Prepare
    const { security, member } = synth(MULTI_ACCOUNT);
    const tagRule = (t: Template) =>
      resources(t, 'AWS::Events::Rule')
        .map(([, r]) => (r.Properties as { EventPattern: Json }).EventPattern)
        .find((p) => JSON.stringify(p.source) === '["aws.tag"]');

    // Assess
    expect(tagRule(member)).toEqual(tagRule(security));
  });
});
