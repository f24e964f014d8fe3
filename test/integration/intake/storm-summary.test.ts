import { describe, expect, it } from 'vitest';
import { handler } from '../../../handlers/findings.js';
import { fingerprintOf, getFingerprint } from '../../../bot/intake/fingerprints.js';
import { getStorm } from '../../../bot/intake/flood.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { loadEvent } from '../../support/events.js';
import { useCaseTable } from '../../support/table.js';
import { guardDutyEvent } from '../../unit/findings/fixtures.js';
import { setIntakeEnv, useLocalSlack } from './support.js';

/**
 * Storm summaries end exact: the findings counted while the summary's re-render interval was closed are
 * shown by one trailing re-render, with no later finding to trigger it (Lambda has no timer).
 */

useCaseTable();
const local = useLocalSlack();

let seq = 0;
/** A GuardDuty EC2 finding of its own id, of `type`, on instance number `instance`. */
function finding(type: string, instance: number) {
  const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
  seq++;
  detail.id = `storm-${Date.now().toString(16)}-${seq}`;
  detail.accountId = '333333333333';
  detail.severity = 5;
  detail.type = type;
  detail.resource.instanceDetails.instanceId = `i-${(0xdef000 + instance).toString(16).padStart(17, '0')}`;
  return guardDutyEvent(detail);
}

const summaryUpdates = (from: number) =>
  local.slack.calls
    .slice(from)
    .filter((c) => c.method === 'chat.update' && String(c.args.text).includes('more finding'));

/** What intake recorded for each finding: its storm when aggregated, its instance. */
async function outcomes(events: ReturnType<typeof finding>[]) {
  return Promise.all(
    events.map(async (event) => {
      const f = normalizeEvent(event).findings[0]!;
      const record = (await getFingerprint(fingerprintOf(f)))!;
      return { status: record.status, stormKey: record.stormKey, instance: f.resource.id };
    }),
  );
}

/** Runs `events` through the handler with `concurrency` deliveries in flight. */
async function deliver(events: unknown[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) await handler(structuredClone(events[next++]));
    }),
  );
}

describe('Storm summary: trailing re-render', () => {
  it('ends a concurrent burst with the summary card showing every aggregated finding', async () => {
    setIntakeEnv({
      STORM_MAX_POSTS: '3',
      STORM_WINDOW_SECONDS: '1',
      STORM_MAX_UPDATES: '1000',
      SUMMARY_UPDATE_SECONDS: '1',
    });
    const type = `Recon:EC2/PortProbeUnprotectedPort.Trailing${Date.now()}`;
    const findings = Array.from({ length: 40 }, (_, n) => finding(type, n % 10));
    // every finding delivered twice, in an interleaved order, 16 at a time
    const events = [...findings, ...findings.slice().reverse()];
    await deliver(events, 16);

    const recorded = await outcomes(findings);
    const aggregated = recorded.filter((r) => r.status === 'aggregated');
    const posted = recorded.filter((r) => r.status === 'posted');
    expect(aggregated.length + posted.length).toBe(40);
    expect(aggregated.length).toBeGreaterThan(0);
    const stormKeys = new Set(aggregated.map((r) => r.stormKey));
    expect(stormKeys.size).toBe(1);
    const storm = await getStorm([...stormKeys][0]!);
    // everything counted is rendered, and no delivery still holds the render role
    expect(storm.findings).toBe(aggregated.length);
    expect(storm.renderedEvents).toBe(storm.events);
    expect(storm.renderBy).toBeUndefined();
    const card = local.slack.messages('C0ALERTS').find((m) => m.ts === storm.ts)!;
    const instances = new Set(aggregated.map((r) => r.instance)).size;
    expect(card.text).toBe(`${aggregated.length} more findings of type ${type} on ${instances} instances`);
  });

  it('shows findings that arrive within the re-render interval with exactly one trailing update', async () => {
    setIntakeEnv({
      STORM_MAX_POSTS: '1',
      STORM_WINDOW_SECONDS: '1',
      STORM_MAX_UPDATES: '1000',
      SUMMARY_UPDATE_SECONDS: '2',
    });
    const type = `Recon:EC2/PortProbeUnprotectedPort.Quiet${Date.now()}`;
    // one at a time until the type overflowed and its summary card is posted
    const sent: ReturnType<typeof finding>[] = [];
    let stormKey: string | undefined;
    while (!stormKey && sent.length < 20) {
      const event = finding(type, sent.length);
      sent.push(event);
      await handler(event);
      stormKey = (await outcomes([event]))[0]!.stormKey;
    }
    expect(stormKey).toBeDefined();
    const from = local.slack.calls.length;

    // three more inside the interval that just began with the summary's post: none may render at once,
    // and with no finding after them, one of them must render them all
    const late = [finding(type, 100), finding(type, 101), finding(type, 102)];
    await Promise.all(late.map((event) => handler(event)));

    const updates = summaryUpdates(from);
    expect(updates).toHaveLength(1);
    const storm = await getStorm(stormKey!);
    const aggregated = (await outcomes([...sent, ...late])).filter((r) => r.status === 'aggregated');
    expect(storm.findings).toBe(aggregated.length);
    expect(storm.renderedEvents).toBe(storm.events);
    expect(String(updates[0]!.args.text)).toMatch(new RegExp(`^${aggregated.length} more findings of type`));
    const card = local.slack.messages('C0ALERTS').find((m) => m.ts === storm.ts)!;
    expect(card.text).toMatch(new RegExp(`^${aggregated.length} more findings of type`));
  });
});
