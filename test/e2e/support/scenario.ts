/**
 * The runbook driven through the sandbox's HTTP API: a finding arrives, a responder asks to contain,
 * a commander approves, the case runs to its end.
 */
import { CASE_ID, type Message, SandboxApi, TERMINAL, waitFor, waitForCaseEnd } from './api.js';

export interface Target {
  account: string;
  region: string;
  instanceId: string;
}

export interface CaseRun {
  caseId: string;
  record: any;
  card: Message;
  /** The approval card the commander pressed; undefined when the case ended before asking. */
  approval?: Message;
  /** The case thread's replies, text and blocks flattened. */
  threadText: string;
}

/** The finding card (in security-alerts) about this instance. */
export function findCard(api: SandboxApi, instanceId: string): Promise<Message> {
  return waitFor(`the finding card about ${instanceId}`, async () =>
    (await api.messages('security-alerts')).messages.find(
      (m) => SandboxApi.textOf(m).includes(instanceId) && /contain/i.test(JSON.stringify(m.blocks ?? [])),
    ),
  );
}

/** The approval card (in ir-commanders) of the case about this instance. */
export function findApprovalCard(api: SandboxApi, instanceId: string): Promise<Message> {
  return waitFor(`the approval card about ${instanceId}`, async () =>
    (await api.messages('ir-commanders')).messages.find(
      (m) =>
        SandboxApi.textOf(m).includes(instanceId) &&
        JSON.stringify(m.blocks ?? []).includes('approval.approve'),
    ),
  );
}

export function buttonValue(message: Message, actionId: string): string | undefined {
  for (const block of message.blocks ?? [])
    for (const element of [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])])
      if (element.action_id === actionId) return element.value;
  return undefined;
}

export function containActionId(card: Message): string {
  for (const block of card.blocks ?? [])
    for (const element of block.elements ?? [])
      if (/contain/i.test(element.action_id ?? '')) return element.action_id;
  throw new Error('the card has no Contain button');
}

/**
 * Finding -> alice contains -> carol approves -> the case ends. A case may also end before it asks for
 * approval (the workflow records the instance's configuration first, so e.g. access denied in the member
 * account fails it at once): then there is nothing to approve, and the run says so (`approval` unset).
 */
export async function runContainment(api: SandboxApi, target: Target): Promise<CaseRun> {
  const injected = await api.post('/api/samples/guardduty-ssh-brute-force', target);
  if (injected.status !== 200) throw new Error(`inject: ${injected.status} ${JSON.stringify(injected.json)}`);
  const card = await findCard(api, target.instanceId);
  const click = await api.post('/api/interactions', {
    user: 'alice',
    channel: 'security-alerts',
    ts: card.ts,
    actionId: containActionId(card),
  });
  if (click.status !== 200) throw new Error(`contain click: ${click.status} ${JSON.stringify(click.json)}`);
  // The finding card becomes the case card: it names the case.
  const caseId = await waitFor(`the case id on the finding card about ${target.instanceId}`, async () => {
    const updated = (await api.messages('security-alerts')).messages.find((m) => m.ts === card.ts);
    return updated ? SandboxApi.textOf(updated).match(CASE_ID)?.[0] : undefined;
  });
  const next = await waitFor<{ approval?: Message; record?: any }>(
    `the approval card of ${caseId}, or its end`,
    async () => {
      const approval = (await api.messages('ir-commanders')).messages.find(
        (m) =>
          SandboxApi.textOf(m).includes(caseId) &&
          JSON.stringify(m.blocks ?? []).includes('approval.approve'),
      );
      if (approval) return { approval };
      const record = await api.get(`/api/cases/${caseId}`);
      return TERMINAL.includes(record.status) ? { record } : undefined;
    },
  );
  if (!next.approval)
    return { caseId, record: next.record, card, threadText: await closedThread(api, caseId) };
  const approve = await api.post('/api/interactions', {
    user: 'carol',
    channel: 'ir-commanders',
    ts: next.approval.ts,
    actionId: 'approval.approve',
  });
  if (approve.status !== 200)
    throw new Error(`approve click: ${approve.status} ${JSON.stringify(approve.json)}`);
  const record = await waitForCaseEnd(api, caseId);
  return { caseId, record, card, approval: next.approval, threadText: await closedThread(api, caseId) };
}

/**
 * The thread once the workflow's closing line is in it. The last step moves the case to its final
 * status a moment before the execution ends and that line is posted.
 */
function closedThread(api: SandboxApi, caseId: string): Promise<string> {
  return waitFor(`the closing line of ${caseId}'s workflow`, async () => {
    const text = await threadText(api, caseId);
    return /Workflow (finished|failed|ended|timed out|aborted)/.test(text) ? text : undefined;
  });
}

/** Every reply of the case's thread, flattened to text (the thread is under the case card). */
export async function threadText(api: SandboxApi, caseId: string): Promise<string> {
  for (const channel of ['security-alerts', 'ir-commanders']) {
    const root = (await api.messages(channel)).messages.find(
      (m) => SandboxApi.textOf(m).includes(caseId) && m.replies.length > 0,
    );
    if (root) return root.replies.map((r) => SandboxApi.textOf(r)).join('\n');
  }
  return '';
}

/** The instance in `GET /api/cloud`. */
export async function cloudInstance(api: SandboxApi, target: Target): Promise<any> {
  const cloud = await api.get('/api/cloud');
  const region = cloud.accounts
    .find((a: any) => a.id === target.account)
    ?.regions.find((r: any) => r.region === target.region);
  return region?.instances.find((i: any) => i.instanceId === target.instanceId);
}

/** Snapshots in the forensics account made from this instance's volumes. */
export async function forensicsSnapshots(api: SandboxApi, instanceId: string): Promise<any[]> {
  const cloud = await api.get('/api/cloud');
  const all = cloud.accounts.flatMap((a: any) =>
    a.regions.flatMap((r: any) => r.snapshots.map((s: any) => ({ ...s, account: a.id }))),
  );
  const fromInstance = all.filter((s: any) => s.instanceId === instanceId).map((s: any) => s.snapshotId);
  return all.filter(
    (s: any) =>
      s.owner === '222222222222' &&
      (s.instanceId === instanceId ||
        fromInstance.includes(s.copiedFrom?.snapshotId) ||
        JSON.stringify(s.tags ?? {}).includes(instanceId)),
  );
}
