import { defineSettings, env } from '../core/config.js';

/**
 * Where the case lines go. `OUTBOX_QUEUE_URL` (the deploy's FIFO queue; the sandbox's simulated one) turns
 * the outbox on: steps and the progress handler store their lines and ring the queue, and the drainer
 * (handlers/outbox.ts) posts them. Without it lines are posted at once, awaited (unit tests, the
 * benchmarks' "without outbox" baseline); the deploy always sets it.
 */
export const outboxSettings = defineSettings('Outbox', {
  // Not checked as a URL here: the SQS client refuses a malformed one on the first send, loudly.
  OUTBOX_QUEUE_URL: env.optional(),
});

/** Whether lines go through the outbox. */
export function outboxEnabled(): boolean {
  return outboxSettings().OUTBOX_QUEUE_URL !== undefined;
}
