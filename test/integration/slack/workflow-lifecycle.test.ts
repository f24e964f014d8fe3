import { beforeAll, describe, expect, it } from 'vitest';
import { resetRoleCache } from '../../../bot/auth.js';
import { authSettings, commandSettings } from '../../../bot/core/settings.js';
import { listAudit, openCaseOf, requireCase } from '../../../bot/core/case-store.js';
import { handler as progress } from '../../../handlers/progress.js';
import { handler, resetSlackHandler } from '../../../handlers/slack.js';
import { MEMBER, REGION, SEEDED, useWorkflowWorld } from '../workflows/harness.js';
import { ec2Finding, postFindingCard } from './harness.js';

/**
 * The whole lifecycle on the real case workflow: signed requests into handlers/slack.ts, the real ASL run
 * by the local Step Functions with handlers/steps.ts against the simulated organization, status changes
 * fed to handlers/progress.ts, LocalSlack as the workspace.
 */
const world = useWorkflowWorld({ FOUR_EYES: 'true' }, { onStatusChange: (event) => progress(event) });

beforeAll(() => {
  authSettings.reset();
  commandSettings.reset();
  resetRoleCache();
  resetSlackHandler();
});

describe('Function: handlers/slack on the real case workflow', () => {
  it('a responder clicks Contain -> approval card -> an outsider is refused -> the commander approves -> the workflow continues -> the thread shows progress -> /forensics status shows the case', async () => {
    // Prepare: the finding card of a seeded instance
    const instanceId = SEEDED.instances.autoScaled;
    const ts = await postFindingCard(ec2Finding(instanceId));
    const { slack, sfn } = world;

    // Act: alice clicks Contain
    const click = await slack.click(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      ts,
      actionId: 'case.contain',
    });
    expect(click.status).toBe(200);
    const opened = await openCaseOf({ account: MEMBER, region: REGION, instanceId });
    expect(opened?.executionArn).toMatch(new RegExp(`:execution:forensics-bot-case:${opened?.id}$`));
    const caseId = opened!.id;
    const arn = opened!.executionArn!;

    // Assess: the workflow waits for approval; the approval card is in ir-commanders
    await sfn.waitForTask(arn);
    expect((await requireCase(caseId)).status).toBe('awaiting-approval');
    const approval = slack.messages('C0COMMANDERS').find((m) => JSON.stringify(m.blocks).includes(caseId))!;
    expect(approval).toBeDefined();

    // Act: mallory presses Approve; refused
    await slack.click(handler, {
      user: 'mallory',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    expect(slack.ephemerals('C0COMMANDERS', 'mallory').at(-1)?.text).toContain('Only incident commanders');
    expect((await requireCase(caseId)).status).toBe('awaiting-approval');

    // Act: carol approves; the workflow continues to the end
    await slack.click(handler, {
      user: 'carol',
      channel: 'C0COMMANDERS',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    const execution = await sfn.waitFor(arn);

    // Assess: contained, evidence secured, the thread told each step and the end
    expect(execution.status).toBe('SUCCEEDED');
    const record = await requireCase(caseId);
    expect(record.status).toBe('evidence-secured');
    expect(record.decision).toMatchObject({ outcome: 'approved', by: { userId: 'U0CAROL' } });
    const thread = slack.messages('C0ALERTS').find((m) => m.ts === ts)!;
    const lines = thread.replies.map((r) => r.text);
    expect(lines.some((l) => l.includes('Containment approved by <@U0CAROL>'))).toBe(true);
    expect(lines.some((l) => /network isolated\* succeeded in/i.test(l))).toBe(true);
    expect(lines.some((l) => /memory captured\* succeeded/i.test(l))).toBe(true);
    expect(lines.at(-1)).toContain('evidence secured');
    expect(JSON.stringify(thread.blocks)).toMatch(/Stage: \*evidence secured\*/);

    // Act: /forensics status
    const status = await slack.command(handler, {
      user: 'alice',
      channel: 'C0ALERTS',
      text: `status ${caseId}`,
    });
    const blocks = JSON.stringify(JSON.parse(status.body).blocks);
    expect(blocks).toContain(caseId);
    expect(blocks).toContain('evidence secured');
    for (const artifact of record.artifacts.filter((a) => a.sha256))
      expect(blocks).toContain(artifact.sha256);
    expect(blocks).toContain(record.manifest!.sha256);
    expect(blocks).not.toContain('more"');
    expect((await listAudit(caseId)).some((e) => e.actor === 'U0MALLORY' && e.outcome === 'refused')).toBe(
      true,
    );
  });
});
