/**
 * Modals in the sandbox, through its HTTP API as the page uses it: the bot's Dismiss opens a modal for
 * the responder who clicked, the page submits it (a signed view_submission to the bot), and the card
 * says who dismissed it and why. A repeat of the same finding does not bring the buttons back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS } from '../../../sandbox/targets.js';
import { type Sandbox, startSandbox } from '../../../sandbox/wiring.js';
import { SandboxApi, waitForCaseEnd } from '../../e2e/support/api.js';
import { askToContain } from './runbook.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
}, 60_000);
afterAll(() => sandbox?.stop());

async function call(path: string, body?: unknown) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as any };
}

const target = TARGETS.multiEni;

async function cardAbout(instanceId: string) {
  const { json } = await call('/api/channels/security-alerts/messages');
  return json.messages.filter((m: any) => JSON.stringify(m.blocks ?? []).includes(instanceId));
}

const flat = (card: any) => `${card.text}\n${JSON.stringify(card.blocks)}`;

describe('Function: modals in the sandbox', () => {
  let injected: any;
  let card: any;
  let viewId: string;

  it('alice clicks Dismiss on a card: a modal with an optional reason opens for her only', async () => {
    // Prepare
    injected = (await call('/api/samples/guardduty-bitcoin-dns', target)).json;
    [card] = await cardAbout(target.instanceId);
    expect(JSON.stringify(card.blocks)).toContain('finding.dismiss');

    // Act
    const clicked = await call('/api/interactions', {
      user: 'alice',
      channel: 'security-alerts',
      ts: card.ts,
      actionId: 'finding.dismiss',
    });

    // Assess
    expect(clicked.status).toBe(200);
    const { views } = (await call('/api/views?user=alice')).json;
    const modal = views.find((v: any) => v.view.callback_id === 'finding.dismiss');
    expect(modal).toMatchObject({
      user: 'U0ALICE',
      view: {
        type: 'modal',
        title: { text: 'Dismiss finding' },
        submit: { text: 'Dismiss' },
        close: { text: 'Cancel' },
      },
    });
    const input = modal.view.blocks.find((b: any) => b.type === 'input');
    expect(input).toMatchObject({ optional: true, element: { type: 'plain_text_input' } });
    viewId = modal.id;
    expect((await call('/api/views?user=carol')).json.views).toEqual([]);
    expect((await call(`/api/views/${viewId}/submit`, { user: 'carol' })).status).toBe(404);
  });

  it('submitting with a reason sends a view_submission: the card says dismissed by alice, with the reason, and has no buttons', async () => {
    // Act
    const submitted = await call(`/api/views/${viewId}/submit`, {
      user: 'alice',
      values: { 'dismiss.reason': { reason: 'Known miner test in the lab account' } },
    });

    // Assess
    expect(submitted.status).toBe(200);
    expect(submitted.json).toMatchObject({ outcome: 'closed', status: 200 });
    expect((await call('/api/views?user=alice')).json.views).toEqual([]);
    const [dismissed] = await cardAbout(target.instanceId);
    expect(dismissed.ts).toBe(card.ts);
    expect(flat(dismissed)).toContain('Dismissed by <@U0ALICE>');
    expect(flat(dismissed)).toContain('Known miner test in the lab account');
    expect(JSON.stringify(dismissed.blocks)).not.toMatch(/finding\.dismiss|case\.contain|case\.analyze/);
    // the view is gone: it cannot be submitted twice
    expect((await call(`/api/views/${viewId}/submit`, { user: 'alice' })).status).toBe(404);
  });

  it('the dismissed GuardDuty finding is archived in GuardDuty, by the security account (issue 14, item 5)', async () => {
    // Assess: the simulated organization's GuardDuty holds the member's finding, archived by the bot
    const finding = async () =>
      (await call('/api/cloud')).json.accounts
        .find((a: any) => a.id === target.account)
        .regions.find((r: any) => r.region === target.region)
        .guardDutyFindings.find((f: any) => f.id === injected.event.detail.id);
    for (let i = 0; i < 50 && !(await finding())?.archived; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await finding()).toMatchObject({
      archived: true,
      archivedBy: expect.stringContaining(':111111111111:'),
    });
  });

  it('the same finding delivered again (GuardDuty counts a repeat) does not bring the buttons back', async () => {
    // Prepare: the same finding id, a new EventBridge delivery, a higher count
    const repeat = structuredClone(injected.event);
    repeat.id = crypto.randomUUID();
    repeat.time = new Date().toISOString();
    repeat.detail.updatedAt = repeat.time;
    repeat.detail.service.count = (repeat.detail.service.count ?? 1) + 5;

    // Act
    const delivered = await call('/api/events', repeat);

    // Assess
    expect(delivered.status).toBe(200);
    const cards = await cardAbout(target.instanceId);
    expect(cards).toHaveLength(1);
    expect(flat(cards[0])).toContain('Dismissed by <@U0ALICE>');
    expect(JSON.stringify(cards[0].blocks)).not.toMatch(/finding\.dismiss|case\.contain|case\.analyze/);
  });

  it('Cancel closes the modal and changes nothing', async () => {
    // Prepare
    await call('/api/samples/guardduty-ssh-brute-force', TARGETS.noEndpoints);
    const [other] = await cardAbout(TARGETS.noEndpoints.instanceId);
    await call('/api/interactions', {
      user: 'alice',
      channel: 'security-alerts',
      ts: other.ts,
      actionId: 'finding.dismiss',
    });
    const [modal] = (await call('/api/views?user=alice')).json.views;

    // Act
    const closed = await call(`/api/views/${modal.id}/close`, { user: 'alice' });

    // Assess
    expect(closed.json).toEqual({ outcome: 'closed' });
    expect((await call('/api/views?user=alice')).json.views).toEqual([]);
    const [unchanged] = await cardAbout(TARGETS.noEndpoints.instanceId);
    expect(JSON.stringify(unchanged.blocks)).toContain('finding.dismiss');
  });

  it('carol denies with a reason in the Deny modal: the case ends denied and its thread says why', async () => {
    // Prepare: alice asks to contain; the approval card waits in ir-commanders
    const api = new SandboxApi(sandbox.url);
    const { approval, caseId } = await askToContain(api, TARGETS.euWest);

    // Act
    await call('/api/interactions', {
      user: 'carol',
      channel: 'ir-commanders',
      ts: approval.ts,
      actionId: 'approval.deny',
    });
    const [modal] = (await call('/api/views?user=carol')).json.views;
    expect(modal.view).toMatchObject({ callback_id: 'approval.deny', title: { text: 'Deny containment' } });
    const submitted = await call(`/api/views/${modal.id}/submit`, {
      user: 'carol',
      values: { 'deny.reason': { reason: 'Production database: snapshot only' } },
    });

    // Assess
    expect(submitted.json.outcome).toBe('closed');
    expect((await waitForCaseEnd(api, caseId)).status).toBe('denied');
    const card = (await api.messages('ir-commanders')).messages.find((m) => m.ts === approval.ts)!;
    expect(SandboxApi.textOf(card)).toMatch(/denied/i);
    expect(SandboxApi.textOf(card)).not.toContain('approval.approve');
    const thread = (await api.messages('security-alerts')).messages.find((m) =>
      SandboxApi.textOf(m).includes(caseId),
    )!.replies;
    expect(thread.map((r) => r.text).join('\n')).toContain(
      'denied by <@U0CAROL>: `Production database: snapshot only`',
    );
  }, 60_000);

  it('answers 400 for values that are not text and 404 for an unknown user', async () => {
    expect((await call('/api/views/V0ABCDEF0123/submit', { user: 'alice', values: { b: 'x' } })).status).toBe(
      400,
    );
    expect((await call('/api/views?user=eve')).status).toBe(404);
  });
});
