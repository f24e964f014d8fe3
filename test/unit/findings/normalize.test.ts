import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { FindingSchema } from '../../../bot/core/finding.js';
import { loadEvent } from '../../support/events.js';
import { fixtureNames, guardDutyEvent, securityHubImported, tagChange } from './fixtures.js';

describe('Function: normalizeEvent (GuardDuty)', () => {
  it('turns a composed GuardDuty EC2 finding into a finding on the instance with its network details', () => {
    // Prepare
    const event = loadEvent('guardduty', 'guardduty-finding-ec2-canary-stateless-integtest.composed');
    // Act
    const { findings, rejections } = normalizeEvent(event);
    // Assess
    expect(rejections).toEqual([]);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      source: 'guardduty',
      id: '16afba5c5c43e07c9e3e5e2e544e95df',
      type: 'Canary:EC2/Stateless.IntegTest',
      severity: { label: 'MEDIUM', score: 5 },
      account: '123456789012',
      region: 'us-east-1',
      count: 1,
      archived: false,
      firstSeen: '2017-10-31T23:16:23.000Z',
      resource: {
        kind: 'ec2-instance',
        id: 'i-05746eb48123455e0',
        instance: {
          instanceId: 'i-05746eb48123455e0',
          name: 'ssh-22-open',
          privateIps: ['0.0.0.0'],
          publicIps: ['11.111.111.1'],
          vpcId: 'vpc-34865123',
          subnetId: 'subnet-d58b7123',
          imageId: 'ami-4836a123',
          // launchTime arrives as epoch milliseconds
          launchTime: '2017-04-21T00:47:55.000Z',
        },
      },
    });
    expect(f.links.map((l) => l.label)).toEqual(['GuardDuty', 'EC2 instance']);
    expect(f.links[0]!.url).toContain(
      'https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1',
    );
  });

  it('takes account and region from the envelope when the sample detail has none', () => {
    const event = loadEvent('guardduty', 'guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed');
    const { findings } = normalizeEvent(event);
    expect(findings[0]).toMatchObject({
      account: '111122223333',
      region: 'us-east-1',
      severity: { label: 'LOW', score: 2 },
      title: '198.51.100.0 is performing SSH brute force attacks against i-99999999.',
      resource: { kind: 'ec2-instance', id: 'i-99999999' },
    });
  });

  it('names an IAM access key finding by its key and user, without instance details, and marks it archived', () => {
    const event = loadEvent('guardduty', 'guardduty-finding-iam-recon-maliciousipcaller-custom.composed');
    const { findings } = normalizeEvent(event);
    expect(findings[0]).toMatchObject({
      type: 'Recon:IAMUser/MaliciousIPCaller.Custom',
      archived: true,
      resource: {
        kind: 'iam-access-key',
        id: 'GeneratedFindingAccessKeyId',
        label: 'GeneratedFindingUserName',
      },
    });
    expect(findings[0]!.resource.instance).toBeUndefined();
  });

  it('names an S3 finding by its bucket', () => {
    const detail = loadEvent('guardduty', 'guardduty-detailonly-s3-pentest-parrotlinux.sample');
    const { findings } = normalizeEvent(guardDutyEvent(detail));
    expect(findings[0]!.resource).toEqual({ kind: 's3-bucket', id: 'bucketName' });
  });

  it('rejects the redacted real finding (XXXX account and times) with a reason and a path, without throwing', () => {
    const event = loadEvent(
      'guardduty',
      'guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted',
    );
    const { findings, rejections } = normalizeEvent(event);
    expect(findings).toEqual([]);
    expect(rejections.length).toBeGreaterThan(0);
    expect(rejections.map((r) => r.path)).toContain('detail.accountId');
    expect(rejections.find((r) => r.path === 'detail.accountId')).toMatchObject({
      reason: 'an AWS account id is 12 digits',
      findingId: '92c1a1d65b221e96d6a6fae27aaaae43',
      detailType: 'GuardDuty Finding',
    });
  });

  it('normalizes the redacted real finding once its account and times are patched, count 278 and HIGH', () => {
    const event = loadEvent(
      'guardduty',
      'guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted',
    );
    const patched = JSON.parse(
      JSON.stringify(event)
        .replaceAll('XXXXXXXXXXXX', '333333333333')
        .replaceAll('XXXX-XX-XXTXX:XX:XXZ', '2022-08-20T10:00:00Z'),
    );
    const { findings } = normalizeEvent(patched);
    expect(findings[0]).toMatchObject({
      type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
      severity: { label: 'HIGH', score: 8 },
      count: 278,
      resource: {
        id: 'i-00aa97663294ffbbd',
        instance: { privateIps: ['172.31.32.167'], publicIps: ['3.81.58.153'] },
      },
    });
  });

  it('rejects a detail-only file that has no EventBridge envelope', () => {
    const raw = loadEvent('guardduty', 'guardduty-detailonly-ec2-unauthorizedaccess-sshbruteforce.sample');
    const { findings, rejections } = normalizeEvent(raw);
    expect(findings).toEqual([]);
    expect(rejections.map((r) => r.path)).toContain('detail-type');
  });

  it('still gives a card to an unknown finding type on an unknown resource type', () => {
    const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
    detail.type = 'Execution:Container/NewThing.Z';
    detail.resource = { resourceType: 'Container', containerDetails: { id: 'abc' } };
    const { findings } = normalizeEvent(guardDutyEvent(detail));
    expect(findings[0]).toMatchObject({
      type: 'Execution:Container/NewThing.Z',
      resource: { kind: 'other', id: 'Container' },
    });
  });

  it('maps GuardDuty severities to labels at the documented edges', () => {
    const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
    const labels = [0.5, 1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map((severity) => {
      const { findings } = normalizeEvent(guardDutyEvent({ ...detail, severity }));
      return findings[0]!.severity.label;
    });
    expect(labels).toEqual([
      'INFORMATIONAL',
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'CRITICAL',
      'CRITICAL',
    ]);
  });
});

describe('Function: normalizeEvent (Security Hub)', () => {
  it('turns a GuardDuty finding imported into Security Hub into an EC2 finding with private and public IPs split', () => {
    const event = loadEvent(
      'securityhub',
      'securityhub-findings-imported-guardduty-ec2-sshbruteforce.composed',
    );
    const { findings, rejections } = normalizeEvent(event);
    expect(rejections).toEqual([]);
    const f = findings[0]!;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      source: 'securityhub',
      type: 'TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce',
      severity: { label: 'MEDIUM', score: 4 },
      account: '193043430472',
      region: 'us-east-1',
      count: 74,
      archived: false,
      workflowStatus: 'NEW',
      productArn: 'arn:aws::securityhub:us-east-1::product/aws/guardduty',
      resource: {
        kind: 'ec2-instance',
        id: 'i-0c10c2c7863d1a356',
        instance: {
          name: 'kubectl',
          privateIps: ['172.31.43.6'],
          publicIps: ['18.234.130.16'],
          launchTime: '2020-08-03T23:21:57.000Z',
        },
      },
    });
    expect(f.links.map((l) => l.label)).toEqual(['Security Hub', 'GuardDuty', 'EC2 instance']);
  });

  it('turns an Inspector finding into an EC2 finding', () => {
    const event = loadEvent(
      'securityhub',
      'securityhub-findings-imported-inspector-network-reachability.composed',
    );
    const { findings } = normalizeEvent(event);
    expect(findings[0]).toMatchObject({
      account: '111122223333',
      resource: { kind: 'ec2-instance', id: 'i-0c10c2c7863d1a356' },
    });
  });

  it('names an account-level control by the account, without instance details', () => {
    const event = loadEvent('securityhub', 'securityhub-findings-imported-securityhub-afsbp-ec2.7');
    const { findings } = normalizeEvent(event);
    expect(findings[0]).toMatchObject({
      title: 'EC2.7 EBS default encryption should be enabled',
      severity: { label: 'INFORMATIONAL', score: 0 },
      resource: { kind: 'aws-account', id: '111111111111' },
    });
  });

  it('takes the severity label as given and the score from Normalized (CIS 1.3, MEDIUM 40)', () => {
    const { findings } = normalizeEvent(
      loadEvent('securityhub', 'securityhub-findings-imported-securityhub-cis-1.3'),
    );
    expect(findings[0]!.severity).toEqual({ label: 'MEDIUM', score: 4 });
  });

  it('normalizes every finding of a batch and rejects only the malformed one, naming its path', () => {
    // Prepare: three findings, the middle one with a redacted account id
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    const inspector = loadEvent(
      'securityhub',
      'securityhub-asff-finding-inspector-classic-network-reachability.awsdocs',
    );
    const broken = { ...structuredClone(asff), Id: 'broken-1', AwsAccountId: 'XXXXXXXXXXXX' };
    // Act
    const { findings, rejections } = normalizeEvent(securityHubImported([asff, broken, inspector]));
    // Assess
    expect(findings.map((f) => f.id)).toEqual([asff.Id, inspector.Id]);
    expect(rejections).toEqual([
      expect.objectContaining({
        path: 'detail.findings[1].AwsAccountId',
        findingId: 'broken-1',
        reason: 'an AWS account id is 12 digits',
      }),
    ]);
  });

  it('marks resolved, suppressed and archived findings archived', () => {
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    const variants = [
      { Workflow: { Status: 'RESOLVED' } },
      { Workflow: { Status: 'SUPPRESSED' } },
      { RecordState: 'ARCHIVED' },
      { Workflow: { Status: 'NOTIFIED' } },
    ].map(
      (patch) =>
        normalizeEvent(securityHubImported([{ ...structuredClone(asff), ...patch }])).findings[0]!.archived,
    );
    expect(variants).toEqual([true, true, true, false]);
  });

  it('uses FindingProviderFields severity when Severity is absent', () => {
    const event = loadEvent('securityhub', 'securityhub-findings-custom-action-ec2-instance-afo-triage');
    const asff = event.detail.findings[0];
    delete asff.Severity;
    const { findings } = normalizeEvent(securityHubImported([asff]));
    expect(findings[0]!.severity).toEqual({ label: 'HIGH', score: 7 });
  });
});

describe('Function: normalizeEvent (custom actions and tags)', () => {
  it('rejects a custom action that is neither Analyze nor Contain, naming the action', () => {
    const { requests, rejections } = normalizeEvent(
      loadEvent('securityhub', 'securityhub-findings-custom-action-ec2-instance-afo-triage'),
    );
    expect(requests).toEqual([]);
    expect(rejections[0]).toMatchObject({ path: 'resources[0]' });
    expect(rejections[0]!.reason).toContain('"ForensicTriageAction" is neither Analyze nor Contain');
  });

  it('requests Contain for an action target id containing "contain" (case-insensitive) on the instance', () => {
    const event = loadEvent('securityhub', 'securityhub-findings-custom-action-ec2-instance-afo-triage');
    event.resources = ['arn:aws:securityhub:ap-southeast-2:123456789012:action/custom/forensicsCONTAIN'];
    const { requests } = normalizeEvent(event);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      action: 'contain',
      trigger: 'security-hub-action',
      triggerLabel: 'Security Hub action forensicsCONTAIN',
      findingIds: [event.detail.findings[0].Id],
      finding: {
        source: 'custom-action',
        requested: 'contain',
        account: '123456789012',
        region: 'ap-southeast-2',
        resource: { id: 'i-0bf2bf6b175654c6e' },
      },
    });
  });

  it('requests Analyze for the configured analyze action id', () => {
    const event = loadEvent('securityhub', 'securityhub-findings-custom-action-ec2-instance-afo-triage');
    event.resources = ['arn:aws:securityhub:ap-southeast-2:123456789012:action/custom/Triage1'];
    const { requests } = normalizeEvent(event, { analyzeActionId: 'Triage1', containActionId: 'Isolate1' });
    expect(requests[0]!.action).toBe('analyze');
  });

  it('rejects each finding of a custom action that is not on an EC2 instance (multi-select on account controls)', () => {
    const event = loadEvent('securityhub', 'securityhub-findings-custom-action-multi-select');
    event.resources = ['arn:aws:securityhub:us-east-1:111111111111:action/custom/ForensicsAnalyze'];
    const { requests, rejections } = normalizeEvent(event);
    expect(requests).toEqual([]);
    expect(rejections).toHaveLength(2);
    expect(rejections[0]!.reason).toContain('not an EC2 instance (aws-account 111111111111)');
  });

  it('rejects the CIS custom action fixture (unknown action cis1511RR)', () => {
    const { rejections } = normalizeEvent(
      loadEvent('securityhub', 'securityhub-findings-custom-action-cis-1.6'),
    );
    expect(rejections[0]!.reason).toContain('"cis1511RR"');
  });

  it('requests Contain when SecurityIncidentStatus changes to Contain on an instance', () => {
    const event = tagChange('i-0123456789abcdef0', { SecurityIncidentStatus: 'Contain', Name: 'web-1' }, [
      'SecurityIncidentStatus',
    ]);
    const { requests, ignored } = normalizeEvent(event);
    expect(ignored).toEqual([]);
    expect(requests[0]).toMatchObject({
      action: 'contain',
      trigger: 'tag',
      triggerLabel: 'tag SecurityIncidentStatus=Contain',
      finding: {
        source: 'tag',
        account: '333333333333',
        region: 'us-east-1',
        resource: { kind: 'ec2-instance', id: 'i-0123456789abcdef0', instance: { name: 'web-1' } },
      },
    });
  });

  it('ignores other values (case-sensitive), other tags and the AWS docs sample, with a reason', () => {
    const lower = normalizeEvent(
      tagChange('i-0123456789abcdef0', { SecurityIncidentStatus: 'contain' }, ['SecurityIncidentStatus']),
    );
    const other = normalizeEvent(
      tagChange('i-0123456789abcdef0', { SecurityIncidentStatus: 'Contain', Team: 'x' }, ['Team']),
    );
    const sample = normalizeEvent(loadEvent('tag', 'ec2-tag-change-on-resource.awsdocs'));
    expect(lower.requests).toEqual([]);
    expect(lower.ignored[0]!.reason).toBe(
      'SecurityIncidentStatus=contain is not Analyze or Contain (case-sensitive)',
    );
    expect(other.ignored[0]!.reason).toContain('did not change');
    expect(sample.ignored[0]!.reason).toContain('did not change');
  });

  it('ignores an unrelated EventBridge event', () => {
    const { ignored, rejections } = normalizeEvent(
      loadEvent('eventbridge', 'eventbridge-envelope-base.powertools'),
    );
    expect(rejections).toEqual([]);
    expect(ignored[0]!.reason).toContain('EC2 Instance State-change Notification');
  });
});

describe('Every fixture', () => {
  const all = [
    ...fixtureNames('guardduty').map((n) => ['guardduty', n] as const),
    ...fixtureNames('securityhub').map((n) => ['securityhub', n] as const),
    ...fixtureNames('tag').map((n) => ['tag', n] as const),
  ];
  it.each(all)('%s/%s gives findings, requests or a clear rejection, never a throw', (source, name) => {
    const raw = loadEvent(source, name);
    const event =
      'detail-type' in raw
        ? raw
        : 'detail' in raw
          ? raw
          : raw.SchemaVersion
            ? securityHubImported([raw])
            : guardDutyEvent(raw);
    const out = normalizeEvent(event);
    const total = out.findings.length + out.requests.length + out.rejections.length + out.ignored.length;
    expect(total).toBeGreaterThan(0);
    for (const r of out.rejections) {
      expect(r.reason.length).toBeGreaterThan(0);
      expect(r.path.length).toBeGreaterThan(0);
    }
    for (const f of out.findings) expect(FindingSchema.safeParse(f).success).toBe(true);
  });
});

describe('Function: normalizeEvent (detail-types it does not handle)', () => {
  it.each(['__proto__', 'constructor', 'toString', 'Some Other Event'])(
    'ignores a "%s" event with its reason instead of reading it as something else',
    (detailType) => {
      const event = guardDutyEvent({}, { 'detail-type': detailType });
      const out = normalizeEvent(event);
      expect(out.findings).toEqual([]);
      expect(out.rejections).toEqual([]);
      expect(out.ignored[0]!.reason).toContain('not an event the intake handles');
    },
  );
});
