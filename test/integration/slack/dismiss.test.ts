import { describe, expect, it } from 'vitest';
import {
  ADMIN_DETECTOR,
  deliver,
  ec2Finding,
  handler,
  ocsfFinding,
  postFindingCard,
  useSlackSide,
  viewSubmissionBody,
} from './harness.js';

/**
 * Dismiss suppresses a finding where it lives, by its real identity: a new-Security-Hub (OCSF) finding
 * with BatchUpdateFindingsV2 in the finding's own region, never a ProductArn guessed from an id; a
 * GuardDuty finding (direct or carried by Security Hub) is also archived in GuardDuty, with the
 * administrator's detector (issue 14, item 5).
 */
const side = useSlackSide();
const { slack } = side;

describe('Function: handlers/slack (Dismiss)', () => {
  it('suppresses a new-Security-Hub finding with BatchUpdateFindingsV2 by its OCSF identity, in its own region', async () => {
    // Prepare: the card of an OCSF finding in eu-west-1 (the bot's home region is us-east-1)
    const finding = ocsfFinding('eu-west-1');
    const ts = await postFindingCard(finding);
    const before = side.sfn.calls.length;
    // Act: alice dismisses it with a reason
    await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'finding.dismiss' });
    const view = slack.views.at(-1) as Record<string, any>;
    expect(view.callback_id).toBe('finding.dismiss');
    await deliver(
      slack,
      viewSubmissionBody(
        view,
        { id: 'U0ALICE', name: 'alice' },
        { 'dismiss.reason': { reason: 'Known CI job' } },
      ),
    );
    // Assess: one V2 update, suppressed (OCSF status_id 3), with the reason, in eu-west-1; no ASFF call
    const calls = side.sfn.calls.slice(before).filter((c) => c.command.startsWith('BatchUpdateFindings'));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      command: 'BatchUpdateFindingsV2',
      region: 'eu-west-1',
      input: {
        FindingIdentifiers: [
          {
            CloudAccountUid: '333333333333',
            FindingInfoUid: finding.id,
            MetadataProductUid: 'arn:aws:securityhub:eu-west-1::productv2/aws/guardduty',
          },
        ],
        StatusId: 3,
      },
    });
    expect(calls[0]!.input.Comment).toContain('Known CI job');
    // the GuardDuty finding it carries is archived in GuardDuty too, in eu-west-1, by its GuardDuty id
    const archive = side.sfn.calls.slice(before).find((c) => c.command === 'ArchiveFindings');
    expect(archive).toEqual({
      command: 'ArchiveFindings',
      input: { DetectorId: ADMIN_DETECTOR, FindingIds: [finding.arn!.split('/').pop()] },
      region: 'eu-west-1',
    });
    const card = slack.messages('C0ALERTS').find((m) => m.ts === ts)!;
    expect(JSON.stringify(card.blocks)).toContain('Dismissed by <@U0ALICE>');
  });

  it('archives a GuardDuty-direct finding in GuardDuty, in its region, with the administrator detector, and suppresses its CSPM copy', async () => {
    // Prepare: a member account's GuardDuty finding (its ARN names the member's detector, d1)
    const finding = ec2Finding();
    const ts = await postFindingCard(finding);
    const before = side.sfn.calls.length;

    // Act: alice dismisses it without a reason
    await slack.click(handler, { user: 'alice', channel: 'C0ALERTS', ts, actionId: 'finding.dismiss' });
    const view = slack.views.at(-1) as Record<string, any>;
    await deliver(slack, viewSubmissionBody(view, { id: 'U0ALICE', name: 'alice' }, {}));

    // Assess: ListDetectors then ArchiveFindings of the finding id, both in us-east-1; never the member's d1
    const calls = side.sfn.calls.slice(before);
    const guardDuty = calls.filter((c) => ['ListDetectors', 'ArchiveFindings'].includes(c.command));
    expect(guardDuty).toEqual([
      { command: 'ListDetectors', input: {}, region: 'us-east-1' },
      {
        command: 'ArchiveFindings',
        input: { DetectorId: ADMIN_DETECTOR, FindingIds: [finding.id] },
        region: 'us-east-1',
      },
    ]);
    expect(calls.find((c) => c.command === 'BatchUpdateFindings')).toMatchObject({
      input: {
        FindingIdentifiers: [
          { Id: finding.arn, ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' },
        ],
        Workflow: { Status: 'SUPPRESSED' },
      },
      region: 'us-east-1',
    });
    const card = slack.messages('C0ALERTS').find((m) => m.ts === ts)!;
    expect(JSON.stringify(card.blocks)).toContain('Dismissed by <@U0ALICE>');
  });
});
