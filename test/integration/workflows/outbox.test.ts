import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceCase } from '../../../bot/cases/service.js';
import type { CaseRecord } from '../../../bot/core/case-model.js';
import { requireCase } from '../../../bot/core/case-store.js';
import { slackSettings } from '../../../bot/core/config.js';
import type { DrainHooks } from '../../../bot/outbox/drain.js';
import { sayLater } from '../../../bot/outbox/enqueue.js';
import { resetDrainerSlack } from '../../../bot/outbox/slack-delivery.js';
import { readOutbox } from '../../../bot/outbox/store.js';
import { resetSlackWebClient, slackWebClient } from '../../../bot/slack/client.js';
import { drainEvent } from '../../../handlers/outbox.js';
import { type SandboxOutbox, startSandboxOutbox } from '../../../sandbox/aws/services/sqs-event-source.js';
import { GROUP_NAMES } from '../../../workflows/steps/security-groups.js';
import {
  eventually,
  inputOf,
  instanceState,
  openTestCase,
  runCase,
  SEEDED,
  useWorkflowWorld,
} from './harness.js';

/**
 * The outbox (issue 13) with Slack's real limits on (1 post per second per channel after a burst of 3):
 * the real workflow's steps store and ring their lines, the simulated SQS FIFO queue and the drainer
 * (handlers/outbox.ts) post them. Slack is reached through a gate that can take it off the network.
 */

const world = useWorkflowWorld();
let outbox: SandboxOutbox;
const hooks: DrainHooks = {};
const gate = { down: false, server: undefined as Server | undefined };

/** A pass-through to the local Slack that, when down, drops every connection (Slack unreachable). */
async function startGate(target: string): Promise<string> {
  const to = new URL(target);
  gate.server = createServer((req, res) => {
    if (gate.down) {
      req.socket.destroy();
      return;
    }
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        path: `${to.pathname.replace(/\/$/, '')}${req.url?.replace(/^\/api/, '') ?? ''}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => gate.server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(gate.server.address() as AddressInfo).port}/api/`;
}

beforeAll(async () => {
  process.env.SLACK_API_URL = await startGate(process.env.SLACK_API_URL!);
  slackSettings.reset();
  resetSlackWebClient();
  resetDrainerSlack();
  world.slack.setRealisticRateLimits(true);
  outbox = await startSandboxOutbox({
    visibilityTimeoutSeconds: 3,
    handler: (event) => drainEvent(event, hooks),
  });
});

afterAll(async () => {
  await outbox?.stop();
  await new Promise((resolve) => gate.server?.close(resolve));
});

async function announcedCase(instanceId: string): Promise<CaseRecord> {
  return announceCase(await openTestCase(instanceId, ['contain']));
}

/** The thread's replies after the opening line, one entry per post. */
function posts(record: CaseRecord): string[] {
  const root = world.slack.messages(record.slack.channel!).find((m) => m.ts === record.slack.threadTs);
  return (root?.replies ?? []).slice(1).map((m) => m.text);
}

/** What the case said, in order: the texts of its outbox lines. */
async function said(record: CaseRecord): Promise<string[]> {
  return ((await readOutbox(record.id))?.lines ?? []).flatMap((l) => (l.text ? [l.text] : []));
}

const linesOf = (texts: string[]) => texts.flatMap((t) => t.split('\n'));

describe('Outbox: case lines with Slack rate limits on', () => {
  it('three cases contained at once: every line of each case reaches its thread once, in order', async () => {
    const instances = [SEEDED.instances.demo, SEEDED.instances.multiEni, SEEDED.instances.autoScaled];
    const records = await Promise.all(instances.map(announcedCase));

    const executions = await Promise.all(records.map((r) => runCase(world, inputOf(r, 'not-required'))));
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await outbox.source.drained(60_000);

    for (const record of records) {
      const expected = await said(record);
      const after = await requireCase(record.id);
      // Every step line of the timeline is in the outbox, and the outbox is in the thread as it was said.
      expect(expected.length).toBe(after.steps.filter((s) => s.outcome !== 'started').length);
      expect(linesOf(posts(record))).toEqual(expected);
      expect((await readOutbox(record.id))?.delivered).toBe((await readOutbox(record.id))?.lines.length);
    }
  }, 90_000);

  it('a 429 with Retry-After: the line is posted after the wait, not before', async () => {
    const record = await announcedCase(SEEDED.instances.unmanaged);
    await outbox.source.drained();
    // Past the burst: Slack's own limit would allow a post at once; this 429 asks for 2 s.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    world.slack.rateLimit({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 2 });
    const asked = Date.now();

    await sayLater(record, { text: 'probe after a 429', card: false });
    await eventually(() => posts(record).includes('probe after a 429'), 15_000);

    const post = world.slack.calls.find(
      (c) => c.method === 'chat.postMessage' && c.args.text === 'probe after a 429',
    );
    expect(post!.at - asked).toBeGreaterThanOrEqual(2_000);
    expect(posts(record)).toEqual(['probe after a 429']);
  }, 30_000);

  it('a card Slack refuses to redraw (deleted) does not hold the channel: later lines of other cases arrive', async () => {
    const [first, second] = await Promise.all(
      [SEEDED.instances.euWest, SEEDED.instances.secondAccount].map(announcedCase),
    );
    await outbox.source.drained();
    expect(first!.slack.channel).toBe(second!.slack.channel);
    // Someone deletes the first case's card: every redraw of it is refused (message_not_found) from now on.
    await (await slackWebClient()).chat.delete({ channel: first!.slack.channel!, ts: first!.slack.cardTs! });

    await sayLater(first!, { text: 'first: a card change', card: true });
    await sayLater(second!, { text: 'second: after the refused card', card: false });
    await outbox.source.drained(20_000);

    // (The first case's thread hung off the deleted card: where its line went is Slack's business.)
    expect(posts(second!)).toContain('second: after the refused card');
    expect((await readOutbox(first!.id))?.cardStale).toBeFalsy();
  }, 30_000);

  it('a drainer that crashes after a post and before its bookkeeping repeats nothing and loses nothing', async () => {
    const a = await announcedCase(SEEDED.instances.arm);
    const b = await announcedCase(SEEDED.instances.autoScaledPeer);
    await outbox.source.drained();
    await outbox.source.stop();
    for (const n of [1, 2, 3]) await sayLater(a, { text: `a line ${n}`, card: true });
    for (const n of [1, 2]) await sayLater(b, { text: `b line ${n}`, card: true });
    let crashes = 0;
    hooks.afterPost = () => {
      if (crashes++ === 0) throw new Error('drainer killed after its first post');
    };
    const before = outbox.source.crashes;
    try {
      outbox.source.start();
      await outbox.source.drained(30_000);
    } finally {
      hooks.afterPost = undefined;
    }

    expect(outbox.source.crashes).toBe(before + 1);
    // a's three lines went out in one post before the crash; the next drainer found it in the thread.
    expect(posts(a)).toEqual(['a line 1\na line 2\na line 3']);
    expect(posts(b)).toEqual(['b line 1\nb line 2']);
  }, 60_000);

  it('Slack down for the whole containment: the instance is contained, the lines arrive once Slack is back', async () => {
    const record = await announcedCase(SEEDED.instances.noEndpoints);
    await outbox.source.drained();
    gate.down = true;
    let execution: Awaited<ReturnType<typeof runCase>>;
    try {
      execution = await runCase(world, inputOf(record, 'not-required'));
      expect(execution.status, JSON.stringify(execution.output ?? execution)).toBe('SUCCEEDED');
      const s = instanceState(world, SEEDED.instances.noEndpoints);
      expect(s.enis.flatMap((e) => e.groupIds.map((g) => s.groups(g)?.groupName))).toEqual(
        s.enis.map(() => GROUP_NAMES.isolation),
      );
      expect(posts(record)).toEqual([]);
    } finally {
      gate.down = false;
    }

    await outbox.source.drained(60_000);
    expect(linesOf(posts(record))).toEqual(await said(record));
    expect((await said(record)).length).toBeGreaterThan(3);
  }, 90_000);
});
