import {
  BatchUpdateFindingsCommand,
  BatchUpdateFindingsV2Command,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { guardDutyFindingArn } from '../../../sandbox/aws/services/guardduty.js';
import { loadEvent } from '../../support/events.js';
import { findingsImportedV2, securityHubImported } from '../../unit/findings/fixtures.js';

/**
 * The simulated Security Hub (issue 14): it updates only the findings it holds (those its import events
 * carried, and GuardDuty's, which both Security Hubs take in), refuses the rest as AWS does, and emits an
 * updated finding again under a new event id, its own times as they were.
 */
const MEMBER = '333333333333';
const hub = (region = 'us-east-1') => createAwsClient(SecurityHubClient, { region });

describe('Function: the simulated Security Hub BatchUpdateFindings(V2)', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());

  it('updates a CSPM finding it holds, emits it again, and refuses an unknown or duplicated one', async () => {
    // Prepare: a finding Security Hub imported
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    Object.assign(asff, {
      Id: `arn:aws:securityhub:us-east-1:${MEMBER}:finding/held-${Date.now()}`,
      ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
      AwsAccountId: MEMBER,
      Region: 'us-east-1',
    });
    const imported = securityHubImported([asff]);
    org.recordSecurityHubFindingsOf(imported);
    const held = { Id: asff.Id, ProductArn: asff.ProductArn };
    const unknown = { Id: `${asff.Id}-unknown`, ProductArn: asff.ProductArn };
    org.takeEvents();

    // Act
    const out = await hub().send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [held, unknown],
        Workflow: { Status: 'NOTIFIED' },
        Note: { Text: 'a note', UpdatedBy: 'forensics-bot' },
      }),
    );
    const twice = await hub().send(
      new BatchUpdateFindingsCommand({ FindingIdentifiers: [held, held], Workflow: { Status: 'NOTIFIED' } }),
    );

    // Assess
    expect(out.ProcessedFindings).toEqual([held]);
    expect(out.UnprocessedFindings).toEqual([
      { FindingIdentifier: unknown, ErrorCode: 'FindingNotFound', ErrorMessage: 'Finding Not Found' },
    ]);
    expect(twice.ProcessedFindings).toEqual([]);
    expect(twice.UnprocessedFindings?.map((u) => u.ErrorCode)).toEqual([
      'DuplicatedFindingIdentifier',
      'DuplicatedFindingIdentifier',
    ]);
    const [echo, ...more] = org.takeEvents() as Record<string, any>[];
    expect(more).toEqual([]);
    expect(echo).toMatchObject({
      'detail-type': 'Security Hub Findings - Imported',
      source: 'aws.securityhub',
      account: imported.account,
      region: 'us-east-1',
    });
    expect(echo!.id).not.toBe(imported.id);
    expect(echo!.detail.findings[0]).toMatchObject({
      Id: asff.Id,
      Workflow: { Status: 'NOTIFIED' },
      Note: { Text: 'a note', UpdatedBy: 'forensics-bot', UpdatedAt: expect.any(String) },
      UpdatedAt: asff.UpdatedAt,
      LastObservedAt: asff.LastObservedAt,
    });
  });

  it('updates a new-Security-Hub finding it holds by either identity and emits it; an unknown one is not found', async () => {
    // Prepare
    const [finding] = loadEvent<Record<string, any>[]>(
      'securityhub-v2',
      'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go',
    );
    finding!.metadata.uid = `uid-${Date.now()}`;
    const imported = findingsImportedV2(finding!);
    org.recordSecurityHubFindingsOf(imported);
    const identifier = {
      CloudAccountUid: finding!.cloud.account.uid,
      FindingInfoUid: finding!.finding_info.uid,
      MetadataProductUid: finding!.metadata.product.uid,
    };
    org.takeEvents();

    // Act
    const byTriple = await hub(finding!.cloud.region).send(
      new BatchUpdateFindingsV2Command({ FindingIdentifiers: [identifier], Comment: 'seen', StatusId: 2 }),
    );
    const byUid = await hub(finding!.cloud.region).send(
      new BatchUpdateFindingsV2Command({
        MetadataUids: [finding!.metadata.uid, 'no-such-uid'],
        SeverityId: 5,
      }),
    );

    // Assess
    expect(byTriple.ProcessedFindings).toEqual([{ FindingIdentifier: identifier }]);
    expect(byUid.ProcessedFindings).toEqual([{ MetadataUid: finding!.metadata.uid }]);
    expect(byUid.UnprocessedFindings).toEqual([
      {
        MetadataUid: 'no-such-uid',
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: 'Finding not found',
      },
    ]);
    const echoes = org.takeEvents() as Record<string, any>[];
    expect(echoes.map((e) => e['detail-type'])).toEqual(['Findings Imported V2', 'Findings Imported V2']);
    expect(echoes[1]!.detail.findings[0]).toMatchObject({
      comment: 'seen',
      status_id: 2,
      status: 'In Progress',
      severity_id: 5,
      severity: 'Critical',
      finding_info: { modified_time_dt: finding!.finding_info.modified_time_dt },
    });
    expect(echoes[1]!.detail.findings[0].time_dt).toBe(finding!.time_dt);
  });

  it("takes a GuardDuty finding its detector holds under GuardDuty's product (Security Hub takes GuardDuty's findings in)", async () => {
    // Prepare: GuardDuty holds a finding of the member account; Security Hub never had an import event of it
    const id = `${Date.now().toString(16)}`.padEnd(32, '0');
    const arn = guardDutyFindingArn(MEMBER, 'us-east-1', id);
    org.recordGuardDutyFindingsOf({
      source: 'aws.guardduty',
      detail: { id, accountId: MEMBER, region: 'us-east-1', arn, type: 'x', severity: 8 },
    });
    const other = guardDutyFindingArn(MEMBER, 'us-east-1', 'f'.repeat(32));

    // Act
    const out = await hub().send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          { Id: arn, ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' },
          { Id: other, ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' },
        ],
        Workflow: { Status: 'SUPPRESSED' },
      }),
    );

    // Assess: the held one is updated, the other not found; neither can be emitted (no ASFF of them)
    expect(out.ProcessedFindings?.map((f) => f.Id)).toEqual([arn]);
    expect(out.UnprocessedFindings?.map((f) => [f.FindingIdentifier?.Id, f.ErrorCode])).toEqual([
      [other, 'FindingNotFound'],
    ]);
  });
});
