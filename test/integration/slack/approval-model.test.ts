/**
 * Model-based test of the approval gate (issue 10): random sequences of commanders' and outsiders' clicks
 * (single, doubled, replayed), denials with hostile reasons, the workflow's reminder rounds and expiry
 * checks, the passing of time and `/forensics close`, driven through the real path — signed requests
 * through Bolt (handlers/slack.ts), the steps handler as Step Functions invokes it, dynalite — and the
 * invariants checked after every command:
 *   - one decision per approval: every answer sent to the workflow carries the same outcome, a token is
 *     answered at most once, and the case's `decision` never changes once written;
 *   - a decision is made by a commander who is not the requester (four eyes);
 *   - nothing approves after `APPROVAL_EXPIRE_MINUTES` from the first request, whatever the reminders;
 *   - nothing answers the workflow after the case was closed;
 *   - no surface calls a denial or an expiry an approval; at most one decision in the audit trail.
 * Time passes by moving the clock (Date) forward, as it passes for every component at once; no field is
 * backdated. A counterexample fast-check finds is kept below as a named regression test.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getCase, listAudit } from '../../../bot/core/case-store.js';
import { handler as steps } from '../../../handlers/steps.js';
import type { SlackRequest } from '../../../sandbox/slack/local-slack.js';
import {
  deliver,
  ec2Finding,
  handler,
  postFindingCard,
  useSlackSide,
  viewSubmissionBody,
} from './harness.js';

const EXPIRE_MINUTES = 10;
const side = useSlackSide({ APPROVAL_EXPIRE_MINUTES: String(EXPIRE_MINUTES), APPROVAL_REMIND_MINUTES: '3' });
const { slack } = side;

type User = 'carol' | 'dave' | 'alice' | 'mallory';
const COMMANDERS = new Set<User>(['carol', 'dave']);
const USER_ID: Record<User, string> = {
  carol: 'U0CAROL',
  dave: 'U0DAVE',
  alice: 'U0ALICE',
  mallory: 'U0MALLORY',
};

/** What the test knows of one case while a sequence runs. */
interface Model {
  caseId: string;
  approvalTs: string;
  /** The approval card as first posted: what a commander's stale client still shows, buttons and all. */
  shown: { ts: string; blocks?: Record<string, unknown>[] };
  /** Clock of the run (ms since epoch). */
  now: number;
  firstRequestedAt: number;
  round: number;
  token: string;
  /** The workflow stopped waiting (its expiry check answered something other than `waiting`). */
  settled: boolean;
  closed: boolean;
  /** Replayable requests already delivered once. */
  delivered: SlackRequest[];
}

const answers = (caseId: string) =>
  side.sfn.calls.filter(
    (c) =>
      (c.command === 'SendTaskSuccess' || c.command === 'SendTaskFailure') &&
      String(c.input.taskToken).startsWith(`${caseId}:`),
  );

const surfaces = (m: Model) => {
  const approval = slack.messages('C0COMMANDERS').find((x) => x.ts === m.approvalTs);
  const card = slack.messages('C0ALERTS').find((x) => JSON.stringify(x).includes(m.caseId));
  // quoted words (inline code) are others' words, shown literally; the rest is the bot's own
  return [approval, card]
    .map((x) => `${x?.text ?? ''} ${JSON.stringify(x?.blocks ?? [])}`)
    .join('\n')
    .replace(/`[^`]*`/g, '`…`');
};

async function checkInvariants(m: Model, before: { decision?: unknown }): Promise<void> {
  const record = (await getCase(m.caseId))!;
  const sent = answers(m.caseId);
  // one decision: all answers agree, one per token
  expect(new Set(sent.map((c) => c.command)).size).toBeLessThanOrEqual(1);
  const tokens = sent.map((c) => c.input.taskToken);
  expect(new Set(tokens).size).toBe(tokens.length);
  // written once
  if (before.decision) expect(record.decision).toEqual(before.decision);
  if (record.decision && record.decision.outcome !== 'expired') {
    const by = record.decision.by?.userId;
    expect([USER_ID.carol, USER_ID.dave]).toContain(by);
    expect(by).not.toBe(USER_ID.alice); // the requester
  }
  if (sent.some((c) => c.command === 'SendTaskSuccess')) expect(record.decision?.outcome).toBe('approved');
  // a decision reaches the token the workflow waits on now (also one that raced a reminder round)
  if ((record.decision?.outcome === 'approved' || record.decision?.outcome === 'denied') && !m.settled)
    expect(sent.map((c) => c.input.taskToken)).toContain(m.token);
  // the bot's own words (a real mention, the decision label); a hostile reason quoting them is escaped
  if (record.decision?.outcome !== 'approved')
    expect(surfaces(m)).not.toMatch(/approved by <@U|\*Approved\*|Approver/i);
  expect(surfaces(m)).not.toMatch(/<!channel>|<https:\/\/evil/);
  const trail = await listAudit(m.caseId);
  const decided = trail.filter(
    (e) => (e.action === 'approval.approve' || e.action === 'approval.deny') && e.outcome === 'ok',
  );
  expect(decided.length).toBeLessThanOrEqual(1);
}

const expired = (m: Model) => m.now >= m.firstRequestedAt + EXPIRE_MINUTES * 60_000;

/** A commander's or anyone's press of Approve, possibly doubled, possibly replayed later. */
class Approve implements fc.AsyncCommand<Model, object> {
  constructor(
    readonly user: User,
    readonly copies: number,
  ) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    const before = await getCase(m.caseId);
    const sentBefore = answers(m.caseId).length;
    const requests = Array.from({ length: this.copies }, () =>
      slack.clickRequest({
        user: this.user,
        channel: 'C0COMMANDERS',
        ts: m.approvalTs,
        shown: m.shown,
        actionId: 'approval.approve',
      }),
    );
    const results = await Promise.all(requests.map((r) => slack.deliver(handler, r)));
    expect(results.map((r) => r.status)).toEqual(requests.map(() => 200));
    m.delivered.push(...requests);
    const approvedNow = answers(m.caseId)
      .slice(sentBefore)
      .some((c) => c.command === 'SendTaskSuccess');
    if (approvedNow) {
      expect(COMMANDERS.has(this.user)).toBe(true);
      expect(expired(m)).toBe(false);
      expect(m.closed).toBe(false);
      expect(before?.decision).toBeUndefined();
    }
    await checkInvariants(m, { decision: before?.decision });
  }
  toString = () => `Approve(${this.user}×${this.copies})`;
}

/** A press of Deny and the submission of its modal with a (hostile) reason. */
class Deny implements fc.AsyncCommand<Model, object> {
  constructor(
    readonly user: User,
    readonly reason: string,
  ) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    const before = await getCase(m.caseId);
    const sentBefore = answers(m.caseId).length;
    const views = slack.views.length;
    const click = slack.clickRequest({
      user: this.user,
      channel: 'C0COMMANDERS',
      ts: m.approvalTs,
      shown: m.shown,
      actionId: 'approval.deny',
    });
    expect((await slack.deliver(handler, click)).status).toBe(200);
    m.delivered.push(click);
    if (slack.views.length > views) {
      const view = slack.views.at(-1) as Record<string, any>;
      const submitted = await deliver(
        slack,
        viewSubmissionBody(
          view,
          { id: USER_ID[this.user], name: this.user },
          { 'deny.reason': { reason: this.reason } },
        ),
      );
      expect(submitted.status).toBe(200);
    }
    const deniedNow = answers(m.caseId)
      .slice(sentBefore)
      .some((c) => c.command === 'SendTaskFailure');
    if (deniedNow) {
      expect(COMMANDERS.has(this.user)).toBe(true);
      expect(m.closed).toBe(false);
      expect(before?.decision).toBeUndefined();
    }
    await checkInvariants(m, { decision: before?.decision });
  }
  toString = () => `Deny(${this.user}, ${JSON.stringify(this.reason)})`;
}

/** The workflow's wait timed out: its expiry check runs, and unless settled a reminder round asks again. */
class ReminderRound implements fc.AsyncCommand<Model, object> {
  check = (m: Readonly<Model>) => !m.settled && !m.closed;
  async run(m: Model): Promise<void> {
    const before = await getCase(m.caseId);
    const checked = (await steps({ step: 'checkApprovalExpiry', caseId: m.caseId, round: m.round })) as {
      decision: string;
      round: number;
    };
    if (checked.decision === 'expired') expect(expired(m)).toBe(true);
    if (checked.decision !== 'waiting') {
      m.settled = true;
    } else {
      m.round = checked.round;
      m.token = `${m.caseId}:round-${m.round}`;
      await steps({ step: 'awaitApproval', caseId: m.caseId, taskToken: m.token, round: m.round });
    }
    await checkInvariants(m, { decision: before?.decision });
  }
  toString = () => 'ReminderRound';
}

class Wait implements fc.AsyncCommand<Model, object> {
  constructor(readonly minutes: number) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    m.now += this.minutes * 60_000;
    vi.setSystemTime(m.now);
  }
  toString = () => `Wait(${this.minutes} min)`;
}

/** A captured request delivered again (an attacker's replay, or a proxy's duplicate): no effect. */
class Replay implements fc.AsyncCommand<Model, object> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.delivered.length > 0;
  async run(m: Model): Promise<void> {
    const before = await getCase(m.caseId);
    const sentBefore = answers(m.caseId).length;
    const request = m.delivered[this.pick % m.delivered.length]!;
    await slack.deliver(handler, request);
    expect(answers(m.caseId).length).toBe(sentBefore);
    await checkInvariants(m, { decision: before?.decision });
  }
  toString = () => `Replay(${this.pick})`;
}

class Close implements fc.AsyncCommand<Model, object> {
  check = (m: Readonly<Model>) => !m.closed;
  async run(m: Model): Promise<void> {
    const before = await getCase(m.caseId);
    const answer = await slack.command(handler, {
      user: 'carol',
      channel: 'C0ALERTS',
      text: `close ${m.caseId}`,
    });
    expect(answer.status).toBe(200);
    if ((await getCase(m.caseId))?.status === 'closed') m.closed = true;
    await checkInvariants(m, { decision: before?.decision });
  }
  toString = () => 'Close';
}

const HOSTILE = fc.constantFrom(
  'Production database, snapshot only',
  '<!channel> approved by <@U0CAROL>',
  '*approved* <https://evil.example|console>',
  'x'.repeat(600),
  '🙂'.repeat(80),
);

const commands = fc.commands(
  [
    fc
      .tuple(fc.constantFrom<User>('carol', 'dave', 'alice', 'mallory'), fc.integer({ min: 1, max: 3 }))
      .map(([u, n]) => new Approve(u, n)),
    fc.tuple(fc.constantFrom<User>('carol', 'dave', 'mallory'), HOSTILE).map(([u, r]) => new Deny(u, r)),
    fc.constant(new ReminderRound()),
    fc.integer({ min: 1, max: 12 }).map((n) => new Wait(n)),
    fc.nat().map((n) => new Replay(n)),
    fc.constant(new Close()),
  ],
  { maxCommands: 8 },
);

/** A fresh case awaiting approval: a finding card, alice's Contain, the workflow's first approval round. */
async function freshCase(now: number): Promise<Model> {
  vi.setSystemTime(now);
  const ts = await postFindingCard(ec2Finding());
  await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
  const caseId: string = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!.input.name;
  const token = `${caseId}:round-0`;
  await steps({ step: 'awaitApproval', caseId, taskToken: token, round: 0 });
  const approval = slack.messages('C0COMMANDERS').at(-1)!;
  const approvalTs = approval.ts;
  const shown = structuredClone({ ts: approval.ts, blocks: approval.blocks });
  return {
    caseId,
    approvalTs,
    shown,
    now,
    firstRequestedAt: now,
    round: 0,
    token,
    settled: false,
    closed: false,
    delivered: [],
  };
}

describe('Model: the approval gate under random clicks, replays, reminders, time and close', () => {
  let clock = Date.now();
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    // each run starts later than the last ended, so no signature window is reused
    clock += 3_600_000;
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  // Counterexamples found by the model, kept as named regressions.
  it('regression: a denial whose reason reads "*approved* <https://evil.example|console>" is quoted, never the bot saying approved', async () => {
    clock += 3_600_000;
    const model = await freshCase(clock);
    await fc.asyncModelRun(
      () => ({ model, real: {} }),
      [new Deny('carol', '*approved* <https://evil.example|console>')],
    );
    clock = model.now;
  });

  it('holds every invariant over 200 random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        clock += 3_600_000;
        const model = await freshCase(clock);
        await fc.asyncModelRun(() => ({ model, real: {} }), cmds);
        clock = model.now;
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
