import { describe, expect, it } from 'vitest';
import { FindingSchema, fingerprintOf, securityHubV2Identity } from '../../../bot/core/finding.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { loadEvent } from '../../support/events.js';
import { findingsImportedV2, guardDutyEvent, securityHubImported } from './fixtures.js';

/**
 * The new Security Hub's `Findings Imported V2` (OCSF). Samples: test/events/securityhub-v2/ (one full
 * EventBridge envelope from Sumo Logic's docs; two body-only captures, with the EC2 instance in the older
 * `data` shape and in the newer `device` shape).
 */
const DATA_SHAPE =
  'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go';
const DEVICE_SHAPE =
  'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_ContainerMountsHostDirectory_and_cspm-control.cruxstack-securityhubv2-bot';
const ENVELOPE =
  'securityhub-v2-findings-imported-v2-eventbridge-guardduty-iam-CloudTrailLoggingDisabled.sumologic-docs';

const body = (name: string) => loadEvent<Record<string, any>[]>('securityhub-v2', name);

describe('Function: normalizeEvent (Security Hub, OCSF)', () => {
  it('turns a GuardDuty Runtime finding (EC2 in the `data` shape) into a finding on the instance', () => {
    // Prepare
    const event = findingsImportedV2(body(DATA_SHAPE)[0]!);
    // Act
    const { findings, rejections } = normalizeEvent(event);
    // Assess
    expect(rejections).toEqual([]);
    const f = findings[0]!;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      source: 'securityhub-ocsf',
      id: 'arn:aws:guardduty:us-east-1:123456789012:detector/00000000000000000000000000000000/finding/ffffffffffffffffffffffffffffffff',
      arn: 'arn:aws:guardduty:us-east-1:123456789012:detector/00000000000000000000000000000000/finding/ffffffffffffffffffffffffffffffff',
      type: 'Execution:Runtime/NewBinaryExecuted',
      title: 'A container has executed a newly created binary file.',
      severity: { label: 'MEDIUM', score: 4 },
      account: '123456789012',
      region: 'us-east-1',
      count: 1,
      archived: false,
      workflowStatus: 'NEW',
      firstSeen: '2025-10-03T20:37:13.911Z',
      resource: {
        kind: 'ec2-instance',
        id: 'i-0123456789abcdef0',
        instance: {
          instanceId: 'i-0123456789abcdef0',
          name: 'example-action-runner',
          privateIps: ['10.0.0.100'],
          publicIps: ['1.2.3.4'],
          vpcId: 'vpc-0123456789abcdef0',
          subnetId: 'subnet-0123456789abcdef0',
          imageId: 'ami-0e449927258d45bc4',
          launchTime: '2025-10-03T20:25:29.000Z',
        },
      },
      ocsf: {
        accountUid: '123456789012',
        findingInfoUid:
          'arn:aws:guardduty:us-east-1:123456789012:detector/00000000000000000000000000000000/finding/ffffffffffffffffffffffffffffffff',
        productUid: 'arn:aws:securityhub:us-east-1::productv2/aws/guardduty',
        metadataUid: 'e'.repeat(64),
      },
    });
    // a tag without a value in `data` reads as empty, never "undefined"
    expect(f.resource.instance?.tags?.['ghr:runner_name_prefix']).toBe('');
    expect(f.links.map((l) => l.label)).toEqual(['GuardDuty', 'EC2 instance']);
  });

  it('reads the EC2 instance of the newer `device` shape, past a container listed first', () => {
    const event = findingsImportedV2(body(DEVICE_SHAPE)[2]!);
    const { findings, rejections } = normalizeEvent(event);
    expect(rejections).toEqual([]);
    expect(findings[0]).toMatchObject({
      type: 'PrivilegeEscalation:Runtime/ContainerMountsHostDirectory',
      resource: {
        kind: 'ec2-instance',
        id: 'i-0d7663df710a0f17a',
        instance: {
          instanceId: 'i-0d7663df710a0f17a',
          name: 'runs-on-ci-runner',
          publicIps: ['3.84.206.192'],
          imageId: 'ami-05c5514f9b7e67f21',
          launchTime: '2025-11-21T23:10:04.000Z',
        },
      },
      // activity Close: the finding closed, so it may only update a card
      archived: true,
    });
  });

  it('turns a CSPM control finding on an account into an account finding, Critical', () => {
    const { findings } = normalizeEvent(findingsImportedV2(body(DATA_SHAPE)[1]!));
    expect(findings[0]).toMatchObject({
      type: 'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark',
      severity: { label: 'CRITICAL', score: 9 },
      resource: { kind: 'aws-account', id: '123456789012' },
      count: 1,
      links: [],
    });
    expect(findings[0]!.arn).toBeUndefined();
  });

  it('reads the full envelope: an access key finding, suppressed (archived), counted 264 times', () => {
    const { findings, rejections } = normalizeEvent(loadEvent('securityhub-v2', ENVELOPE));
    expect(rejections).toEqual([]);
    expect(findings[0]).toMatchObject({
      type: 'Stealth:IAMUser/CloudTrailLoggingDisabled',
      severity: { label: 'LOW', score: 1 },
      account: '869728294964',
      resource: { kind: 'iam-access-key', id: 'ASIA4U76YS3TB3MEOA3O', label: 'cis_automation' },
      count: 264,
      workflowStatus: 'SUPPRESSED',
      archived: true,
    });
    expect(securityHubV2Identity(findings[0]!)).toEqual({
      identifier: {
        CloudAccountUid: '869728294964',
        FindingInfoUid:
          'arn:aws:guardduty:us-east-1:869728294630:detector/b4c71b47fb852d3fc0e99a82fa2841aa/finding/06c95f0cfdfd3b579b977e20e9da1aa4',
        MetadataProductUid: 'arn:aws:securityhub:us-east-1::productv2/aws/guardduty',
      },
      region: 'us-east-1',
    });
  });

  it('tolerates a finding without evidence, resources or count (no public sample of network findings)', () => {
    const raw = body(DATA_SHAPE)[0]!;
    delete raw.evidences;
    delete raw.resources;
    raw.count = null;
    const { findings, rejections } = normalizeEvent(findingsImportedV2(raw));
    expect(rejections).toEqual([]);
    expect(findings[0]).toMatchObject({ resource: { kind: 'aws-account', id: '123456789012' }, count: 1 });
  });

  it('rejects a finding without the identity BatchUpdateFindingsV2 needs, with the path, keeping the others', () => {
    const broken = body(DATA_SHAPE)[0]!;
    delete broken.cloud.account.uid;
    const event = findingsImportedV2(broken);
    (event.detail.findings as unknown[]).push(body(DATA_SHAPE)[1]!);
    const { findings, rejections } = normalizeEvent(event);
    expect(findings).toHaveLength(1);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      path: 'detail.findings[0].cloud.account.uid',
      detailType: 'Findings Imported V2',
      findingId: broken.finding_info.uid,
    });
  });
});

describe('Function: fingerprintOf (one card per real finding)', () => {
  it('gives a GuardDuty finding one fingerprint whether it came directly, through CSPM (ASFF) or as OCSF', () => {
    // Prepare: the OCSF sample's GuardDuty finding, and the same finding as GuardDuty and CSPM send it
    const ocsf = normalizeEvent(findingsImportedV2(body(DATA_SHAPE)[0]!)).findings[0]!;
    const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
    Object.assign(detail, { id: 'f'.repeat(32), arn: ocsf.id, accountId: '123456789012' });
    const direct = normalizeEvent(guardDutyEvent(detail)).findings[0]!;
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    Object.assign(asff, {
      Id: ocsf.id,
      ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty',
      AwsAccountId: '123456789012',
    });
    const cspm = normalizeEvent(securityHubImported([asff])).findings[0]!;
    // Act / Assess
    expect(new Set([direct, cspm, ocsf].map(fingerprintOf)).size).toBe(1);
  });

  it('gives a CSPM control one fingerprint as ASFF and as OCSF, and other findings their own', () => {
    const ocsf = normalizeEvent(findingsImportedV2(body(DATA_SHAPE)[1]!)).findings[0]!;
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    Object.assign(asff, {
      Id: ocsf.id,
      ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
      AwsAccountId: '123456789012',
    });
    const cspm = normalizeEvent(securityHubImported([asff])).findings[0]!;
    expect(fingerprintOf(cspm)).toBe(fingerprintOf(ocsf));
    const gd = normalizeEvent(findingsImportedV2(body(DATA_SHAPE)[0]!)).findings[0]!;
    expect(fingerprintOf(gd)).not.toBe(fingerprintOf(ocsf));
    // the same id under another product is another finding
    const other = { ...cspm, productArn: 'arn:aws:securityhub:us-east-1::product/aws/inspector' };
    expect(fingerprintOf(other)).not.toBe(fingerprintOf(cspm));
  });
});
