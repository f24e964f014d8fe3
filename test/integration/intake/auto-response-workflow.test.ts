/**
 * Issue 14, item 3, "done when": an auto-response rule analyzes a crypto-mining finding with nobody
 * clicking, and the card says which rule did it. The real path: the GuardDuty event into
 * handlers/findings.ts, the case service, the real case ASL on the local Step Functions with
 * handlers/steps.ts against the simulated organization, status changes fed to handlers/progress.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit, openCaseOf, requireCase } from '../../../bot/core/case-store.js';
import { autoResponseSettings, intakeSettings } from '../../../bot/intake/settings.js';
import { handler as findings } from '../../../handlers/findings.js';
import { handler as progress } from '../../../handlers/progress.js';
import { cryptoMiningEvent } from '../../support/crypto-mining.js';
import { instanceState, MEMBER, REGION, SEEDED, useWorkflowWorld } from '../workflows/harness.js';

const world = useWorkflowWorld(
  {
    // the analysis ends with its evidence (no containment request), so the execution completes
    ANALYZE_CONTAINMENT: 'notify-only',
    AUTO_RESPONSE: JSON.stringify({
      rules: [
        { name: 'lab', tags: ['env=lab'], action: 'notify' },
        { name: 'crypto-mining', types: ['CryptoCurrency:EC2/*'], minSeverity: 'HIGH', action: 'analyze' },
      ],
    }),
  },
  { onStatusChange: (event) => progress(event) },
);

beforeAll(() => {
  intakeSettings.reset();
  autoResponseSettings.reset();
});

/** The security groups on each of the instance's network interfaces. */
const groupNames = (instanceId: string) =>
  instanceState(world, instanceId).enis.map((eni) => [...eni.groupIds]);

describe('Function: auto-response on the real case workflow', () => {
  it('a crypto-mining finding meets an analyze rule: the case opens, the workflow acquires evidence without containment, and the card and thread name the rule', async () => {
    // Prepare: GuardDuty reports crypto mining on a seeded instance
    const instanceId = SEEDED.instances.demo;
    const target = { account: MEMBER, region: REGION, instanceId };
    const before = groupNames(instanceId);

    // Act: the event arrives; nobody clicks anything
    await findings(cryptoMiningEvent({ instanceId }));

    // Assess: a case was opened by the rule and its workflow started
    const opened = await openCaseOf(target);
    expect(opened).toMatchObject({
      actions: ['analyze'],
      trigger: 'auto-response',
      requester: { userId: 'auto-response:crypto-mining', name: 'auto-response rule "crypto-mining"' },
    });
    expect(opened?.executionArn).toMatch(new RegExp(`:execution:forensics-bot-case:${opened?.id}$`));
    const execution = await world.sfn.waitFor(opened!.executionArn!);
    expect(execution.status).toBe('SUCCEEDED');

    // the evidence is taken and the instance is not contained
    const record = await requireCase(opened!.id);
    expect(record.status).toBe('evidence-secured');
    expect(record.artifacts.some((a) => a.kind === 'memory')).toBe(true);
    expect(groupNames(instanceId)).toEqual(before);
    expect(instanceState(world, instanceId).instance.tags.SecurityIncidentStatus).toBe('Analyzed');
    expect(record.outcome).toMatch(/^not contained/);

    // one card in the alerts channel, now the case card, saying which rule opened the case
    const cards = world.slack
      .messages('C0ALERTS')
      .filter((m) => JSON.stringify(m.blocks).includes(instanceId));
    expect(cards).toHaveLength(1);
    const card = JSON.stringify(cards[0]!.blocks);
    expect(card).toContain(record.id);
    expect(card).toContain('opened by auto-response rule');
    expect(card).toContain('crypto-mining');
    expect(card).not.toContain('"action_id":"case.analyze"');
    const thread = cards[0]!.replies.map((r) => r.text);
    expect(thread.some((l) => l.includes('opened by auto-response rule'))).toBe(true);
    expect(
      thread.some(
        (l) => l.includes('Opened by auto-response rule 2 "crypto-mining"') && l.includes('`analyze`'),
      ),
    ).toBe(true);
    expect(thread.at(-1)).toContain('evidence secured');
    expect(
      (await listAudit(record.id)).some(
        (e) => e.actor === 'auto-response:crypto-mining' && e.outcome === 'ok',
      ),
    ).toBe(true);
  });
});
