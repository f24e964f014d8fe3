import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestApproval } from '../../../bot/cases/approval.js';
import { postExamination } from '../../../bot/cases/examination.js';
import { uploadReport } from '../../../bot/cases/report-upload.js';
import type { ExaminationRecord } from '../../../bot/core/case-model.js';
import {
  addArtifact,
  listAudit,
  recordExamination,
  requireCase,
  transition,
} from '../../../bot/core/case-store.js';
import { ec2Finding, handler, postFindingCard, useSlackSide } from './harness.js';

/**
 * Issue 12, item 5 on the Slack side: the examination summary ends with the next actions, driven through
 * signed interactions — "Contain now" is the card's Contain (same action id and listener) and asks the
 * commanders through the case workflow's approval gate; "Close as false positive" is for commanders, asks
 * for a reason in a modal and closes the case with it; "Open workstation" (once the case has a raw disk
 * image) starts the examine workflow's workstation for responders. The report upload says in
 * the thread when it refuses (a hash that is not the recorded one) or Slack refuses.
 */
const EXAMINE_SM = 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-examine';
const side = useSlackSide({ EXAMINE_STATE_MACHINE_ARN: EXAMINE_SM });
const { slack } = side;

const REPORT = Buffer.from('# Examination\n\n- /etc/ld.so.preload names /usr/lib/libprocesshider.so\n');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function examination(caseId: string): ExaminationRecord {
  return {
    status: 'completed',
    at: new Date().toISOString(),
    worker: 'test',
    iocs: [],
    inputs: [],
    outputs: [
      {
        name: 'report.md',
        uri: `s3://forensics-bot-evidence-222222222222-us-east-1/${caseId}/examination/report.md`,
        sha256: sha256(REPORT),
        bytes: REPORT.length,
        versionId: 'v1',
      },
    ],
    counts: { critical: 1, high: 0, medium: 0 },
    total: 1,
    findings: [
      {
        id: 'f1',
        category: 'persistence',
        severity: 'critical',
        title: 'ld.so.preload names a library',
        path: '/etc/ld.so.preload',
        evidence: '/usr/lib/libprocesshider.so',
        source: 'persistence',
      },
    ],
    notExamined: [],
  };
}

/** A responder analyzes a finding; the case is examined (with a raw disk image, when asked) and its summary posted. */
async function examinedAnalysis(opts: { imaged?: boolean } = {}) {
  const ts = await postFindingCard(ec2Finding());
  await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'case.analyze' });
  const start = side.sfn.calls.filter((c) => c.command === 'StartExecution').at(-1)!;
  const caseId: string = start.input.name;
  if (opts.imaged)
    await addArtifact(caseId, {
      kind: 'disk-image',
      uri: `s3://forensics-bot-evidence-222222222222-us-east-1/${caseId}/disk/vol-0a.raw`,
      sha256: 'a'.repeat(64),
      bytes: 1024,
      createdAt: new Date().toISOString(),
    });
  await recordExamination(caseId, examination(caseId));
  await postExamination(caseId);
  const summary = () =>
    slack
      .messages('C0ALERTS')
      .find((m) => m.ts === ts)!
      .replies.find((r) => r.text.includes('examined'))!;
  return { ts, caseId, summary };
}

const buttons = (m: { blocks?: Record<string, any>[] }) =>
  (m.blocks ?? [])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements as { action_id: string; value: string; text: { text: string } }[]);
const lastEphemeral = (user: string) => slack.ephemerals('C0ALERTS', user).at(-1)?.text ?? '';

describe('Function: the examination summary next actions', () => {
  it('an uncontained analysis offers Contain now (the card Contain id) and Close as false positive, carrying only the case id; no workstation button', async () => {
    const { caseId, summary } = await examinedAnalysis();

    const offered = buttons(summary());
    expect(offered.map((b) => [b.text.text, b.action_id, b.value])).toEqual([
      ['Contain now', 'case.contain', caseId],
      ['Close as false positive', 'case.close-false-positive', caseId],
    ]);
    expect(JSON.stringify(summary().blocks)).not.toMatch(/workstation/i);
  });

  it('Contain now while the analysis runs starts nothing; once it ended uncontained it asks the commanders through the approval gate, once, and four-eyes holds for the asker', async () => {
    // Prepare
    const { ts, caseId, summary } = await examinedAnalysis();
    const starts = () => side.sfn.calls.filter((c) => c.command === 'StartExecution');
    const before = starts().length;
    const contain = (user: string) =>
      slack.click(handler, { user, channel: 'C0ALERTS', ts: summary().ts, actionId: 'case.contain' });

    // Act: a click while the workflow still runs; an outsider's click
    await contain('alice');
    await contain('mallory');

    // Assess
    expect(lastEphemeral('alice')).toContain('still running');
    expect(lastEphemeral('mallory')).toContain('Only responders');
    expect(starts()).toHaveLength(before);

    // Act: the analysis ended without containment (ANALYZE_CONTAINMENT=notify-only); carol asks, twice
    await transition(caseId, 'acquiring');
    await transition(caseId, 'evidence-secured');
    await Promise.all([contain('carol'), contain('carol')]);

    // Assess: one run of the case workflow, approval required, containment on
    const runs = starts().slice(before);
    expect(runs.map((r) => r.input.name)).toEqual([`${caseId}-contain-1`]);
    expect(JSON.parse(runs[0]!.input.input)).toMatchObject({
      CaseId: caseId,
      Actions: { contain: true },
      Approval: 'required',
    });
    const record = await requireCase(caseId);
    expect(record.actions).toContain('contain');
    expect(record.containRequests?.map((r) => r.by.userId)).toEqual(['U0CAROL']);
    const thread = slack
      .messages('C0ALERTS')
      .find((m) => m.ts === ts)!
      .replies.map((r) => r.text);
    expect(thread.filter((t) => t.includes('Containment requested by <@U0CAROL>'))).toHaveLength(1);

    // Act: the run's approval step asks; carol (who asked) approves, dave approves
    await requestApproval({ caseId, taskToken: 'task-token-contain-now' });
    const approval = slack.messages('C0COMMANDERS').at(-1)!;
    for (const user of ['carol', 'dave'])
      await slack.click(handler, {
        user,
        channel: 'C0COMMANDERS',
        ts: approval.ts,
        actionId: 'approval.approve',
      });

    // Assess: four-eyes refused carol; dave's approval is the one decision
    expect(slack.ephemerals('C0COMMANDERS', 'carol').at(-1)?.text).toContain('Four-eyes');
    const success = side.sfn.calls.filter((c) => c.command === 'SendTaskSuccess');
    expect(success.map((c) => c.input.taskToken)).toEqual(['task-token-contain-now']);
    expect((await requireCase(caseId)).decision).toMatchObject({
      outcome: 'approved',
      by: { userId: 'U0DAVE' },
    });
  });

  it('Close as false positive: a responder is refused without a form; a commander gives a reason and the case closes with it, in the thread and the audit trail', async () => {
    // Prepare
    const { ts, caseId, summary } = await examinedAnalysis();
    const close = (user: string) =>
      slack.click(handler, {
        user,
        channel: 'C0ALERTS',
        ts: summary().ts,
        actionId: 'case.close-false-positive',
      });

    // Act: alice (responder) presses it
    await close('alice');

    // Assess: refused, no modal, audited
    expect(lastEphemeral('alice')).toContain('Only incident commanders');
    expect(slack.openViews('alice')).toEqual([]);
    expect((await requireCase(caseId)).status).not.toBe('closed');

    // Act: carol presses it; submitting without a reason is refused by the form, then with one
    await close('carol');
    const [view] = slack.openViews('carol');
    expect(view?.view.callback_id).toBe('case.close-false-positive');
    const empty = await slack.submitView(handler, { user: 'carol', viewId: view!.id, values: {} });
    expect(empty.outcome).toBe('invalid');
    const done = await slack.submitView(handler, {
      user: 'carol',
      viewId: view!.id,
      values: { 'close.reason': { reason: 'Pentest by the red team, ticket SEC-42 *approved*' } },
    });

    // Assess
    expect(done.delivery?.status).toBe(200);
    const record = await requireCase(caseId);
    expect(record.status).toBe('closed');
    expect(record.closure).toMatchObject({
      as: 'false-positive',
      reason: 'Pentest by the red team, ticket SEC-42 *approved*',
      by: { userId: 'U0CAROL' },
    });
    const thread = slack
      .messages('C0ALERTS')
      .find((m) => m.ts === ts)!
      .replies.map((r) => r.text);
    expect(thread.at(-1)).toBe(
      `:checkered_flag: ${caseId} closed by <@U0CAROL> as a false positive: \`Pentest by the red team, ticket SEC-42 *approved*\``,
    );
    const events = await listAudit(caseId);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: 'U0ALICE',
          action: 'case.close-false-positive',
          outcome: 'refused',
        }),
        expect.objectContaining({
          actor: 'U0CAROL',
          action: 'case.close',
          outcome: 'ok',
          detail: 'false-positive: Pentest by the red team, ticket SEC-42 *approved*',
        }),
      ]),
    );
    // A stale second press on the closed case opens no form
    await close('carol');
    expect(lastEphemeral('carol')).toContain('closed already');
  });

  it('the report is uploaded with its SHA-256 when the bytes are the recorded ones; otherwise the thread says why and nothing is uploaded', async () => {
    const { ts, caseId } = await examinedAnalysis();
    const file = (await requireCase(caseId)).examination!.outputs[0]!;
    const replies = () => slack.messages('C0ALERTS').find((m) => m.ts === ts)!.replies;

    // a changed byte: refused
    const changed = Buffer.from(REPORT);
    changed[0] = 0x21;
    expect(await uploadReport(caseId, { file, bytes: changed })).toBe('mismatch');
    expect(replies().at(-1)!.text).toContain(`was not uploaded: the bytes read back from ${file.uri}`);
    expect(replies().at(-1)!.text).toContain(sha256(REPORT));

    // Slack refuses the share: said in the thread
    slack.failNext('files.completeUploadExternal', 'not_in_channel');
    expect(await uploadReport(caseId, { file, bytes: REPORT })).toBe('failed');
    expect(replies().at(-1)!.text).toContain(
      'could not be uploaded into this thread: `An API error occurred: not_in_channel`',
    );

    // unreadable
    expect(await uploadReport(caseId, { file, readError: 'AccessDenied' })).toBe('unreadable');
    expect(replies().at(-1)!.text).toContain('could not be read back: `AccessDenied`');
    expect(replies().filter((r) => r.files?.length)).toEqual([]);

    // the recorded bytes: uploaded, the comment states their SHA-256
    expect(await uploadReport(caseId, { file, bytes: REPORT })).toBe('uploaded');
    const upload = replies().at(-1)!;
    expect(upload.text).toContain(`SHA-256 \`${sha256(REPORT)}\``);
    expect(slack.fileBytes(String(upload.files![0]!.id))).toEqual(REPORT);
  });

  it('with a raw disk image it offers Open workstation; a responder starts the workstation (default hours), an outsider is refused', async () => {
    // Prepare
    const { caseId, summary } = await examinedAnalysis({ imaged: true });
    expect(buttons(summary()).map((b) => [b.text.text, b.action_id, b.value])).toContainEqual([
      'Open workstation',
      'case.open-workstation',
      caseId,
    ]);
    const workstations = () =>
      side.sfn.calls.filter((c) => c.command === 'StartExecution' && c.input.stateMachineArn === EXAMINE_SM);
    const open = (user: string) =>
      slack.click(handler, {
        user,
        channel: 'C0ALERTS',
        ts: summary().ts,
        actionId: 'case.open-workstation',
      });

    // Act
    await open('mallory');
    await open('alice');

    // Assess: one workstation, for alice, four hours, named after the case
    expect(lastEphemeral('mallory')).toContain('Only responders');
    expect(lastEphemeral('alice')).toContain(`A forensic workstation for ${caseId} is starting (4 h)`);
    const started = workstations();
    expect(started).toHaveLength(1);
    expect(started[0]!.input.name).toMatch(new RegExp(`^${caseId}-workstation-\\d+$`));
    expect(JSON.parse(started[0]!.input.input)).toMatchObject({
      CaseId: caseId,
      Workstation: { hours: 4, requestedBy: 'U0ALICE' },
    });
    expect((await listAudit(caseId)).map((e) => `${e.action}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['case.open-workstation:refused', 'workstation.start:ok']),
    );
  });
});
