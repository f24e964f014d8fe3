import { assertComplete, processEvent } from '../bot/intake/service.js';

/** EventBridge: GuardDuty, Security Hub (imported, custom action) and EC2 tag changes become Slack cards. */
export async function handler(event: unknown): Promise<{ ok: true }> {
  assertComplete(await processEvent(event));
  return { ok: true };
}
