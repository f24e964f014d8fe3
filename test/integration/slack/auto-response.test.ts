/**
 * Auto-response rules on the Slack side (issue 14, item 3): GuardDuty events into handlers/findings.ts,
 * the case service on dynalite, LocalSlack as the workspace, the Step Functions recorder as the workflow;
 * `/forensics rules` as a real signed slash command into handlers/slack.ts. The real ASL run of an
 * analyze rule is test/integration/intake/auto-response-workflow.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../bot/core/errors.js';
import { listDayAudit, openCaseOf } from '../../../bot/core/case-store.js';
import { hourCounts } from '../../../bot/intake/auto-response-store.js';
import { processEvent } from '../../../bot/intake/service.js';
import { autoResponseSettings } from '../../../bot/intake/settings.js';
import { handler as findings } from '../../../handlers/findings.js';
import { cryptoMiningEvent } from '../../support/crypto-mining.js';
import { loadEvent } from '../../support/events.js';
import { guardDutyEvent } from '../../unit/findings/fixtures.js';
import { handler, useSlackSide } from './harness.js';

const side = useSlackSide();
const { slack } = side;
const MEMBER = '333333333333';
const REGION = 'us-east-1';

function useRules(config: unknown, allowUnattendedContainment?: 'true' | 'false'): void {
  process.env.AUTO_RESPONSE = JSON.stringify(config);
  if (allowUnattendedContainment) process.env.ALLOW_UNATTENDED_CONTAINMENT = allowUnattendedContainment;
  else delete process.env.ALLOW_UNATTENDED_CONTAINMENT;
  autoResponseSettings.reset();
}
afterEach(() => useRules({}));

const newInstance = () => `i-0${randomBytes(8).toString('hex')}`;
const cardOf = (instanceId: string) =>
  slack.messages('C0ALERTS').filter((m) => JSON.stringify(m.blocks ?? []).includes(instanceId));
const starts = () => side.sfn.calls.filter((c) => c.command === 'StartExecution');
const startOf = (caseId: string) => starts().filter((c) => c.input.name === caseId);
const CRYPTO = { types: ['CryptoCurrency:EC2/*'], minSeverity: 'HIGH' };

describe('Function: auto-response (Slack side)', () => {
  it('request-containment: the rule opens a containment case that waits for a commander, and the card names the rule', async () => {
    // Prepare
    useRules({ maxCasesPerHour: 100, rules: [{ name: 'miners', ...CRYPTO, action: 'request-containment' }] });
    const instanceId = newInstance();

    // Act
    await findings(cryptoMiningEvent({ instanceId }));

    // Assess
    const opened = await openCaseOf({ account: MEMBER, region: REGION, instanceId });
    expect(opened).toMatchObject({
      actions: ['contain'],
      approval: 'required',
      trigger: 'auto-response',
      requester: { name: 'auto-response rule "miners"' },
    });
    const [start] = startOf(opened!.id);
    expect(JSON.parse(start!.input.input)).toMatchObject({
      Actions: { contain: true },
      Approval: 'required',
      Trigger: 'auto-response',
    });
    const [card] = cardOf(instanceId);
    expect(JSON.stringify(card!.blocks)).toContain('opened by auto-response rule');
    expect(JSON.stringify(card!.blocks)).not.toContain('"action_id":"case.contain"');
    expect(card!.replies.some((r) => r.text.includes('Opened by auto-response rule 1 "miners"'))).toBe(true);
  });

  it('acts once per finding: a repeat and a duplicate delivery of the event open nothing more', async () => {
    useRules({ maxCasesPerHour: 100, rules: [{ name: 'crypto', ...CRYPTO, action: 'analyze' }] });
    const instanceId = newInstance();
    const event = cryptoMiningEvent({ instanceId });
    await findings(event);
    await findings(event);
    await findings({ ...event, id: `${event.id.slice(0, -4)}beef` });
    const opened = await openCaseOf({ account: MEMBER, region: REGION, instanceId });
    expect(startOf(opened!.id)).toHaveLength(1);
    expect(JSON.parse(startOf(opened!.id)[0]!.input.input)).toMatchObject({
      Actions: { contain: false },
      Approval: 'not-required',
    });
    expect(cardOf(instanceId)).toHaveLength(1);
  });

  it('an instance that already has a case: the rule opens nothing and takes nothing from the hour', async () => {
    useRules({ maxCasesPerHour: 100, rules: [{ name: 'crypto', ...CRYPTO, action: 'analyze' }] });
    const instanceId = newInstance();
    await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `analyze ${instanceId} ${MEMBER}`,
    });
    const byAlice = await openCaseOf({ account: MEMBER, region: REGION, instanceId });
    const hour = new Date('2031-04-01T08:00:00.000Z');

    const result = await processEvent(cryptoMiningEvent({ instanceId }), { now: () => hour });

    expect(result.autoResponse).toEqual({ already: 1 });
    expect(await openCaseOf({ account: MEMBER, region: REGION, instanceId })).toMatchObject({
      id: byAlice!.id,
      requester: { userId: 'U0ALICE' },
    });
    expect(await hourCounts(hour)).toEqual({ cases: 0, refused: 0 });
  });

  it('a rule matching a finding without an instance says in the card thread and the audit that it could not act, once; a notify rule still acts (issue 14)', async () => {
    // Prepare: any HIGH finding is analyzed, S3 findings are only carded; an IAM and an S3 finding, HIGH
    useRules({
      maxCasesPerHour: 100,
      rules: [
        { name: 's3 cards', types: ['*:S3/*'], action: 'notify' },
        { name: 'all high', minSeverity: 'HIGH', action: 'analyze' },
      ],
    });
    const hour = new Date('2031-04-02T08:00:00.000Z');
    const iam = loadEvent('guardduty', 'guardduty-finding-iam-recon-maliciousipcaller-custom.composed');
    const iamId = randomBytes(16).toString('hex');
    Object.assign(iam.detail, {
      id: iamId,
      accountId: MEMBER,
      severity: 8,
      arn: iam.detail.arn.replace(/finding\/.*$/, `finding/${iamId}`),
    });
    iam.detail.service.archived = false; // the sample is archived
    const s3Detail = loadEvent('guardduty', 'guardduty-detailonly-s3-pentest-parrotlinux.sample');
    Object.assign(s3Detail, { id: randomBytes(16).toString('hex'), accountId: MEMBER, severity: 8 });
    s3Detail.service.archived = false; // the sample is archived
    const before = starts().length;
    const keyId = iam.detail.resource.accessKeyDetails.accessKeyId;

    // Act: the IAM finding, a repeat of it (a new event), and the S3 finding
    const first = await processEvent({ ...iam, id: randomUUID() }, { now: () => hour });
    const repeat = await processEvent({ ...iam, id: randomUUID() }, { now: () => hour });
    const s3 = await processEvent(guardDutyEvent(s3Detail), { now: () => hour });

    // Assess: the rule matched and said why it could not act, once; nothing started, nothing taken
    expect(first.autoResponse).toEqual({ 'cannot-act': 1 });
    expect(repeat.autoResponse).toEqual({ already: 1 });
    expect(s3.autoResponse).toEqual({ notify: 1 });
    expect(starts()).toHaveLength(before);
    expect(await hourCounts(hour)).toEqual({ cases: 0, refused: 0 });
    const [card] = cardOf(keyId);
    expect(card!.replies.map((r) => r.text)).toEqual([
      expect.stringMatching(
        /^:information_source: auto-response rule 2 "all high" matched, but could not act: `analyze` acts on EC2 instances only, and this finding is about an IAM access key `[^`]+`\. No case was opened/,
      ),
    ]);
    const audited = (await listDayAudit(new Date().toISOString().slice(0, 10))).filter(
      (e) => e.actor === 'auto-response:all high' && e.detail?.includes(iamId),
    );
    expect(audited).toEqual([
      expect.objectContaining({
        action: 'auto-response.analyze',
        outcome: 'refused',
        detail: expect.stringMatching(
          /^rule 2 "all high" matched finding .*, but analyze acts on EC2 instances only, and this finding is about an IAM access key .*: nothing was done$/,
        ),
      }),
    ]);
  });

  it('a dry-run rule says in the card thread what it would have done, and does nothing', async () => {
    useRules({
      maxCasesPerHour: 100,
      rules: [{ name: 'crypto', ...CRYPTO, action: 'analyze', dryRun: true }],
    });
    const instanceId = newInstance();
    const before = starts().length;

    await findings(cryptoMiningEvent({ instanceId }));

    expect(await openCaseOf({ account: MEMBER, region: REGION, instanceId })).toBeUndefined();
    expect(starts()).toHaveLength(before);
    const [card] = cardOf(instanceId);
    expect(JSON.stringify(card!.blocks)).toContain('"action_id":"case.analyze"');
    expect(card!.replies.map((r) => r.text)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^:test_tube: \\*Dry run\\*: auto-response rule 1 "crypto" would open a case and analyze .* for \`${instanceId}\``,
        ),
      ),
    ]);
  });

  it('the global dry run holds every rule, unattended containment included', async () => {
    useRules(
      {
        dryRun: true,
        maxCasesPerHour: 100,
        rules: [{ name: 'contain miners', ...CRYPTO, action: 'contain' }],
      },
      'true',
    );
    const instanceId = newInstance();
    await findings(cryptoMiningEvent({ instanceId }));
    expect(await openCaseOf({ account: MEMBER, region: REGION, instanceId })).toBeUndefined();
    expect(cardOf(instanceId)[0]!.replies[0]!.text).toContain(
      'would open a case and contain without approval',
    );
  });

  it('refuses a contain rule at cold start unless the deployment allows unattended containment', async () => {
    useRules({ rules: [{ name: 'contain miners', ...CRYPTO, action: 'contain' }] });
    const instanceId = newInstance();
    const refused = findings(cryptoMiningEvent({ instanceId }));
    await expect(refused).rejects.toThrow(ConfigurationError);
    await expect(findings(cryptoMiningEvent({ instanceId }))).rejects.toThrow(
      /AUTO_RESPONSE: rule 1 "contain miners": action contain .* allowUnattendedContainment: true/,
    );
    expect(await openCaseOf({ account: MEMBER, region: REGION, instanceId })).toBeUndefined();

    // Allowed: the rule contains with nobody asked
    useRules(
      { maxCasesPerHour: 100, rules: [{ name: 'contain miners', ...CRYPTO, action: 'contain' }] },
      'true',
    );
    await findings(cryptoMiningEvent({ instanceId }));
    const opened = await openCaseOf({ account: MEMBER, region: REGION, instanceId });
    expect(opened).toMatchObject({ actions: ['contain'], approval: 'not-required' });
    expect(JSON.parse(startOf(opened!.id)[0]!.input.input)).toMatchObject({
      Actions: { contain: true },
      Approval: 'not-required',
    });
  });

  it('caps automatic cases per hour across concurrent deliveries: the rest stay cards, and one summary line says so', async () => {
    // Prepare: an hour of its own, so other tests' cases do not count
    useRules({ maxCasesPerHour: 2, rules: [{ name: 'crypto', ...CRYPTO, action: 'analyze' }] });
    const hour = new Date('2031-03-01T05:20:00.000Z');
    const instances = Array.from({ length: 5 }, newInstance);
    const before = slack.messages('C0ALERTS').length;

    // Act: a storm of five findings at once (five concurrent invocations)
    const results = await Promise.all(
      instances.map((instanceId) => processEvent(cryptoMiningEvent({ instanceId }), { now: () => hour })),
    );

    // Assess: two cases, three cards left for a human, one summary line
    const opened = await Promise.all(
      instances.map((instanceId) => openCaseOf({ account: MEMBER, region: REGION, instanceId })),
    );
    expect(opened.filter(Boolean)).toHaveLength(2);
    expect(results.reduce((n, r) => n + (r.autoResponse.capped ?? 0), 0)).toBe(3);
    expect(await hourCounts(hour)).toEqual({ cases: 2, refused: 3 });
    const posted = slack.messages('C0ALERTS').slice(before);
    const summaries = posted.filter((m) => m.text.includes('Auto-response paused'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.text).toContain('until 06:00 UTC: 2 automatic cases this hour');
    for (const [i, instanceId] of instances.entries())
      if (!opened[i])
        expect(JSON.stringify(cardOf(instanceId)[0]!.blocks)).toContain('"action_id":"case.analyze"');

    // a later finding in the same hour adds no second summary line
    await processEvent(cryptoMiningEvent({ instanceId: newInstance() }), { now: () => hour });
    expect(
      slack
        .messages('C0ALERTS')
        .slice(before)
        .filter((m) => m.text.includes('Auto-response paused')),
    ).toHaveLength(1);
    expect(await hourCounts(hour)).toEqual({ cases: 2, refused: 4 });
  });

  it('/forensics rules lists the rules in order, ephemeral and escaped; an outsider is refused', async () => {
    useRules({
      maxCasesPerHour: 7,
      rules: [
        { name: 'lab', tags: ['env=<!channel>'], action: 'notify' },
        { name: 'crypto', ...CRYPTO, action: 'analyze', dryRun: true },
        {
          name: 'ask',
          types: ['Backdoor:EC2/*', 'Trojan:`x`*'],
          accounts: [MEMBER],
          action: 'request-containment',
        },
      ],
    });

    const answer = await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text: 'rules' });

    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toBe('3 auto-response rules, first match wins');
    const texts = (body.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '');
    expect(texts[1]).toMatch(
      /^\*1\. lab\* → `notify`: post the card only; acts on any resource\nWhen tags `env=&lt;!channel&gt;`$/,
    );
    expect(texts[2]).toContain('*2. crypto* → `analyze` (dry run)');
    expect(texts[2]).toContain('types `CryptoCurrency:EC2/*`, severity ≥ HIGH');
    expect(texts[3]).toContain('*3. ask* → `request-containment`: open a case and ask the commanders');
    expect(texts[3]).toContain("`Trojan:'x'*`");
    expect(JSON.stringify(body.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(body.blocks)).toContain('At most 7 automatic cases an hour');

    const outsider = await slack.command(handler, { user: 'mallory', channel: 'C0ALERTS', text: 'rules' });
    expect(outsider.body).not.toContain('crypto');
    expect(slack.ephemerals('C0ALERTS', 'mallory').at(-1)?.text).toMatch(/responders/i);
  });

  it('/forensics rules says when there are none', async () => {
    useRules({});
    const answer = await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text: 'rules' });
    expect(JSON.parse(answer.body).text).toBe('No auto-response rules');
  });
});
