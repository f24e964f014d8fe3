/**
 * The first steps of the runbook through the sandbox's HTTP API, for the sandbox's own tests: a finding
 * card, alice's Contain, the approval card in ir-commanders.
 */
import type { SampleTarget } from '../../../sandbox/samples.js';
import { type Message, SandboxApi, waitFor } from '../../e2e/support/api.js';

/** The value of the button with this action_id in a message. */
export function buttonValue(message: Message, actionId: string): string | undefined {
  for (const block of message.blocks ?? [])
    for (const element of [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])])
      if (element.action_id === actionId) return element.value;
  return undefined;
}

/** The card in security-alerts about this instance that still offers Contain. */
export function findingCard(api: SandboxApi, instanceId: string): Promise<Message> {
  return waitFor(`the finding card about ${instanceId}`, async () =>
    (await api.messages('security-alerts')).messages.find(
      (m) => SandboxApi.textOf(m).includes(instanceId) && buttonValue(m, 'case.contain') !== undefined,
    ),
  );
}

/** The approval card in ir-commanders about this instance, with its Approve button. */
export function approvalCard(api: SandboxApi, instanceId: string): Promise<Message> {
  return waitFor(`the approval card about ${instanceId}`, async () =>
    (await api.messages('ir-commanders')).messages.find(
      (m) => SandboxApi.textOf(m).includes(instanceId) && buttonValue(m, 'approval.approve') !== undefined,
    ),
  );
}

/** Injects the SSH brute-force finding about `target`, alice clicks Contain: answers the approval card and the case id. */
export async function askToContain(
  api: SandboxApi,
  target: SampleTarget,
): Promise<{ approval: Message; caseId: string }> {
  await api.post('/api/samples/guardduty-ssh-brute-force', target);
  const card = await findingCard(api, target.instanceId);
  const click = await api.post('/api/interactions', {
    user: 'alice',
    channel: 'security-alerts',
    ts: card.ts,
    actionId: 'case.contain',
  });
  if (click.status !== 200) throw new Error(`Contain: ${click.status} ${JSON.stringify(click.json)}`);
  const approval = await approvalCard(api, target.instanceId);
  return { approval, caseId: buttonValue(approval, 'approval.approve')! };
}
