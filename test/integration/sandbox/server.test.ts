import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS } from '../../../sandbox/targets.js';
import { type Sandbox, startSandbox } from '../../../sandbox/wiring.js';

let sandbox: Sandbox;
let url: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  url = sandbox.url;
}, 60_000);
afterAll(() => sandbox?.stop());

async function call(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers };
}

describe('Function: sandbox HTTP API', () => {
  it('listens on 127.0.0.1 and serves the page', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('forensics-bot sandbox');
    expect((await fetch(`${url}/app.js`)).status).toBe(200);
  });

  it('lists the channels and the users with their groups', async () => {
    const channels = await call('/api/channels');
    expect(channels.json.channels.map((c: { name: string }) => c.name)).toEqual([
      'security-alerts',
      'ir-commanders',
    ]);
    const users = await call('/api/users');
    const carol = users.json.users.find((u: { name: string }) => u.name === 'carol');
    expect(carol.groups).toEqual(['S0RESPONDERS', 'S0COMMANDERS']);
  });

  it('answers 404 for an unknown channel and 400 for a malformed interaction, naming the problem', async () => {
    expect((await call('/api/channels/random/messages')).status).toBe(404);
    const bad = await call('/api/interactions', {
      user: 'alice',
      channel: 'security-alerts',
      ts: 'yesterday',
      actionId: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('ts');
    const missing = await call('/api/interactions', {
      user: 'alice',
      channel: 'security-alerts',
      ts: '1700000000.000100',
      actionId: 'case.contain',
    });
    expect(missing.status).toBe(404);
  });

  it('runs /forensics help as alice and shows the answer to her only', async () => {
    const result = await call('/api/commands', { user: 'alice', channel: 'security-alerts', text: 'help' });
    expect(result.status).toBe(200);
    const mine = await call('/api/channels/security-alerts/messages?user=alice');
    const theirs = await call('/api/channels/security-alerts/messages?user=carol');
    expect(mine.json.ephemerals.length).toBeGreaterThan(0);
    expect(theirs.json.ephemerals).toHaveLength(0);
  });

  it('passes a raw signed request on /slack/events to the bot, and the bot refuses a forged one', async () => {
    const signed = sandbox.slack.commandRequest({ user: 'carol', channel: 'C0COMMANDERS', text: 'help' });
    const ok = await call('/slack/events', signed.body, signed.headers);
    expect(ok.status).toBe(200);
    const forged = await call('/slack/events', signed.body, {
      ...signed.headers,
      'x-slack-signature': `v0=${'0'.repeat(64)}`,
    });
    expect(forged.status).toBe(401);
  });

  it('starts a workflow as the Step Functions console would, under any execution name', async () => {
    const name = `console-${Date.now()}`;
    const started = await call('/api/stepfunctions/executions', {
      stateMachine: 'case',
      name,
      input: {
        InstanceId: 'i-0e5f60718293a4b52',
        Account: '333333333333',
        Region: 'us-east-1',
        RetainArtefacts: true,
      },
    });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ name, executionArn: expect.stringContaining(`:execution:`) });
    expect(started.json.executionArn.endsWith(`:${name}`)).toBe(true);
    const bad = await call('/api/stepfunctions/executions', {
      stateMachine: 'case',
      name: 'no spaces allowed',
      input: {},
    });
    expect(bad.status).toBe(400);
    expect((await call('/api/stepfunctions/executions', { stateMachine: 'other', input: {} })).status).toBe(
      400,
    );
  });

  it('shows the simulated organization and sets and clears faults', async () => {
    const cloud = await call('/api/cloud');
    expect(cloud.status).toBe(200);
    expect(cloud.json.accounts.map((a: { id: string }) => a.id)).toEqual(
      expect.arrayContaining(['333333333333', '444444444444']),
    );
    const set = await call('/api/cloud/faults', { throttle: 0.3, ssmOffline: ['i-0b2c3d4e5f6071829'] });
    expect(set.json.faults).toMatchObject({ throttle: 0.3, ssmOffline: ['i-0b2c3d4e5f6071829'] });
    expect((await call('/api/cloud/faults', { throttle: 2 })).status).toBe(400);
    const failing = await call('/api/cloud/faults', {
      fail: [
        { operation: 'ModifyNetworkInterfaceAttribute', error: 'UnauthorizedOperation', after: 1, times: 2 },
      ],
    });
    expect(failing.status).toBe(200);
    expect(failing.json.faults.fail).toEqual([
      { operation: 'ModifyNetworkInterfaceAttribute', error: 'UnauthorizedOperation', after: 1, times: 2 },
    ]);
    expect((await call('/api/cloud/faults', { fail: [{ operation: 'x; rm', error: 'E' }] })).status).toBe(
      400,
    );
    // memory capture failures as AWS gives them (issue 15)
    const capture = await call('/api/cloud/faults', {
      memoryCapture: [{ failure: 'tool-fails', instanceId: 'i-0b2c3d4e5f6071829' }],
    });
    expect(capture.json.faults.memoryCapture).toEqual([
      { failure: 'tool-fails', instanceId: 'i-0b2c3d4e5f6071829' },
    ]);
    expect((await call('/api/cloud/faults', { memoryCapture: [{ failure: 'gremlins' }] })).status).toBe(400);
    const cleared = await call('/api/cloud/faults', {});
    expect(cleared.json.faults).toEqual({});
  });

  it('injects the SSH brute-force sample about a seeded instance, and its card offers Contain', async () => {
    const samples = await call('/api/samples');
    const ssh = samples.json.samples.find((s: { name: string }) => s.name === 'guardduty-ssh-brute-force');
    const instances = (await call('/api/cloud')).json.accounts
      .flatMap((a: any) => a.regions)
      .flatMap((r: any) => r.instances)
      .map((i: any) => i.instanceId);
    expect(instances).toContain(ssh.target.instanceId);

    const injected = await call('/api/samples/guardduty-ssh-brute-force', {});
    expect(injected.status).toBe(200);
    expect(injected.json.handler).toBe('findings');

    const messages = await call('/api/channels/security-alerts/messages');
    const card = messages.json.messages.find((m: any) =>
      JSON.stringify(m.blocks ?? []).includes(ssh.target.instanceId),
    );
    expect(card).toBeDefined();
    expect(JSON.stringify(card.blocks)).toMatch(/"action_id":"[^"]*contain/i);
  });

  it('delivers an EventBridge event from POST /api/events to the findings handler through its rule', async () => {
    const event = (await call('/api/samples/guardduty-bitcoin-dns', {})).json.event;
    event.id = 'b3b0d2c2-0000-4000-8000-000000000001';
    const result = await call('/api/events', event);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ handler: 'findings', rules: ['guardDuty'] });
  });

  it('drops what the deployed rules drop, and says which rule came closest and why', async () => {
    // Prepare: a MEDIUM GuardDuty finding and a MEDIUM CSPM control (the deploy's floor is HIGH)
    const before = (await call('/api/channels/security-alerts/messages')).json.messages.length;
    const canary = await call('/api/samples/guardduty-canary', {});

    // Act
    const control = await call('/api/samples/securityhub-ec2-7', {});

    // Assess
    expect(canary.status).toBe(200);
    expect(canary.json.handler).toBeUndefined();
    expect(canary.json.dropped).toEqual({
      closest: { rule: 'guardDuty', reason: expect.stringContaining('detail.severity is 5, not >= 7') },
      message: expect.stringMatching(
        /^dropped by the rules: no rule matched \(closest: guardDuty: .*detail\.severity is 5, not >= 7/,
      ),
    });
    expect(control.json.dropped.message).toMatch(
      /closest: securityHubImported: .*detail\.findings\.Severity\.Label is "MEDIUM", not one of "HIGH", "CRITICAL"/,
    );
    expect((await call('/api/channels/security-alerts/messages')).json.messages).toHaveLength(before);
  });

  it("routes Security Hub's echo of the bot's write-back and counts nothing; a NOTIFIED repeat counts on its card; a finding another tool NOTIFIED gets none (issue 14)", async () => {
    // Prepare: a HIGH CSPM finding gets its card; the bot sets it NOTIFIED with a note; Security Hub emits it again
    const { fingerprintOf, getFingerprint } = await import('../../../bot/intake/fingerprints.js');
    const { normalizeEvent } = await import('../../../bot/findings/normalize.js');
    const injected = (await call('/api/samples/securityhub-guardduty-ssh', {})).json.event;
    const asff = injected.detail.findings[0];
    const fingerprint = fingerprintOf(normalizeEvent(injected).findings[0]!);
    const emitted = (await sandbox.emittedDeliveries()).filter(
      (d: any) => d.event.detail.findings[0].Id === asff.Id,
    );
    const afterEcho = await getFingerprint(fingerprint);
    const cards = async () =>
      (await call('/api/channels/security-alerts/messages')).json.messages.filter((m: any) =>
        JSON.stringify(m.blocks ?? []).includes(asff.Id.split('/').pop()),
      );
    const before = (await call('/api/channels/security-alerts/messages')).json.messages.length;

    // Act: GuardDuty observes it again (Security Hub keeps the workflow and the note); another tool's finding
    const repeat = structuredClone((emitted[0] as any).event);
    repeat.id = 'b3b0d2c2-0000-4000-8000-000000000005';
    repeat.detail.findings[0].LastObservedAt = new Date(Date.now() + 60_000).toISOString();
    repeat.detail.findings[0].UpdatedAt = repeat.detail.findings[0].LastObservedAt;
    const repeated = await call('/api/events', repeat);
    const other = structuredClone(injected);
    other.id = 'b3b0d2c2-0000-4000-8000-000000000006';
    other.detail.findings[0].Id = `${asff.Id.replace(/finding\/.*$/, 'finding/')}${'ab'.repeat(16)}`;
    other.detail.findings[0].Workflow = { Status: 'NOTIFIED' };
    const notifiedElsewhere = await call('/api/events', other);

    // Assess: the echo went through the CSPM rule (NOTIFIED passes) and changed nothing
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ rules: ['securityHubImported'], handler: 'findings' });
    expect((emitted[0] as any).event.detail.findings[0]).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      Note: { UpdatedBy: 'forensics-bot' },
      UpdatedAt: asff.UpdatedAt,
    });
    expect(afterEcho).toMatchObject({ status: 'posted', count: 1 });
    // the repeat reached the card and counted; the other tool's NOTIFIED finding passed the rule, got no card
    expect(repeated.json).toMatchObject({ rules: ['securityHubImported'], handler: 'findings' });
    expect(await getFingerprint(fingerprint)).toMatchObject({ count: 2 });
    expect(await cards()).toHaveLength(1);
    expect(notifiedElsewhere.json).toMatchObject({ rules: ['securityHubImported'], handler: 'findings' });
    expect(await getFingerprint(fingerprintOf(normalizeEvent(other).findings[0]!))).toBeUndefined();
    expect((await call('/api/channels/security-alerts/messages')).json.messages).toHaveLength(before);
  });

  it("gives one GuardDuty finding one card through the sandbox's rules whether it comes through Security Hub, CSPM or directly, Security Hub's echo counting nothing (issue 14, done when)", async () => {
    // Prepare: one GuardDuty finding (its ARN) as the new Security Hub, Security Hub CSPM and GuardDuty send it
    const { fingerprintOf, getFingerprint } = await import('../../../bot/intake/fingerprints.js');
    const { normalizeEvent } = await import('../../../bot/findings/normalize.js');
    const { sample } = await import('../../../sandbox/samples.js');
    const target = TARGETS.multiEni;
    const direct = sample('guardduty-ssh-brute-force')!.build(target);
    const arn: string = direct.detail.arn;
    const cspm = sample('securityhub-guardduty-ssh')!.build(target);
    cspm.detail.findings[0].Id = arn;
    cspm.resources = [arn];
    const ocsf = sample('securityhub-v2-guardduty-runtime')!.build(target);
    Object.assign(ocsf.detail.findings[0].finding_info, { uid: arn, uid_alt: direct.detail.id });
    Object.assign(ocsf.detail.findings[0], { severity_id: 4, severity: 'High' }); // GuardDuty rates it High
    const fingerprint = fingerprintOf(normalizeEvent(direct).findings[0]!);
    const before = (await call('/api/channels/security-alerts/messages')).json.messages.length;

    // Act: through POST /api/events, as EventBridge delivers them, the new Security Hub's first
    const routes = [];
    for (const event of [ocsf, cspm, direct]) routes.push((await call('/api/events', event)).json.rules);
    const echoes = (await sandbox.emittedDeliveries()).filter(
      (d: any) => d.event.detail.findings[0].finding_info?.uid === arn,
    );

    // Assess: each through its own rule, one card, three events counted, the comment's echo not
    expect(routes).toEqual([['securityHubImportedV2'], ['securityHubImported'], ['guardDuty']]);
    for (const event of [ocsf, cspm])
      expect(fingerprintOf(normalizeEvent(event).findings[0]!)).toBe(fingerprint);
    expect((await call('/api/channels/security-alerts/messages')).json.messages).toHaveLength(before + 1);
    expect(echoes).toEqual([
      expect.objectContaining({ rules: ['securityHubImportedV2'], handler: 'findings' }),
    ]);
    expect(await getFingerprint(fingerprint)).toMatchObject({ status: 'posted', count: 3 });
  });

  it("routes the new Security Hub's echo of the bot's comment and counts nothing (issue 14)", async () => {
    const { fingerprintOf, getFingerprint } = await import('../../../bot/intake/fingerprints.js');
    const { normalizeEvent } = await import('../../../bot/findings/normalize.js');
    // Act: a critical OCSF control posts; the bot comments the card link; Security Hub emits it again
    const injected = (await call('/api/samples/securityhub-v2-config-control', {})).json.event;
    const uid = injected.detail.findings[0].finding_info.uid;
    const emitted = (await sandbox.emittedDeliveries()).filter(
      (d: any) => d.event.detail.findings[0].finding_info?.uid === uid,
    );
    // Assess
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ rules: ['securityHubImportedV2'], handler: 'findings' });
    expect((emitted[0] as any).event.detail.findings[0].comment).toMatch(
      /^Posted to Slack by forensics-bot: /,
    );
    expect(await getFingerprint(fingerprintOf(normalizeEvent(injected).findings[0]!))).toMatchObject({
      status: 'posted',
      count: 1,
    });
  });

  it('delivers an archived update of a finding at any severity: its card says so, and none is posted for a finding without one', async () => {
    // Prepare
    const injected = (await call('/api/samples/guardduty-ssh-brute-force', TARGETS.unmanaged)).json.event;
    const archived = structuredClone(injected);
    archived.id = 'b3b0d2c2-0000-4000-8000-000000000003';
    archived.detail.service.archived = true;
    archived.detail.severity = 2; // below the floor: still passes, as closed
    const unknown = structuredClone(archived);
    unknown.id = 'b3b0d2c2-0000-4000-8000-000000000004';
    unknown.detail.id = 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0';
    unknown.detail.arn = unknown.detail.arn.replace(/finding\/.*$/, `finding/${unknown.detail.id}`);
    const count = async () => (await call('/api/channels/security-alerts/messages')).json.messages.length;
    const before = await count();

    // Act
    const update = await call('/api/events', archived);
    const none = await call('/api/events', unknown);

    // Assess
    expect(update.json).toMatchObject({ handler: 'findings', rules: ['guardDuty'] });
    expect(none.json).toMatchObject({ handler: 'findings', rules: ['guardDuty'] });
    expect(await count()).toBe(before);
    const cards = (await call('/api/channels/security-alerts/messages')).json.messages.filter(
      (m: any) =>
        /SSH brute force attacks/.test(JSON.stringify(m.blocks ?? [])) &&
        JSON.stringify(m.blocks ?? []).includes(TARGETS.unmanaged.instanceId),
    );
    expect(cards).toHaveLength(1);
    expect(JSON.stringify(cards[0].blocks)).toContain('archived in GuardDuty');
  });

  it('routes the new Security Hub (OCSF) through its own rule: a critical control posts, a medium GuardDuty copy is dropped', async () => {
    // Act
    const control = await call('/api/samples/securityhub-v2-config-control', {});
    const runtime = await call('/api/samples/securityhub-v2-guardduty-runtime', {});

    // Assess
    expect(control.json).toMatchObject({ handler: 'findings', rules: ['securityHubImportedV2'] });
    const messages = (await call('/api/channels/security-alerts/messages')).json.messages;
    expect(JSON.stringify(messages)).toContain('2.5 AWS Config should be enabled');
    expect(runtime.json.dropped).toMatchObject({
      closest: {
        rule: 'securityHubImportedV2',
        reason: expect.stringMatching(/severity_id is 3, not one of 4, 5, 6/),
      },
    });
    // the posted OCSF finding got its comment linking the card (BatchUpdateFindingsV2, in its region)
    const updates = (await call('/api/cloud')).json.accounts
      .flatMap((a: any) => a.regions)
      .flatMap((r: any) => r.securityHubUpdates ?? []);
    expect(updates).toContainEqual(
      expect.objectContaining({
        api: 'BatchUpdateFindingsV2',
        findingId: control.json.event.detail.findings[0].finding_info.uid,
      }),
    );
  });

  it('Dismiss of a GuardDuty finding carried by Security Hub CSPM suppresses it with its real product identity and archives it in GuardDuty', async () => {
    // Prepare: the CSPM copy of GuardDuty's SSH brute force (HIGH) about an instance in eu-west-1
    const injected = (await call('/api/samples/securityhub-guardduty-ssh', TARGETS.euWest)).json.event;
    const asff = injected.detail.findings[0];
    const [card] = (await call('/api/channels/security-alerts/messages')).json.messages.filter(
      (m: any) =>
        JSON.stringify(m.blocks ?? []).includes(TARGETS.euWest.instanceId) &&
        /finding\.dismiss/.test(JSON.stringify(m.blocks)),
    );

    // Act: alice dismisses it
    await call('/api/interactions', {
      user: 'alice',
      channel: 'security-alerts',
      ts: card.ts,
      actionId: 'finding.dismiss',
    });
    const [modal] = (await call('/api/views?user=alice')).json.views;
    expect((await call(`/api/views/${modal.id}/submit`, { user: 'alice', values: {} })).status).toBe(200);

    // Assess: in eu-west-1 of the member account, CSPM SUPPRESSED by Id and GuardDuty's ProductArn; GuardDuty archived
    const region = async () =>
      (await call('/api/cloud')).json.accounts
        .find((a: any) => a.id === TARGETS.euWest.account)
        .regions.find((r: any) => r.region === 'eu-west-1');
    const security = async () =>
      (await call('/api/cloud')).json.accounts
        .find((a: any) => a.id === '111111111111')
        .regions.find((r: any) => r.region === 'eu-west-1');
    const archivedNow = async () =>
      (await region()).guardDutyFindings.find((f: any) => f.arn === asff.Id)?.archived === true;
    for (let i = 0; i < 50 && !(await archivedNow()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await archivedNow()).toBe(true);
    expect((await security()).securityHubUpdates).toContainEqual(
      expect.objectContaining({
        findingId: asff.Id,
        productArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty',
        workflowStatus: 'SUPPRESSED',
      }),
    );
  });

  it('routes a status change of its own state machines to the progress handler, and drops others', async () => {
    const status = (stateMachine: string) => ({
      version: '0',
      id: '315c1398-40ff-a850-213b-158f73e60175',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '111111111111',
      time: '2019-02-26T19:42:21Z',
      region: 'us-east-1',
      resources: [`arn:aws:states:us-east-1:111111111111:execution:${stateMachine}:CASE-20240101-ABCD`],
      detail: {
        executionArn: `arn:aws:states:us-east-1:111111111111:execution:${stateMachine}:CASE-20240101-ABCD`,
        stateMachineArn: `arn:aws:states:us-east-1:111111111111:stateMachine:${stateMachine}`,
        name: 'CASE-20240101-ABCD',
        status: 'RUNNING',
      },
    });
    const ours = await call('/api/events', status('forensics-bot-case'));
    expect(ours.status).toBe(200);
    expect(ours.json).toMatchObject({ handler: 'progress', rules: ['workflowStatus'] });
    const other = await call('/api/events', status('someone-elses-machine'));
    expect(other.json.dropped.closest.rule).toBe('workflowStatus');
  });
});
