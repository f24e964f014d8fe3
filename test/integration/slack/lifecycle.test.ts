import { describe, expect, it } from 'vitest';
import { requestApproval } from '../../../bot/cases/approval.js';
import { postCaseLine } from '../../../bot/cases/notify.js';
import { getCase, listAudit } from '../../../bot/core/case-store.js';
import { handler as progress } from '../../../handlers/progress.js';
import { loadEvent } from '../../support/events.js';
import {
  deliver,
  ec2Finding,
  handler,
  postFindingCard,
  useSlackSide,
  viewSubmissionBody,
} from './harness.js';

const side = useSlackSide();
const { slack } = side;

const texts = (m: { text?: string; blocks?: unknown }) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
const card = (ts: string) => slack.messages('C0ALERTS').find((m) => m.ts === ts)!;

describe('Function: handlers/slack (case lifecycle)', () => {
  it('a responder clicks Contain, an outsider is refused, the commander approves, the thread shows progress, /forensics status shows the case', async () => {
    // Prepare: a finding card in security-alerts
    const finding = ec2Finding();
    const ts = await postFindingCard(finding);

    // Act: alice clicks Contain (and her double click arrives too)
    const first = slack.clickRequest({ user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    const second = slack.clickRequest({ user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    const answers = await Promise.all([first, second].map((r) => slack.deliver(handler, r)));

    // Assess: one case, one execution named after it, the card became the case card
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const starts = side.sfn.calls.filter((c) => c.command === 'StartExecution');
    expect(starts).toHaveLength(1);
    const caseId: string = starts[0]!.input.name;
    expect(caseId).toMatch(/^CASE-\d{8}-[0-9A-Z]{4}$/);
    expect(JSON.parse(starts[0]!.input.input)).toMatchObject({
      CaseId: caseId,
      InstanceId: finding.resource.id,
      Account: '333333333333',
      Region: 'us-east-1',
      Actions: { contain: true },
      Approval: 'required',
    });
    const updated = card(ts);
    expect(texts(updated)).toContain(`${caseId}* opened by <@U0ALICE>: containment`);
    expect(JSON.stringify(updated.blocks)).not.toMatch(/case\.contain|case\.analyze|finding\.dismiss/);
    expect(updated.replies).toHaveLength(1);
    expect(texts(updated.replies[0]!)).toContain('Plan');

    // Act: the workflow's approval step asks
    await requestApproval({ caseId, taskToken: 'task-token-secret-1' });
    const approvalCard = slack.messages('C0COMMANDERS').at(-1)!;
    expect(JSON.stringify(approvalCard)).not.toContain('task-token-secret-1');
    expect(texts(card(ts).replies.at(-1)!)).toContain('approval');

    // Act: mallory and alice press Approve; both refused
    for (const user of ['mallory', 'alice']) {
      const refused = await slack.click(handler, {
        user,
        channel: 'C0COMMANDERS',
        ts: approvalCard.ts,
        actionId: 'approval.approve',
      });
      expect(refused.status).toBe(200);
      expect(slack.ephemerals('C0COMMANDERS', user).at(-1)?.text).toContain('Only incident commanders');
    }
    expect(side.sfn.calls.filter((c) => c.command === 'SendTaskSuccess')).toHaveLength(0);

    // Act: carol approves (and presses again from a stale card)
    const late = slack.clickRequest({
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approvalCard.ts,
      actionId: 'approval.approve',
    });
    await slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approvalCard.ts,
      actionId: 'approval.approve',
    });
    await slack.deliver(handler, late);

    // Assess: one SendTaskSuccess with the stored token; the card and the thread say so
    const success = side.sfn.calls.filter((c) => c.command === 'SendTaskSuccess');
    expect(success).toHaveLength(1);
    expect(success[0]!.input.taskToken).toBe('task-token-secret-1');
    expect(JSON.parse(success[0]!.input.output)).toEqual({ approved: true, approver: 'U0CAROL' });
    const decided = slack.messages('C0COMMANDERS').find((m) => m.ts === approvalCard.ts)!;
    expect(JSON.stringify(decided.blocks)).toContain('Approved');
    expect(JSON.stringify(decided.blocks)).not.toContain('approval.approve');
    expect(texts(card(ts).replies.at(-1)!)).toContain('Containment approved by <@U0CAROL>');
    expect((await getCase(caseId))?.status).toBe('containing');

    // Act: the workflow continues; steps report, then the execution succeeds
    await postCaseLine(caseId, { step: 'isolate-network', outcome: 'started' });
    await postCaseLine(caseId, { step: 'isolate-network', outcome: 'succeeded', durationMs: 1200 });
    await postCaseLine(caseId, {
      step: 'capture-memory',
      outcome: 'failed',
      durationMs: 800,
      detail: 'SSM agent offline',
    });
    const failed = loadEvent('stepfunctions', 'execution-status-change-failed');
    failed.detail.name = caseId;
    expect(await progress(failed)).toEqual({ outcome: 'case:FAILED' });

    // Assess: one line per finished step, the card's status line, a failure that says what was done
    const lines = card(ts).replies.map((r) => r.text);
    expect(lines.some((l) => /isolate network\* succeeded in 1\.2 s/.test(l))).toBe(true);
    expect(lines.filter((l) => /isolate network\* started/.test(l))).toHaveLength(0);
    expect(lines.at(-1)).toContain(
      'Workflow failed. Capture memory failed: SSM agent offline. Already done: contained, isolate network.',
    );
    expect(texts(card(ts))).toMatch(/stage \d\/\d+/);
    expect((await getCase(caseId))?.status).toBe('failed');

    // Act: /forensics status
    const status = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `status ${caseId}`,
    });
    const answer = JSON.parse(status.body);
    expect(answer.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.blocks)).toContain(caseId);
    expect(JSON.stringify(answer.blocks)).toContain('<@U0CAROL>');
    expect(JSON.stringify(answer.blocks)).toContain('isolate network');

    // Assess: the audit trail holds the clicks, the refusals and the approval
    const trail = await listAudit(caseId);
    expect(
      trail
        .filter((e) => e.outcome === 'refused')
        .map((e) => e.actor)
        .sort(),
    ).toEqual(['U0ALICE', 'U0MALLORY']);
    expect(
      trail.some((e) => e.action === 'approval.approve' && e.outcome === 'ok' && e.actor === 'U0CAROL'),
    ).toBe(true);
    expect(trail.some((e) => e.action === 'approval.approve' && e.outcome === 'duplicate')).toBe(true);
  });

  it('refuses the requester approving their own containment (four eyes)', async () => {
    const ts = await postFindingCard(ec2Finding());
    await slack.click(handler, { user: 'carol', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    const caseId = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!.input.name;
    await requestApproval({ caseId, taskToken: 'tt-4eyes' });
    const approval = slack.messages('C0COMMANDERS').at(-1)!;
    await slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    expect(slack.ephemerals('C0COMMANDERS', 'carol').at(-1)?.text).toContain('Four-eyes');
    expect((await getCase(caseId))?.status).toBe('awaiting-approval');
    expect(
      side.sfn.calls.some((c) => c.command === 'SendTaskSuccess' && c.input.taskToken === 'tt-4eyes'),
    ).toBe(false);
    // the second commander may approve it
    await slack.click(handler, {
      user: 'dave',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    expect(
      side.sfn.calls.filter((c) => c.command === 'SendTaskSuccess' && c.input.taskToken === 'tt-4eyes'),
    ).toHaveLength(1);
    expect((await getCase(caseId))?.decision).toMatchObject({
      outcome: 'approved',
      by: { userId: 'U0DAVE' },
    });
  });

  it('a commander denies with a reason: the workflow fails with ApprovalDenied and the case is denied', async () => {
    const ts = await postFindingCard(ec2Finding());
    await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    const caseId = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!.input.name;
    await requestApproval({ caseId, taskToken: 'tt-deny' });
    const approval = slack.messages('C0COMMANDERS').at(-1)!;

    await slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.deny',
    });
    const view = slack.views.at(-1) as Record<string, any>;
    expect(view.callback_id).toBe('approval.deny');
    const submitted = await deliver(
      slack,
      viewSubmissionBody(
        view,
        { id: 'U0CAROL', name: 'carol' },
        { 'deny.reason': { reason: 'Production database, snapshot only' } },
      ),
    );

    expect(submitted.status).toBe(200);
    const failure = side.sfn.calls.find(
      (c) => c.command === 'SendTaskFailure' && c.input.taskToken === 'tt-deny',
    );
    expect(failure?.input).toMatchObject({
      error: 'ApprovalDenied',
      cause: 'Production database, snapshot only',
    });
    expect((await getCase(caseId))?.status).toBe('denied');
    expect(
      JSON.stringify(slack.messages('C0COMMANDERS').find((m) => m.ts === approval.ts)!.blocks),
    ).toContain('Denied');

    // Assess: the case records the decision as a denial, and no surface calls it an approval
    const record = (await getCase(caseId))!;
    expect(record.decision).toMatchObject({
      outcome: 'denied',
      by: { userId: 'U0CAROL' },
      reason: 'Production database, snapshot only',
    });
    expect(texts(card(ts))).toContain('denied by <@U0CAROL>');
    expect(texts(card(ts))).not.toMatch(/approved by/);
    const status = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `status ${caseId}`,
    });
    expect(status.body).toContain('denied by <@U0CAROL>');
    expect(status.body).not.toMatch(/approved by|Approver/);
  });

  it('of ten concurrent Approve clicks exactly one decides; the others are told who decided', async () => {
    const ts = await postFindingCard(ec2Finding());
    await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.contain' });
    const caseId = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!.input.name;
    await requestApproval({ caseId, taskToken: 'tt-race' });
    const approval = slack.messages('C0COMMANDERS').at(-1)!;
    // ten distinct signed deliveries (each payload has its own trigger_id), all at once
    const requests = Array.from({ length: 10 }, () =>
      slack.clickRequest({
        user: 'carol',
        channel: 'C0COMMANDERS',
        ts: approval.ts,
        actionId: 'approval.approve',
      }),
    );
    const answers = await Promise.all(requests.map((r) => slack.deliver(handler, r)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));

    const success = side.sfn.calls.filter(
      (c) => c.command === 'SendTaskSuccess' && c.input.taskToken === 'tt-race',
    );
    expect(success).toHaveLength(1);
    const approvedLines = card(ts).replies.filter((r) => r.text.includes('Containment approved'));
    expect(approvedLines).toHaveLength(1);
    const trail = await listAudit(caseId);
    expect(trail.filter((e) => e.action === 'approval.approve' && e.outcome === 'ok')).toHaveLength(1);
    expect(slack.ephemerals('C0COMMANDERS', 'carol').at(-1)?.text).toMatch(/already approved by <@U0CAROL>/);
    expect((await getCase(caseId))?.decision).toMatchObject({
      outcome: 'approved',
      by: { userId: 'U0CAROL' },
    });
  });

  it('Analyze opens a case without approval; /forensics list shows it; a Slack retry of the click is not processed again', async () => {
    const finding = ec2Finding();
    const ts = await postFindingCard(finding);
    const request = slack.clickRequest({ user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.analyze' });
    await slack.deliver(handler, request);
    const start = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!;
    expect(JSON.parse(start.input.input)).toMatchObject({
      Actions: { contain: false },
      Approval: 'not-required',
    });
    const list = await slack.command(handler, { user: 'alice', channel: 'C0ALERTS', text: 'list' });
    expect(list.body).toContain(start.input.name);
    // the same click again, as a Slack retry: same case, nothing repeated
    const ephemeralsBefore = slack.ephemerals('C0ALERTS', 'alice').length;
    const retry = await slack.deliver(handler, {
      ...request,
      headers: { ...request.headers, 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(retry.status).toBe(200);
    expect(
      side.sfn.calls.filter((c) => c.command === 'StartExecution' && c.input.name === start.input.name),
    ).toHaveLength(1);
    expect(card(ts).replies).toHaveLength(1);
    // the retry was answered without being processed again (no listener ran: no ephemeral either)
    expect(retry.body).toBe('');
    expect(slack.ephemerals('C0ALERTS', 'alice')).toHaveLength(ephemeralsBefore);
  });

  it('Dismiss asks for a reason, marks the card dismissed by whom and suppresses the finding in Security Hub', async () => {
    const finding = ec2Finding();
    const ts = await postFindingCard(finding);
    await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'finding.dismiss' });
    const view = slack.views.at(-1) as Record<string, any>;
    expect(view.callback_id).toBe('finding.dismiss');
    await deliver(
      slack,
      viewSubmissionBody(
        view,
        { id: 'U0ALICE', name: 'alice' },
        { 'dismiss.reason': { reason: 'Pen test window' } },
      ),
    );
    const dismissed = card(ts);
    expect(texts(dismissed)).toContain('Dismissed by <@U0ALICE>');
    expect(texts(dismissed)).toContain('Pen test window');
    expect(JSON.stringify(dismissed.blocks)).not.toMatch(/finding\.dismiss|case\.analyze/);
    const update = side.sfn.calls.find((c) => c.command === 'BatchUpdateFindings');
    expect(update?.input).toMatchObject({
      FindingIdentifiers: [
        { Id: finding.arn, ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' },
      ],
      Workflow: { Status: 'SUPPRESSED' },
    });
    expect(update?.input.Note.Text).toContain('Pen test window');
  });
});
