import { describe, expect, it } from 'vitest';
import { expireApproval, remindApproval, requestApproval } from '../../../bot/cases/approval.js';
import { postCaseLine } from '../../../bot/cases/notify.js';
import { startCase } from '../../../bot/cases/service.js';
import { addArtifact, audit, getCase, transition } from '../../../bot/core/case-store.js';
import { getFingerprint, recordDelivery } from '../../../bot/intake/fingerprints.js';
import { slackWebClient } from '../../../bot/slack/client.js';
import { handler as progress } from '../../../handlers/progress.js';
import { loadEvent } from '../../support/events.js';
import { ec2Finding, handler, useSlackSide } from './harness.js';

const side = useSlackSide({ APPROVAL_EXPIRE_MINUTES: '30' });
const { slack } = side;

async function openFromCommandLine(action: 'analyze' | 'contain') {
  const f = ec2Finding();
  const { record } = await startCase({
    target: { account: '333333333333', region: 'us-east-1', instanceId: f.resource.id },
    actions: [action],
    trigger: 'tag',
    requester: { userId: 'U0ALICE' },
    title: 'Tagged SecurityIncidentStatus',
    severity: { label: 'HIGH', score: 8 },
    findingIds: [],
    approval: action === 'contain' ? 'required' : 'not-required',
  });
  return record;
}

const thread = (caseId: string) =>
  slack.messages('C0ALERTS').find((m) => JSON.stringify(m.blocks).includes(caseId))!;
const statusEvent = (name: string, caseId: string) => {
  const e = loadEvent('stepfunctions', `execution-status-change-${name}`);
  e.detail.name = caseId;
  e.detail.executionArn = `arn:aws:states:us-east-1:111111111111:execution:forensics-case:${caseId}`;
  return e;
};

describe('Function: handlers/progress', () => {
  it('ignores executions that are not ours, and events that are not status changes', async () => {
    expect(await progress(loadEvent('stepfunctions', 'execution-status-change-running'))).toEqual({
      outcome: 'ignored',
    });
    expect(await progress(statusEvent('running', 'CASE-20200101-0000'))).toEqual({ outcome: 'ignored' });
    expect(
      await progress({ 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: {} }),
    ).toEqual({ outcome: 'ignored' });
  });

  it('a case without a finding card gets its own card in the alerts channel; RUNNING and SUCCEEDED move it to evidence secured', async () => {
    const record = await openFromCommandLine('analyze');
    expect(thread(record.id).replies[0]!.text).toContain('opened by <@U0ALICE>: analysis');
    await progress(statusEvent('running', record.id));
    await addArtifact(record.id, {
      kind: 'memory',
      uri: `s3://evidence/${record.id}/memory.lime`,
      sha256: 'b'.repeat(64),
      bytes: 4096,
      createdAt: new Date().toISOString(),
    });
    expect(await progress(statusEvent('succeeded', record.id))).toEqual({ outcome: 'case:SUCCEEDED' });
    expect((await getCase(record.id))?.status).toBe('evidence-secured');
    const replies = thread(record.id).replies.map((r) => r.text);
    expect(replies.some((t) => t.includes('Workflow started'))).toBe(true);
    expect(replies.at(-1)).toContain('evidence secured (1 artifact)');
    expect(JSON.stringify(thread(record.id).blocks)).toContain('evidence secured');
  });

  it('a case without a finding card has its card and thread before its workflow starts, so no early line is lost', async () => {
    const seen: string[] = [];
    side.sfn.onStart = (input) => {
      const card = slack.messages('C0ALERTS').find((m) => JSON.stringify(m.blocks).includes(input.name));
      seen.push(card ? 'card' : 'none');
    };
    try {
      await openFromCommandLine('contain');
    } finally {
      side.sfn.onStart = undefined;
    }
    expect(seen).toEqual(['card']);
  });

  it('a case grown from a finding card marks its fingerprint, so repeats of the finding never redraw the card', async () => {
    const f = ec2Finding();
    const fingerprint = `gd:progress-${Date.now()}`;
    await recordDelivery(fingerprint, f, 'd-1', new Date(), 7);
    const posted = await slackWebClient().then((c) =>
      c.chat.postMessage({ channel: 'C0ALERTS', text: 'card' }),
    );
    const { record } = await startCase({
      target: { account: '333333333333', region: 'us-east-1', instanceId: f.resource.id },
      actions: ['analyze'],
      trigger: 'slack-button',
      requester: { userId: 'U0ALICE' },
      title: f.title,
      severity: { label: 'HIGH', score: 8 },
      findingIds: [f.id],
      approval: 'not-required',
      card: { channel: 'C0ALERTS', ts: posted.ts!, fingerprint },
    });
    expect((await getFingerprint(fingerprint))?.caseId).toBe(record.id);
  });

  it('a timed-out execution fails the case and names what was done', async () => {
    const record = await openFromCommandLine('analyze');
    await postCaseLine(record.id, { step: 'snapshotVolumes', outcome: 'started' });
    await progress(statusEvent('timed-out', record.id));
    const after = await getCase(record.id);
    expect(after?.status).toBe('failed');
    expect(after?.failure).toContain('snapshot volumes failed: the workflow timed out');
  });

  it('a pending approval reminds the commanders once, then expires as denied, never silently', async () => {
    const record = await openFromCommandLine('contain');
    await requestApproval({ caseId: record.id, taskToken: 'tt-expire' });
    expect(await remindApproval(record.id)).toBe(true);
    expect(await remindApproval(record.id)).toBe(false);
    const reminders = slack.messages('C0COMMANDERS').filter((m) => m.text.includes('still waits'));
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.text).toContain('<!subteam^S0COMMANDERS>');

    expect(await expireApproval(record.id)).toBe(true);
    expect(await expireApproval(record.id)).toBe(false);
    const after = await getCase(record.id);
    expect(after).toMatchObject({ status: 'denied', failure: 'expired' });
    expect(
      side.sfn.calls.filter((c) => c.command === 'SendTaskFailure' && c.input.taskToken === 'tt-expire'),
    ).toHaveLength(1);
    expect(thread(record.id).replies.at(-1)!.text).toContain('expired');
    const card = slack.messages('C0COMMANDERS').find((m) => m.ts === after?.slack.approvalTs)!;
    expect(JSON.stringify(card.blocks)).toContain('Expired');
    // the workflow then ends; the case stays denied
    await progress(statusEvent('failed', record.id));
    expect((await getCase(record.id))?.status).toBe('denied');
  });

  it('/forensics release (commanders) starts <caseId>-release-1, and its success marks the case released; close frees it', async () => {
    const record = await openFromCommandLine('contain');
    await transition(record.id, 'containing');
    await transition(record.id, 'contained');
    const refused = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `release ${record.id}`,
    });
    expect(refused.body).toBe('');
    const answer = await slack.command(handler, {
      user: 'carol',
      channel: 'C0ALERTS',
      text: `release ${record.id}`,
    });
    expect(answer.body).toContain(`${record.id}-release-1`);
    const releaseStarts = () =>
      side.sfn.calls.filter(
        (c) => c.command === 'StartExecution' && String(c.input.name).includes('-release-'),
      );
    // three more /forensics release while it runs, two at once: one release execution, the others told why
    const more = await Promise.all(
      [0, 1, 2].map(() =>
        slack.command(handler, { user: 'carol', channel: 'C0ALERTS', text: `release ${record.id}` }),
      ),
    );
    for (const m of more) expect(m.body).toContain('already running');
    expect(releaseStarts()).toHaveLength(1);
    const start = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!;
    expect(start.input).toMatchObject({
      name: `${record.id}-release-1`,
      stateMachineArn: expect.stringContaining('forensics-release'),
    });
    expect(await progress(statusEvent('succeeded', `${record.id}-release-1`))).toEqual({
      outcome: 'release:SUCCEEDED',
    });
    expect((await getCase(record.id))?.status).toBe('released');
    const closed = await slack.command(handler, {
      user: 'carol',
      channel: 'C0ALERTS',
      text: `close ${record.id}`,
    });
    expect(closed.body).toContain('closed');
    expect((await getCase(record.id))?.status).toBe('closed');
    const again = await slack.command(handler, {
      user: 'carol',
      channel: 'C0ALERTS',
      text: `close ${record.id}`,
    });
    expect(again.body).toContain('already closed');
  });

  it('/forensics audit (responders) shows who did what, escaped; an outsider is refused', async () => {
    const record = await openFromCommandLine('contain');
    await audit({
      caseId: record.id,
      actor: 'U0ALICE',
      action: 'note',
      outcome: 'ok',
      detail: '<!channel> <https://evil.example|x>',
    });
    const answer = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `audit ${record.id}`,
    });
    const text = JSON.stringify(JSON.parse(answer.body).blocks);
    expect(text).toContain(`Audit trail of ${record.id}`);
    expect(text).toContain('case.contain');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    const refused = await slack.command(handler, {
      user: 'mallory',
      channel: 'C0ALERTS',
      text: `audit ${record.id}`,
    });
    expect(refused.body).toBe('');
    expect(slack.ephemerals('C0ALERTS', 'mallory').at(-1)?.text).toContain('responders');
  });
});
