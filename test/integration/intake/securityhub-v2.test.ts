import { describe, expect, it } from 'vitest';
import { fingerprintOf, getFingerprint } from '../../../bot/intake/fingerprints.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { handler } from '../../../handlers/findings.js';
import { loadEvent } from '../../support/events.js';
import { useCaseTable } from '../../support/table.js';
import { findingsImportedV2, guardDutyEvent, securityHubImported } from '../../unit/findings/fixtures.js';
import { cardField, setIntakeEnv, useLocalSlack, useSecurityHub } from './support.js';

/**
 * The new Security Hub (OCSF, `Findings Imported V2`) through handlers/findings.ts: its cards, its
 * write-back with BatchUpdateFindingsV2 (the simulated organization's Security Hub, as strict as the API
 * reference), and one card per real finding whichever way it came.
 */
useCaseTable();
const local = useLocalSlack();
const securityHub = useSecurityHub();

const SAMPLE =
  'securityhub-v2-ocsf-body-only_guardduty-runtime-ec2-NewBinaryExecuted_and_cspm-control.cruxstack-slack-go';
let seq = 0;

/** The sample's GuardDuty Runtime finding as a finding of its own (fresh GuardDuty id, instance). */
function ocsfGuardDuty() {
  seq++;
  const raw = loadEvent<Record<string, any>[]>('securityhub-v2', SAMPLE)[0]!;
  const gdId = `${Date.now().toString(16)}${String(seq).padStart(8, '0')}`.padEnd(32, '0');
  const arn = `arn:aws:guardduty:us-east-1:123456789012:detector/00000000000000000000000000000000/finding/${gdId}`;
  raw.finding_info.uid = arn;
  raw.finding_info.uid_alt = gdId;
  raw.metadata.uid = `${gdId}${gdId}`;
  raw.severity_id = 4;
  raw.severity = 'High';
  const instanceId = `i-${(0x5000000 + seq).toString(16).padStart(17, '0')}`;
  raw.resources[0].uid = instanceId;
  raw.resources[0].name = instanceId;
  raw.resources[0].data.instance_id = instanceId;
  return { raw, arn, gdId, instanceId };
}

const alerts = () => local.slack.messages('C0ALERTS');
const cardOf = (instanceId: string) => alerts().filter((m) => JSON.stringify(m.blocks).includes(instanceId));

describe('Handler: findings (Security Hub, OCSF)', () => {
  it('posts a card for a new-Security-Hub finding and comments the card link with BatchUpdateFindingsV2', async () => {
    // Prepare
    const { raw, arn, instanceId } = ocsfGuardDuty();
    const updatesBefore = securityHub.updates().length;
    // Act (Security Hub holds the finding it sends)
    await handler(securityHub.imported(findingsImportedV2(raw)));
    // Assess: one card on the instance, with the source's severity
    const cards = cardOf(instanceId);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.text).toContain('HIGH Security Hub (OCSF) finding');
    expect(JSON.stringify(cards[0]!.blocks)).toContain('"case.contain"');
    // the write-back names the finding by its OCSF identity and leaves its status alone
    const updates = securityHub.updates().slice(updatesBefore);
    expect(updates).toEqual([
      expect.objectContaining({
        api: 'BatchUpdateFindingsV2',
        findingId: arn,
        productArn: 'arn:aws:securityhub:us-east-1::productv2/aws/guardduty',
        note: expect.objectContaining({ text: expect.stringMatching(/archives\/C0ALERTS\/p\d+/) }),
      }),
    ]);
    expect(updates[0]!.statusId).toBeUndefined();
  });

  it('gives a GuardDuty finding one card whether it comes directly, through CSPM or through Security Hub, and counts each event once', async () => {
    // Prepare: the same finding three ways
    setIntakeEnv({ CARD_UPDATE_SECONDS: '0' });
    const { raw, arn, gdId, instanceId } = ocsfGuardDuty();
    const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
    Object.assign(detail, { id: gdId, arn, accountId: '123456789012', severity: 8 });
    detail.resource.instanceDetails.instanceId = instanceId;
    const direct = guardDutyEvent(detail, { account: '123456789012' });
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    Object.assign(asff, {
      Id: arn,
      ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
      AwsAccountId: '123456789012',
    });
    asff.Resources[0].Id = instanceId;
    const cspm = securityHubImported([asff]);
    const ocsf = findingsImportedV2(raw);
    const fingerprint = fingerprintOf(normalizeEvent(direct).findings[0]!);
    // Act: each event, and a duplicate delivery of the first (same event id)
    await handler(direct);
    await handler(structuredClone(direct));
    await handler(cspm);
    await handler(ocsf);
    // Assess: one card, Count 3 (three events, the duplicate not counted)
    const cards = cardOf(instanceId);
    expect(cards).toHaveLength(1);
    expect(await getFingerprint(fingerprint)).toMatchObject({ status: 'posted', count: 3 });
    expect(cardField(cards[0]!.blocks, 'Count')).toBe('3');
    for (const event of [cspm, ocsf])
      expect(fingerprintOf(normalizeEvent(event).findings[0]!)).toBe(fingerprint);
  });

  it("does not count Security Hub's echo of its own comment, and counts the next real repeat (issue 14)", async () => {
    // Prepare: the finding as Security Hub holds it, so that our BatchUpdateFindingsV2 makes it emit it again
    setIntakeEnv({ CARD_UPDATE_SECONDS: '0' });
    const { raw, instanceId } = ocsfGuardDuty();
    const first = securityHub.imported(findingsImportedV2(raw));
    await handler(first);
    const fingerprint = fingerprintOf(normalizeEvent(first).findings[0]!);
    const posted = await getFingerprint(fingerprint);
    const echoes = securityHub
      .echoes()
      .filter((e) => e.detail.findings[0].finding_info.uid === raw.finding_info.uid);
    // the twin emitted what AWS emits: a new event, our comment on it, the finding's own times as they were
    expect(echoes).toHaveLength(1);
    const echo = echoes[0]!;
    expect(echo).toMatchObject({ 'detail-type': 'Findings Imported V2', source: 'aws.securityhub' });
    expect(echo.id).not.toBe(first.id);
    expect(echo.detail.findings[0].comment).toMatch(
      /^Posted to Slack by forensics-bot: .*archives\/C0ALERTS\/p\d+/,
    );
    expect(echo.detail.findings[0].finding_info.modified_time_dt).toBe(raw.finding_info.modified_time_dt);

    // Act: the echo arrives, then a real repeat (a new observation; our comment stays on the finding)
    await handler(echo);
    const afterEcho = await getFingerprint(fingerprint);
    const repeat = structuredClone(echo.detail.findings[0]);
    repeat.finding_info.last_seen_time_dt = new Date(Date.now() + 60_000).toISOString();
    repeat.finding_info.modified_time_dt = repeat.finding_info.last_seen_time_dt;
    repeat.count = 2;
    await handler(securityHub.imported(findingsImportedV2(repeat)));

    // Assess: the echo counted nothing and moved no last seen; the repeat counted
    expect(afterEcho).toMatchObject({ count: 1, lastSeen: posted!.lastSeen });
    expect(await getFingerprint(fingerprint)).toMatchObject({ count: 2 });
    const cards = cardOf(instanceId);
    expect(cards).toHaveLength(1);
    expect(cardField(cards[0]!.blocks, 'Count')).toBe('2');
  });

  it('counts ten concurrent duplicate deliveries of one event once, posting one card', async () => {
    const { raw, instanceId } = ocsfGuardDuty();
    const event = findingsImportedV2(raw);
    await Promise.all(Array.from({ length: 10 }, () => handler(structuredClone(event))));
    expect(cardOf(instanceId)).toHaveLength(1);
    const record = await getFingerprint(fingerprintOf(normalizeEvent(event).findings[0]!));
    expect(record).toMatchObject({ status: 'posted', count: 1 });
  });

  it('closes the card of a finding suppressed in Security Hub, posting nothing and writing nothing back', async () => {
    const { raw, instanceId } = ocsfGuardDuty();
    await handler(findingsImportedV2(raw));
    const before = alerts().length;
    const updatesBefore = securityHub.updates().length;
    await handler(findingsImportedV2({ ...structuredClone(raw), status: 'Suppressed', status_id: 3 }));
    expect(alerts().length).toBe(before);
    expect(JSON.stringify(cardOf(instanceId)[0]!.blocks)).toContain('suppressed in Security Hub (OCSF)');
    expect(securityHub.updates().length).toBe(updatesBefore);
  });
});
