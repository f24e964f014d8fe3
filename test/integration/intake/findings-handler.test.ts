import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebClientEvent } from '@slack/web-api';
import { handler } from '../../../handlers/findings.js';
import { slackWebClient } from '../../../bot/slack/client.js';
import { getFingerprint, fingerprintOf } from '../../../bot/intake/fingerprints.js';
import { processEvent } from '../../../bot/intake/service.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { logger } from '../../../bot/core/logger.js';
import { openCase } from '../../../bot/core/case-store.js';
import type { StartCaseRequest } from '../../../bot/cases/service.js';
import { loadEvent } from '../../support/events.js';
import { useCaseTable } from '../../support/table.js';
import { guardDutyEvent, repeatOf, securityHubImported, tagChange } from '../../unit/findings/fixtures.js';
import { cardField, setIntakeEnv, useLocalSlack, useSecurityHub } from './support.js';

useCaseTable();
const local = useLocalSlack();
const securityHub = useSecurityHub();

let seq = 0;
/** A GuardDuty EC2 finding of its own (fresh id and instance) in member account 333333333333. */
function gdFinding(patch: Record<string, unknown> = {}, servicePatch: Record<string, unknown> = {}) {
  const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
  seq++;
  detail.id = `it-${Date.now().toString(16)}-${seq}`;
  detail.accountId = '333333333333';
  detail.severity = 8;
  detail.type = 'UnauthorizedAccess:EC2/SSHBruteForce';
  detail.resource.instanceDetails.instanceId = `i-${(0x1000000 + seq).toString(16).padStart(17, '0')}`;
  Object.assign(detail.service, servicePatch);
  return guardDutyEvent({ ...detail, ...patch });
}
const alerts = () => local.slack.messages('C0ALERTS');
const callsOf = (method: string, from = 0) =>
  local.slack.calls.slice(from).filter((c) => c.method === method);

afterEach(() => vi.restoreAllMocks());

describe('Handler: findings (GuardDuty)', () => {
  it('posts one card for a new GuardDuty finding, with the instance and the three actions', async () => {
    // Prepare
    const before = alerts().length;
    const event = gdFinding();
    // Act
    await handler(event);
    // Assess
    const posted = alerts().slice(before);
    expect(posted).toHaveLength(1);
    const card = posted[0]!;
    expect(card.text).toContain('HIGH GuardDuty finding');
    const actionIds = JSON.stringify(card.blocks);
    for (const id of ['case.analyze', 'case.contain', 'finding.dismiss'])
      expect(actionIds).toContain(`"${id}"`);
    expect(cardField(card.blocks, 'Account')).toBe('333333333333');
  });

  it('updates the existing card on a repeat (count, last seen) instead of posting again', async () => {
    setIntakeEnv({ CARD_UPDATE_SECONDS: '0' });
    const event = gdFinding();
    await handler(event);
    const before = alerts().length;
    const from = local.slack.calls.length;
    await handler(repeatOf(event));
    await handler(repeatOf(event));
    expect(alerts().length).toBe(before);
    expect(callsOf('chat.update', from)).toHaveLength(2);
    const card = alerts().find((m) =>
      JSON.stringify(m.blocks).includes((event.detail as { id: string }).id),
    )!;
    expect(cardField(card.blocks, 'Count')).toBe('3');
  });

  it('posts exactly one card when ten deliveries of one finding arrive at once, and the others update it', async () => {
    const event = gdFinding();
    const id = (event.detail as { id: string }).id;
    const from = local.slack.calls.length;
    await Promise.all(Array.from({ length: 10 }, () => handler(repeatOf(event))));
    expect(callsOf('chat.postMessage', from)).toHaveLength(1);
    expect(alerts().filter((m) => JSON.stringify(m.blocks).includes(id))).toHaveLength(1);
    const finding = normalizeEvent(event).findings[0]!;
    const record = await getFingerprint(fingerprintOf(finding));
    expect(record).toMatchObject({ status: 'posted', count: 10 });
    expect(callsOf('chat.update', from).length).toBeGreaterThanOrEqual(1);
    const card = alerts().find((m) => JSON.stringify(m.blocks).includes(id))!;
    expect(Number(cardField(card.blocks, 'Count'))).toBeGreaterThan(1);
  });

  it('never redraws a card a case grew from: repeats are only counted', async () => {
    setIntakeEnv({ CARD_UPDATE_SECONDS: '0' });
    const event = gdFinding();
    await handler(event);
    const finding = normalizeEvent(event).findings[0]!;
    const fp = fingerprintOf(finding);
    const card = (await getFingerprint(fp))!;
    const { record } = await openCase({
      severity: finding.severity,
      title: finding.title,
      findingIds: [finding.id],
      target: { account: finding.account, region: finding.region, instanceId: finding.resource.id },
      actions: ['analyze'],
      trigger: 'slack-button',
      requester: { userId: 'U0ALICE' },
      slack: { channel: card.channel, cardTs: card.ts, threadTs: card.ts },
    });
    const from = local.slack.calls.length;
    await handler(repeatOf(event));
    await handler(repeatOf(event));
    expect(callsOf('chat.update', from)).toHaveLength(0);
    expect(await getFingerprint(fp)).toMatchObject({ caseId: record.id, count: 3 });
  });

  it('turns the card of a finding archived in GuardDuty into a closed card without buttons, posting nothing', async () => {
    const event = gdFinding();
    await handler(event);
    const before = alerts().length;
    const archived = repeatOf(event);
    (archived.detail as { service: { archived: boolean } }).service.archived = true;
    await handler(archived);
    expect(alerts().length).toBe(before);
    const card = alerts().find((m) =>
      JSON.stringify(m.blocks).includes((event.detail as { id: string }).id),
    )!;
    expect(JSON.stringify(card.blocks)).toContain('archived in GuardDuty');
    expect(JSON.stringify(card.blocks)).not.toContain('case.contain');
  });

  it('posts nothing for an archived finding that never had a card', async () => {
    const from = local.slack.calls.length;
    await handler(gdFinding({}, { archived: true }));
    expect(callsOf('chat.postMessage', from)).toHaveLength(0);
  });

  it('rejects the redacted real finding with a logged reason and path, without throwing or posting', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const from = local.slack.calls.length;
    await expect(
      handler(loadEvent('guardduty', 'guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted')),
    ).resolves.toEqual({ ok: true });
    expect(callsOf('chat.postMessage', from)).toHaveLength(0);
    expect(warn).toHaveBeenCalledWith(
      'Finding rejected',
      expect.objectContaining({ path: 'detail.accountId', reason: 'an AWS account id is 12 digits' }),
    );
  });

  it('honours the policy: below minimum severity, ignored account, ignored type, opt-out tag', async () => {
    setIntakeEnv({ MIN_SEVERITY: 'HIGH', IGNORE_ACCOUNTS: '444444444444', IGNORE_FINDING_TYPES: 'Recon:*' });
    const from = local.slack.calls.length;
    const optOut = gdFinding();
    (optOut.detail as any).resource.instanceDetails.tags.push({
      key: 'forensics-bot:ignore',
      value: 'pentest box',
    });
    await handler(gdFinding({ severity: 5 }));
    await handler(gdFinding({ accountId: '444444444444' }));
    await handler(gdFinding({ type: 'Recon:EC2/PortProbeUnprotectedPort' }));
    await handler(optOut);
    expect(callsOf('chat.postMessage', from)).toHaveLength(0);
    await handler(gdFinding());
    expect(callsOf('chat.postMessage', from)).toHaveLength(1);
  });

  it('routes a finding of a routed account to its channel', async () => {
    setIntakeEnv({ CHANNEL_ROUTES: '333333333333=C0COMMANDERS' });
    const before = local.slack.messages('C0COMMANDERS').length;
    await handler(gdFinding());
    expect(local.slack.messages('C0COMMANDERS').length).toBe(before + 1);
  });

  it('waits out a 429 with Retry-After and still posts the card', async () => {
    local.slack.rateLimit({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 1 });
    const client = await slackWebClient();
    const waits: number[] = [];
    const onRateLimited = (seconds: number) => waits.push(seconds);
    client.on(WebClientEvent.RATE_LIMITED, onRateLimited);
    const before = alerts().length;
    try {
      await handler(gdFinding());
    } finally {
      client.off(WebClientEvent.RATE_LIMITED, onRateLimited);
    }
    expect(waits).toEqual([1]);
    expect(alerts().length).toBe(before + 1);
  });

  it('aggregates a burst over the channel budget into one summary card that grows', async () => {
    setIntakeEnv({
      STORM_MAX_POSTS: '3',
      STORM_WINDOW_SECONDS: '1',
      STORM_MAX_UPDATES: '1000',
      SUMMARY_UPDATE_SECONDS: '0',
    });
    const type = `Recon:EC2/PortProbeUnprotectedPort.Storm${Date.now()}`;
    const from = local.slack.calls.length;
    const before = alerts().length;
    for (let n = 0; n < 20; n++) {
      const event = gdFinding({ type });
      // 20 findings on 8 instances
      (event.detail as any).resource.instanceDetails.instanceId =
        `i-${(0xabc000 + (n % 8)).toString(16).padStart(17, '0')}`;
      await handler(event);
    }
    const posted = alerts().slice(before);
    const summaries = posted.filter((m) => m.text.includes('more finding'));
    expect(summaries).toHaveLength(1);
    // the cards that fit the budget before the storm began; every later finding of the type is in the summary
    const cards = posted.length - 1;
    expect(cards).toBeGreaterThanOrEqual(3);
    expect(cards).toBeLessThan(20);
    const instances = new Set(Array.from({ length: 20 }, (_, n) => n % 8).slice(cards)).size;
    const summary = alerts().find((m) => m.ts === summaries[0]!.ts)!;
    expect(summary.text).toBe(`${20 - cards} more findings of type ${type} on ${instances} instances`);
    expect(callsOf('chat.update', from).length).toBeGreaterThan(0);
  });
});

describe('Handler: findings (Security Hub)', () => {
  it('posts every valid finding of a batch, logs the malformed one, and marks the posted ones NOTIFIED with the card link', async () => {
    // Prepare (the AWS docs sample writes ARNs as arn:aws::…; Security Hub would not find that product)
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    asff.Id = `${asff.Id}-${Date.now()}`;
    asff.ProductArn = 'arn:aws:securityhub:us-east-1::product/aws/guardduty';
    const inspector = loadEvent(
      'securityhub',
      'securityhub-asff-finding-inspector-classic-network-reachability.awsdocs',
    );
    inspector.Id = `${inspector.Id}-${Date.now()}`;
    const broken = { ...structuredClone(asff), Id: 'broken', AwsAccountId: 'XXXXXXXXXXXX' };
    const warn = vi.spyOn(logger, 'warn');
    const before = alerts().length;
    const updatesBefore = securityHub.updates().length;
    // Act (Security Hub holds the findings it sends)
    await handler(securityHub.imported(securityHubImported([asff, broken, inspector])));
    // Assess
    const posted = alerts().slice(before);
    expect(posted).toHaveLength(2);
    expect(warn).toHaveBeenCalledWith(
      'Finding rejected',
      expect.objectContaining({ path: 'detail.findings[1].AwsAccountId', findingId: 'broken' }),
    );
    const updates = securityHub.updates().slice(updatesBefore);
    expect(updates.map((u) => u.findingId).sort()).toEqual([asff.Id, inspector.Id].sort());
    for (const update of updates) {
      expect(update.workflowStatus).toBe('NOTIFIED');
      expect(update.note?.updatedBy).toBe('forensics-bot');
      expect(update.note?.text).toMatch(/archives\/C0ALERTS\/p\d+/);
    }
    // each card's own link
    expect(new Set(updates.map((u) => u.note?.text)).size).toBe(2);
  });

  it('keeps the card and logs the error when BatchUpdateFindings fails', async () => {
    securityHub.fail = Object.assign(
      new Error('User is not authorized to perform: securityhub:BatchUpdateFindings'),
      { name: 'AccessDeniedException' },
    );
    const error = vi.spyOn(logger, 'error');
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    asff.Id = `${asff.Id}-fail-${Date.now()}`;
    const before = alerts().length;
    await expect(handler(securityHubImported([asff]))).resolves.toEqual({ ok: true });
    expect(alerts().length).toBe(before + 1);
    expect(error).toHaveBeenCalledWith(
      'Security Hub BatchUpdateFindings failed; the Slack card stands',
      expect.objectContaining({ errorName: 'AccessDeniedException', findings: 1 }),
    );
  });

  it("does not count Security Hub CSPM's echo of its own NOTIFIED and note, and counts the next real repeat (issue 14)", async () => {
    // Prepare: a finding Security Hub holds, so that our BatchUpdateFindings makes it emit it again
    setIntakeEnv({ CARD_UPDATE_SECONDS: '0' });
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    asff.Id = `${asff.Id}-echo-${Date.now()}`;
    asff.ProductArn = 'arn:aws:securityhub:us-east-1::product/aws/guardduty';
    // the card shows the larger of the bot's count and GuardDuty's own (74 in the sample): the bot's here
    delete asff.ProductFields['aws/guardduty/service/count'];
    const first = securityHub.imported(securityHubImported([asff]));
    await handler(first);
    const fingerprint = fingerprintOf(normalizeEvent(first).findings[0]!);
    const posted = await getFingerprint(fingerprint);
    const echoes = securityHub.echoes().filter((e) => e.detail.findings[0].Id === asff.Id);
    // what AWS emits: a new event, NOTIFIED and our note, UpdatedAt as it was
    expect(echoes).toHaveLength(1);
    const echo = echoes[0]!;
    expect(echo).toMatchObject({
      'detail-type': 'Security Hub Findings - Imported',
      source: 'aws.securityhub',
    });
    expect(echo.detail.findings[0]).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      Note: { UpdatedBy: 'forensics-bot', Text: expect.stringMatching(/archives\/C0ALERTS\/p\d+/) },
      UpdatedAt: asff.UpdatedAt,
    });

    // Act: the echo, then a real repeat (new observation, still NOTIFIED with our note)
    await handler(echo);
    const afterEcho = await getFingerprint(fingerprint);
    const repeat = structuredClone(echo.detail.findings[0]);
    repeat.LastObservedAt = new Date(Date.now() + 60_000).toISOString();
    repeat.UpdatedAt = repeat.LastObservedAt;
    await handler(securityHub.imported(securityHubImported([repeat])));

    // Assess
    expect(afterEcho).toMatchObject({ count: 1, lastSeen: posted!.lastSeen });
    expect(await getFingerprint(fingerprint)).toMatchObject({ count: 2 });
    const cards = alerts().filter((m) => JSON.stringify(m.blocks).includes(asff.Id.slice(-20)));
    expect(cards).toHaveLength(1);
    expect(cardField(cards[0]!.blocks, 'Count')).toBe('2');
  });

  it('counts a NOTIFIED repeat on the card the bot posted, and never posts one for a finding another tool notified (issue 14)', async () => {
    // Prepare: one finding the bot carded (then NOTIFIED by the bot), one that another tool NOTIFIED
    setIntakeEnv({ CARD_UPDATE_SECONDS: '0' });
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    asff.Id = `${asff.Id}-notified-${Date.now()}`;
    asff.ProductArn = 'arn:aws:securityhub:us-east-1::product/aws/guardduty';
    delete asff.ProductFields['aws/guardduty/service/count'];
    await handler(securityHubImported([asff]));
    const other = { ...structuredClone(asff), Id: `${asff.Id}-other`, Workflow: { Status: 'NOTIFIED' } };
    const before = alerts().length;
    // Act
    await handler(
      securityHubImported([
        {
          ...structuredClone(asff),
          Workflow: { Status: 'NOTIFIED' },
          LastObservedAt: new Date().toISOString(),
        },
      ]),
    );
    await handler(securityHubImported([other]));
    // Assess
    expect(alerts().length).toBe(before);
    const card = alerts().find((m) => JSON.stringify(m.blocks).includes(asff.Id.slice(-20)))!;
    expect(cardField(card.blocks, 'Count')).toBe('2');
    expect(
      await getFingerprint(fingerprintOf(normalizeEvent(securityHubImported([other])).findings[0]!)),
    ).toBeUndefined();
  });

  it('closes the card of a finding resolved in Security Hub', async () => {
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    asff.Id = `${asff.Id}-resolve-${Date.now()}`;
    await handler(securityHubImported([asff]));
    const before = alerts().length;
    await handler(securityHubImported([{ ...structuredClone(asff), Workflow: { Status: 'RESOLVED' } }]));
    expect(alerts().length).toBe(before);
    const card = alerts().find((m) => JSON.stringify(m.blocks).includes(asff.Id.slice(-20)))!;
    expect(JSON.stringify(card.blocks)).toContain('resolved in Security Hub');
  });
});

describe('Handler: findings (case requests)', () => {
  it('asks the case service for Contain without approval when the instance is tagged SecurityIncidentStatus=Contain', async () => {
    const calls: StartCaseRequest[] = [];
    const startCase = async (req: StartCaseRequest) => {
      calls.push(req);
      return { record: { id: 'CASE-20240101-AAAA' } as never, created: true };
    };
    const result = await processEvent(
      tagChange('i-0123456789abcdef0', { SecurityIncidentStatus: 'Contain' }, ['SecurityIncidentStatus']),
      { startCase },
    );
    expect(result.requests.started).toBe(1);
    expect(calls[0]).toMatchObject({
      target: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0123456789abcdef0' },
      actions: ['contain'],
      trigger: 'tag',
      requester: { userId: 'aws', name: 'tag SecurityIncidentStatus=Contain' },
      approval: 'not-required',
    });
  });

  it('asks for Contain with approval for a Security Hub custom action, growing the case from the posted card', async () => {
    const event = loadEvent('securityhub', 'securityhub-findings-custom-action-ec2-instance-afo-triage');
    event.resources = ['arn:aws:securityhub:ap-southeast-2:123456789012:action/custom/ForensicsContain'];
    event.detail.findings[0].Id = `${event.detail.findings[0].Id}-${Date.now()}`;
    await handler(securityHubImported(event.detail.findings));
    const calls: StartCaseRequest[] = [];
    const startCase = async (req: StartCaseRequest) => {
      calls.push(req);
      return { record: { id: 'CASE-20240101-BBBB' } as never, created: true };
    };
    await processEvent(event, { startCase });
    expect(calls[0]).toMatchObject({
      trigger: 'security-hub-action',
      actions: ['contain'],
      approval: 'required',
      requester: { name: 'Security Hub action ForensicsContain' },
    });
    // The case service marks this fingerprint with the case (test/integration/slack/progress.test.ts).
    const fingerprint = fingerprintOf(
      normalizeEvent(securityHubImported(event.detail.findings)).findings[0]!,
    );
    expect(calls[0]!.card).toMatchObject({ channel: 'C0ALERTS', fingerprint });
    expect((await getFingerprint(fingerprint))?.status).toBe('posted');
  });

  it('posts a card naming the requested action and its trigger when the case service fails', async () => {
    const before = alerts().length;
    const startCase = async () => {
      throw new Error('case workflow not deployed');
    };
    const result = await processEvent(
      tagChange('i-0fedcba9876543210', { SecurityIncidentStatus: 'Analyze' }, ['SecurityIncidentStatus']),
      { startCase },
    );
    expect(result.requests.fallback).toBe(1);
    const card = alerts().slice(before)[0]!;
    expect(JSON.stringify(card.blocks)).toContain(
      '*Analyze* requested by tag SecurityIncidentStatus=Analyze',
    );
    expect(JSON.stringify(card.blocks)).toContain('case.analyze');
  });
});
