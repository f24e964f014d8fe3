/**
 * Slack handler latency and cold start (issue 3 "Performance").
 * - In process: a signed Analyze click through handlers/slack.ts, handler entry to response, each on a
 *   different instance (so each really opens a case: request guard, roles, conditional writes,
 *   StartExecution, card update, thread reply), with dynalite as DynamoDB (in a child process, as DynamoDB
 *   is elsewhere in AWS), LocalSlack over HTTP as the
 *   Web API, and Step Functions answered in process by the SDK hook the tests use. Side by side: a bare
 *   Bolt app (AwsLambdaReceiver, ack only) answering the same requests; and the idempotent path (the same
 *   click again as a Slack retry) measured apart.
 * - Cold load: the bundled handler (`scripts/bundle.ts`), median of 10 fresh `node` processes importing it.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App, AwsLambdaReceiver } from '@slack/bolt';
import { caseTableDefinition, resetDb } from '../bot/core/table.js';
import { tableSettings } from '../bot/core/config.js';
import { functionUrlEvent } from '../sandbox/slack/function-url.js';
import { interactionBody } from '../sandbox/slack/payloads.js';
import { bundle } from '../scripts/bundle.js';
import { startDynalite } from '../sandbox/dynamo.js';
import {
  configure,
  ec2Finding,
  handler,
  installSfnRecorder,
  LocalSlack,
  postFindingCard,
} from '../test/integration/slack/harness.js';
import type { BenchResult } from './types.js';

const N = Number(process.env.SLACK_BENCH_N ?? 500);
/** Requests before measuring: the app is built, lazy modules load, the JIT settles. */
const WARM = 100;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (xs: number[]) =>
  pct(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export default async function run(): Promise<BenchResult> {
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFORENSICSBENCH00';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret-not-real';
  process.env.AWS_REGION ??= 'us-east-1';
  const dynalite = await startDynalite({ separateProcess: true });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynalite.endpoint;
  const table = `bench-cases-${Date.now()}`;
  const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: dynalite.endpoint });
  await ddb.send(new CreateTableCommand(caseTableDefinition(table)));
  ddb.destroy();
  process.env.CASE_TABLE = table;
  tableSettings.reset();
  resetDb();

  const slack = new LocalSlack();
  await slack.start();
  configure(slack);
  const sfn = installSfnRecorder();

  // Prepare: N finding cards, each on its own instance (not timed).
  const cards: string[] = [];
  for (let i = 0; i < N + WARM; i++) cards.push(await postFindingCard(ec2Finding()));
  const payload = (ts: string) =>
    interactionBody(
      slack.buildBlockActionsPayload({ user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.analyze' }),
    );
  const eventOf = (body: string, extra: Record<string, string> = {}) => {
    const request = slack.request(body);
    return functionUrlEvent({
      method: 'POST',
      url: '/slack/events',
      headers: { ...request.headers, ...extra },
      body,
    });
  };

  // Bare Bolt: same receiver, one listener that only acknowledges.
  const receiver = new AwsLambdaReceiver({ signingSecret: slack.signingSecret });
  const bare = new App({
    token: slack.botToken,
    receiver,
    tokenVerificationEnabled: false,
    botId: 'B0FORENSIC',
    botUserId: 'U0FORENSIC',
  });
  bare.action('case.analyze', async ({ ack }) => ack());
  const bareHandler = receiver.toHandler();

  // Warm up both (first request builds the app, loads lazy SDK modules, fills the role cache; JIT).
  const bodies = cards.map(payload);
  for (const body of bodies.slice(N, N + WARM)) {
    await handler(eventOf(body));
    await bareHandler(eventOf(body) as never, {});
  }

  const ours: number[] = [];
  const bareTimes: number[] = [];
  const retries: number[] = [];
  let failures = 0;
  for (const body of bodies.slice(0, N)) {
    const event = eventOf(body);
    const bareEvent = eventOf(body);
    ours.push(
      await time(async () => {
        const r = await handler(event);
        if (r.statusCode !== 200) failures++;
      }),
    );
    bareTimes.push(await time(() => bareHandler(bareEvent as never, {})));
  }
  // SLACK_BENCH_BUCKETS=1 prints the median and max of each 50 requests (does latency grow with data?).
  if (process.env.SLACK_BENCH_BUCKETS)
    for (let i = 0; i < ours.length; i += 50)
      console.error(
        `requests ${i}-${i + 49}: median ${median(ours.slice(i, i + 50)).toFixed(1)} ms, max ${Math.max(...ours.slice(i, i + 50)).toFixed(1)} ms`,
      );
  for (const body of bodies.slice(0, Math.min(N, 200))) {
    const event = eventOf(body, { 'x-slack-retry-num': '1' });
    retries.push(await time(() => handler(event)));
  }
  const executions = sfn.calls.filter((c) => c.command === 'StartExecution').length;
  sfn.uninstall();
  await slack.stop();
  await dynalite.close();

  // Cold load of the bundle.
  const [report] = await bundle(['slack']);
  const loads: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t = performance.now(); const m = await import(${JSON.stringify(report!.file)}); if (typeof m.handler !== 'function') process.exit(2); console.log(performance.now() - t);`,
      ],
      { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'SILENT' } },
    );
    walls.push(performance.now() - t);
    loads.push(Number(out.trim()));
  }

  const s = [...ours].sort((a, b) => a - b);
  const b = [...bareTimes].sort((x, y) => x - y);
  const r = [...retries].sort((x, y) => x - y);
  return {
    name: 'slack',
    figures: [
      { name: 'Analyze click (opens a case) p50', value: pct(s, 50), unit: 'ms' },
      { name: 'Analyze click (opens a case) p99', value: pct(s, 99), unit: 'ms', target: '< 50 ms' },
      { name: 'bare Bolt ack p50', value: pct(b, 50), unit: 'ms' },
      { name: 'bare Bolt ack p99', value: pct(b, 99), unit: 'ms' },
      { name: 'ratio ours / bare Bolt (p50)', value: pct(s, 50) / pct(b, 50), unit: 'x' },
      { name: 'Slack retry of an open case (idempotent) p50', value: pct(r, 50), unit: 'ms' },
      { name: 'Slack retry of an open case (idempotent) p99', value: pct(r, 99), unit: 'ms' },
      { name: 'requests (each a new case)', value: N, unit: 'count' },
      {
        name: 'cold load: import of dist/slack/index.mjs (median of 10)',
        value: median(loads),
        unit: 'ms',
        target: '< 250 ms',
      },
      { name: 'cold load: whole fresh node process (median of 10)', value: median(walls), unit: 'ms' },
      { name: 'bundle size dist/slack/index.mjs', value: report!.bytes / 1024, unit: 'KiB' },
      {
        name: 'lazy chunks (SFN, Security Hub, Secrets Manager)',
        value: report!.chunksBytes / 1024,
        unit: 'KiB',
      },
    ],
    notes: [
      `Load average when it ended: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (other work shares the machine's cores; p99 is sensitive to it).`,
      `${executions} executions started for ${N + WARM} distinct instances (warm-up included); ${failures} non-200 answers.`,
      'Step Functions is answered in process (SDK middleware), DynamoDB by dynalite over HTTP in its own process, Slack by LocalSlack over HTTP.',
      'The idempotent path is the same signed click again with X-Slack-Retry-Num: existing case, nothing repeated.',
    ],
  };
}
