import { ArchiveFindingsCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { archiveInGuardDuty, guardDutyTarget } from '../../../bot/cases/guardduty-archive.js';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import type { Finding } from '../../../bot/core/finding.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { guardDutyDetectorId, guardDutyFindingArn } from '../../../sandbox/aws/services/guardduty.js';
import { loadEvent } from '../../support/events.js';
import { assume, rejection } from './support.js';

/**
 * The simulated GuardDuty (issue 14, item 5): the security account is the delegated administrator and
 * archives members' findings with its own detector; ArchiveFindings refuses what GuardDuty refuses.
 */
const MEMBER = '333333333333';

function guardDutyEvent(id: string, region = 'eu-west-1') {
  const event = loadEvent('guardduty', 'guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed');
  Object.assign(event.detail, {
    id,
    accountId: MEMBER,
    region,
    arn: guardDutyFindingArn(MEMBER, region, id),
    severity: 8,
  });
  return Object.assign(event, { account: '111111111111', region });
}

const gd = (region: string, credentials?: Awaited<ReturnType<typeof assume>>) =>
  createAwsClient(GuardDutyClient, { region, ...(credentials ? { credentials } : {}) });

describe('Function: the simulated GuardDuty ArchiveFindings', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  const findingOf = (account: string, region: string, id: string) =>
    org
      .state()
      .accounts.find((a) => a.id === account)
      ?.regions.find((r) => r.region === region)
      ?.guardDutyFindings?.find((f) => f.id === id);

  it("archives a member's finding when the administrator asks with its own detector", async () => {
    // Prepare
    const id = '1a'.repeat(16);
    org.recordGuardDutyFinding(guardDutyEvent(id).detail);
    const { DetectorIds } = await gd('eu-west-1').send(new ListDetectorsCommand({}));

    // Act
    await gd('eu-west-1').send(new ArchiveFindingsCommand({ DetectorId: DetectorIds![0], FindingIds: [id] }));

    // Assess
    expect(DetectorIds).toEqual([guardDutyDetectorId('111111111111', 'eu-west-1')]);
    expect(findingOf(MEMBER, 'eu-west-1', id)).toMatchObject({
      archived: true,
      archivedBy: expect.any(String),
    });
  });

  it('refuses, with BadRequestException and nothing archived: another detector, an unknown id, another region, a member', async () => {
    // Prepare
    const id = '2b'.repeat(16);
    org.recordGuardDutyFinding(guardDutyEvent(id).detail);
    const admin = guardDutyDetectorId('111111111111', 'eu-west-1');

    // Act
    const memberDetector = await rejection(
      gd('eu-west-1').send(
        new ArchiveFindingsCommand({
          DetectorId: guardDutyDetectorId(MEMBER, 'eu-west-1'),
          FindingIds: [id],
        }),
      ),
    );
    const unknown = await rejection(
      gd('eu-west-1').send(
        new ArchiveFindingsCommand({ DetectorId: admin, FindingIds: [id, 'f'.repeat(32)] }),
      ),
    );
    const otherRegion = await rejection(
      gd('us-east-1').send(
        new ArchiveFindingsCommand({
          DetectorId: guardDutyDetectorId('111111111111', 'us-east-1'),
          FindingIds: [id],
        }),
      ),
    );
    const tooMany = await rejection(
      gd('eu-west-1').send(
        new ArchiveFindingsCommand({ DetectorId: admin, FindingIds: Array.from({ length: 51 }, () => id) }),
      ),
    );
    const member = await rejection(
      gd('eu-west-1', await assume(MEMBER)).send(
        new ArchiveFindingsCommand({
          DetectorId: guardDutyDetectorId(MEMBER, 'eu-west-1'),
          FindingIds: [id],
        }),
      ),
    );

    // Assess
    expect(memberDetector.name).toBe('BadRequestException');
    expect(memberDetector.message).toMatch(/detectorId is not owned by the current account/);
    expect(unknown.name).toBe('BadRequestException');
    expect(unknown.message).toContain('f'.repeat(32));
    expect(otherRegion.name).toBe('BadRequestException');
    expect(tooMany.name).toBe('BadRequestException');
    expect(['BadRequestException', 'AccessDeniedException']).toContain(member.name);
    expect(findingOf(MEMBER, 'eu-west-1', id)?.archived).toBe(false);
  });

  it("the bot's Dismiss path archives a member's finding in its own region", async () => {
    // Prepare: the finding as intake normalizes it, in eu-west-1 (the bot runs in us-east-1)
    const id = '3c'.repeat(16);
    const event = guardDutyEvent(id);
    org.recordGuardDutyFinding(event.detail);
    const [finding] = normalizeEvent(event).findings as Finding[];

    // Act
    const archived = await archiveInGuardDuty(finding!);

    // Assess
    expect(archived).toBe(true);
    expect(findingOf(MEMBER, 'eu-west-1', id)?.archived).toBe(true);
    const calls = org.calls.filter((c) => c.client === 'GuardDutyClient').slice(-2);
    expect(calls.map((c) => [c.command, c.account, c.region, c.outcome])).toEqual([
      ['ListDetectorsCommand', '111111111111', 'eu-west-1', 'ok'],
      ['ArchiveFindingsCommand', '111111111111', 'eu-west-1', 'ok'],
    ]);
  });

  it("answers false, without throwing, when GuardDuty refuses (the finding is not GuardDuty's)", async () => {
    const event = guardDutyEvent('4d'.repeat(16)); // never recorded: GuardDuty does not know it
    const [finding] = normalizeEvent(event).findings as Finding[];
    expect(await archiveInGuardDuty(finding!)).toBe(false);
  });
});

describe('Function: guardDutyTarget (which findings Dismiss archives in GuardDuty)', () => {
  it('finds the GuardDuty finding whichever way it came, and nothing for findings GuardDuty did not make', () => {
    // Prepare
    const direct = normalizeEvent(guardDutyEvent('5e'.repeat(16))).findings[0]!;
    // the composed sample writes the AWS docs' 'arn:aws::guardduty:' (sic); CSPM's Id is the GuardDuty ARN
    const imported = loadEvent(
      'securityhub',
      'securityhub-findings-imported-guardduty-ec2-sshbruteforce.composed',
    );
    imported.detail.findings[0].Id = imported.detail.findings[0].Id.replace(
      'arn:aws::guardduty:',
      'arn:aws:guardduty:',
    );
    const cspm = normalizeEvent(imported).findings[0]!;
    const control = normalizeEvent(
      loadEvent('securityhub', 'securityhub-findings-imported-securityhub-cis-1.3'),
    ).findings[0]!;
    const [runtime, cisControl] = loadEvent<Record<string, unknown>[]>(
      'securityhub-v2',
      'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go',
    );
    const v2 = (f: Record<string, unknown>) =>
      normalizeEvent({
        'detail-type': 'Findings Imported V2',
        source: 'aws.securityhub',
        region: 'us-east-1',
        detail: { findings: [f] },
      }).findings[0]!;

    // Act / Assess
    expect(guardDutyTarget(direct)).toEqual({
      region: 'eu-west-1',
      account: MEMBER,
      detectorId: guardDutyDetectorId(MEMBER, 'eu-west-1'),
      findingId: '5e'.repeat(16),
    });
    expect(cspm.id).toMatch(/^arn:aws:guardduty:/);
    expect(guardDutyTarget(cspm)?.findingId).toBe(cspm.id.split('/').pop());
    expect(guardDutyTarget(v2(runtime!))).toMatchObject({ findingId: 'f'.repeat(32), region: 'us-east-1' });
    expect(guardDutyTarget(control)).toBeUndefined();
    expect(guardDutyTarget(v2(cisControl!))).toBeUndefined();
  });
});
