import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { DeployConfigInput } from '../../../deploy/config.js';
import { NAMES } from '../../../deploy/names.js';
import { INSTANCE_STATUS } from '../../../workflows/steps/instance.js';
import { loadEvent } from '../../support/events.js';
import { matchesPattern } from './event-pattern.js';
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
  it('sends a HIGH GuardDuty finding to the findings function, not a LOW, MEDIUM or archived one', () => {
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
    expect(routed(archived)).toEqual([]);
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

  it('sends only NEW, active Security Hub findings at or above HIGH', () => {
    // Prepare
    const event = imported('guardduty-ec2-sshbruteforce.composed');
    const high = structuredClone(event);
    (high.detail.findings[0]!.Severity as Json).Label = 'HIGH';
    const notified = structuredClone(high);
    (notified.detail.findings[0]!.Workflow as Json).Status = 'NOTIFIED';
    const archived = structuredClone(high);
    archived.detail.findings[0]!.RecordState = 'ARCHIVED';

    // Act / Assess
    expect(routed(event)).toEqual([]); // MEDIUM
    expect(routed(high)).toEqual(['BotFindings']);
    expect(routed(notified)).toEqual([]); // already on a card: the bot set NOTIFIED itself
    expect(routed(archived)).toEqual([]);
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
