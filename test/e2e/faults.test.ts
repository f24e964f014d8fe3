/**
 * Fault scenarios of issue 5, end to end through the sandbox's HTTP API (`/api/cloud/faults`): the
 * runbook still ends in a state a responder can act on, and the case thread says what went wrong.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TARGETS } from '../../sandbox/targets.js';
import { type Sandbox, startSandbox } from '../../sandbox/wiring.js';
import { SandboxApi, SHA256, waitFor, waitForCaseEnd } from './support/api.js';
import { cloudInstance, forensicsSnapshots, runContainment, threadText } from './support/scenario.js';

let sandbox: Sandbox;
let api: SandboxApi;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  api = new SandboxApi(sandbox.url);
}, 60_000);
afterAll(() => sandbox?.stop());
beforeEach(async () => {
  await api.post('/api/cloud/faults', {});
});

describe('Function: the sandbox under faults', () => {
  it('with the SSM agent offline, memory capture fails and says why, containment and disk still complete', async () => {
    // Prepare
    const target = TARGETS.multiEni;
    await api.post('/api/cloud/faults', { ssmOffline: [target.instanceId] });

    // Act
    const run = await runContainment(api, target);

    // Assess: contained, the disk copied into the forensics account, and the case honest about memory
    expect(run.record.status).toBe('evidence-incomplete');
    expect(run.threadText).toMatch(/memory[^\n]*(fail|skipp|not|offline|unreachable|SSM)/i);
    expect(run.threadText).toMatch(
      /Workflow finished: contained; evidence incomplete: 1 disk snapshot secured; memory not acquired: The SSM agent of i-\w+ is ConnectionLost/,
    );
    expect(run.threadText).not.toMatch(/finished: evidence secured/);
    const instance = await cloudInstance(api, target);
    expect(instance.profile?.name).toMatch(/DenyAll/i);
    expect((await forensicsSnapshots(api, target.instanceId)).length).toBeGreaterThan(0);
    // the manifest, written last, lists the disk evidence and says the memory image is missing, and why
    const [, bucket, key] = run.threadText.match(/s3:\/\/([a-z0-9-]+)\/(\S+\/manifest\.json) sha256/) ?? [];
    const manifest = (await (await fetch(`${api.url}/api/cloud/s3/${bucket}/${key}`)).json()) as {
      missing: unknown[];
      artifacts: unknown[];
    };
    expect(manifest.missing).toEqual(
      expect.arrayContaining([{ kind: 'memory', why: expect.stringMatching(/SSM agent .* ConnectionLost/) }]),
    );
    expect(JSON.stringify(manifest.artifacts)).toMatch(/snap-/);
  }, 180_000);

  it('with AccessDenied in a member account, the case fails clearly naming the account and role, and nothing is left half-done', async () => {
    // Prepare
    const target = TARGETS.secondAccount;
    const before = await cloudInstance(api, target);
    await api.post('/api/cloud/faults', { accessDenied: [target.account] });

    // Act
    const run = await runContainment(api, target);

    // Assess: the configuration is recorded before the approval gate, so the case fails at once, before
    // any approval card, saying which account and role refused and what was done
    expect(run.approval).toBeUndefined();
    const commanders = (await api.messages('ir-commanders')).messages;
    expect(commanders.filter((m) => SandboxApi.textOf(m).includes(run.caseId))).toEqual([]);
    expect(run.record.status).toBe('failed');
    expect(run.threadText).toMatch(
      /Workflow failed\. Step “original configuration recorded” failed: Access denied in account 444444444444 for role IRAutomation: cannot assume the role \(AWS: [^\n]*\); check its trust policy and ExternalId\. Already done: case prepared\. Containment was not authorized, so it was not attempted\./,
    );
    const after = await cloudInstance(api, target);
    expect(after.profile).toEqual(before.profile);
    expect(after.enis).toEqual(before.enis);
  }, 180_000);

  it('a failed case is retried by a responder with a reason once the cause is gone, and then completes', async () => {
    // Prepare: the member account refuses the role, so the case fails before any approval (an instance of
    // its own: the other tests' cards are case cards by now)
    const target = TARGETS.demo;
    await api.post('/api/cloud/faults', { accessDenied: [target.account] });
    const failed = await runContainment(api, target);
    expect(failed.record.status).toBe('failed');
    await api.post('/api/cloud/faults', {});

    // Act: mallory may not; alice retries without a reason (refused), then with one, twice at once
    const refused = await api.post('/api/commands', {
      user: 'mallory',
      channel: 'security-alerts',
      text: `retry ${failed.caseId} trust policy fixed`,
    });
    expect(JSON.stringify(refused.json)).not.toMatch(/Retry of/);
    const noReason = await api.post('/api/commands', {
      user: 'alice',
      channel: 'security-alerts',
      text: `retry ${failed.caseId}`,
    });
    expect(noReason.json.body).toMatch(/needs a reason/);
    const both = await Promise.all(
      [1, 2].map(() =>
        api.post('/api/commands', {
          user: 'alice',
          channel: 'security-alerts',
          text: `retry ${failed.caseId} trust policy of IRAutomation fixed <!channel>`,
        }),
      ),
    );

    // Assess: one retry started, the other told; the retry asks for approval (never given before)
    const bodies = both.map((b) => String(b.json.body));
    expect(
      bodies.filter((b) => b.includes(`Retry of ${failed.caseId} started (${failed.caseId}-retry-1)`)),
    ).toHaveLength(1);
    expect(bodies.filter((b) => /only a failed case can be retried/.test(b))).toHaveLength(1);
    const approval = await waitFor(`the approval card of ${failed.caseId}`, async () =>
      (await api.messages('ir-commanders')).messages.find(
        (m) =>
          SandboxApi.textOf(m).includes(failed.caseId) &&
          JSON.stringify(m.blocks ?? []).includes('approval.approve'),
      ),
    );
    await api.post('/api/interactions', {
      user: 'carol',
      channel: 'ir-commanders',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    const record = await waitForCaseEnd(api, failed.caseId);
    expect(record.status).toBe('evidence-secured');
    expect(record.retries).toMatchObject([
      {
        by: { userId: 'U0ALICE' },
        reason: 'trust policy of IRAutomation fixed <!channel>',
        execution: `${failed.caseId}-retry-1`,
      },
    ]);
    const thread = await waitFor("the retry workflow's closing line", async () => {
      const text = await threadText(api, failed.caseId);
      return /Workflow finished/.test(text) ? text : undefined;
    });
    expect(thread).toMatch(
      /Retry requested by <@U0ALICE>: `trust policy of IRAutomation fixed &lt;!channel&gt;`/,
    );
    expect(thread).toMatch(new RegExp(`Workflow started \\(\`${failed.caseId}-retry-1\`\\)`));
    expect(thread).not.toMatch(/started from the console/);
    const trail = (
      await api.post('/api/commands', {
        user: 'alice',
        channel: 'security-alerts',
        text: `audit ${failed.caseId}`,
      })
    ).json.body;
    expect(String(trail)).toContain('case.retry');
  }, 240_000);

  it('with 30% of AWS calls throttled, the case still completes with its manifest', async () => {
    // Prepare
    const target = TARGETS.euWest;
    await api.post('/api/cloud/faults', { throttle: 0.3 });

    // Act
    const run = await runContainment(api, target);

    // Assess: secured in the case's own region (eu-west-1), under that region's key
    expect(run.record.status).toBe('evidence-secured');
    // memory too: the eu-west-1 instance's image went to the eu-west-1 bucket, through its VPC's endpoint
    expect(run.threadText).toMatch(/s3:\/\/forensics-evidence-222222222222-eu-west-1\/CASE-[\w-]+\/memory\//);
    const manifest = run.threadText.slice(run.threadText.search(/manifest/i));
    expect(manifest).toMatch(SHA256);
    const copies = await forensicsSnapshots(api, target.instanceId);
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.every((c) => c.region === 'eu-west-1' && c.state === 'completed')).toBe(true);

    // The manifest as stored: GET /api/cloud/s3 serves its bytes, which hash to what the thread says
    const [, bucket, key, sha256] =
      run.threadText.match(/s3:\/\/([a-z0-9-]+)\/(\S+\/manifest\.json) sha256 ([0-9a-f]{64})/) ?? [];
    expect(key).toBeDefined();
    const response = await fetch(`${api.url}/api/cloud/s3/${bucket}/${key}`);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(sha256);
    expect(response.headers.get('x-sandbox-sha256')).toBe(sha256);
    expect(JSON.parse(body.toString('utf8'))).toMatchObject({ caseId: run.caseId });
    expect((await fetch(`${api.url}/api/cloud/s3/${bucket}/${run.caseId}/no-such-object`)).status).toBe(404);
  }, 240_000);
});
