import { describe, expect, it } from 'vitest';
import {
  deliver,
  handler,
  ocsfFinding,
  postFindingCard,
  useSlackSide,
  viewSubmissionBody,
} from './harness.js';

/**
 * Dismiss suppresses a finding where it lives, by its real identity: a new-Security-Hub (OCSF) finding
 * with BatchUpdateFindingsV2 in the finding's own region, never a ProductArn guessed from an id.
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
    const card = slack.messages('C0ALERTS').find((m) => m.ts === ts)!;
    expect(JSON.stringify(card.blocks)).toContain('Dismissed by <@U0ALICE>');
  });
});
