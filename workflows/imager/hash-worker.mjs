/**
 * The whole image's resumable SHA-256 on a thread of its own (`hash-thread.ts` starts it): the imager's
 * main thread reads, verifies and uploads parts while this one hashes them, so an image's wall time is the
 * slower of the two rather than their sum. hash-wasm, as `hasher.ts` (Node's own hash cannot save its
 * state); states are the same bytes, base64, so a job saved by either resumes in the other.
 *
 * Plain JavaScript on purpose: a worker thread is a fresh Node with no TypeScript loader (tsx is a
 * development tool; vitest transforms only its own imports), and the steps bundle builds it as an entry of
 * its own (`deploy/esbuild.ts`).
 *
 * Messages, in order (the port delivers them in the order posted, so parts are hashed in block order):
 * `{id, op: 'update', buffer: SharedArrayBuffer, offset, length}` → `{id}`; `{id, op: 'save'}` →
 * `{id, value}` (the state, base64); `{id, op: 'digest'}` → `{id, value}` (hex, ends the hash). A failure
 * answers `{id, error}`; once one has failed the hash is not trusted, and every later message fails too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSHA256 } from 'hash-wasm';

const port = parentPort;
if (!port) throw new Error('hash-worker.mjs runs as a worker thread (see hash-thread.ts)');

const hasher = await createSHA256();
hasher.init();
if (workerData?.state) hasher.load(Buffer.from(workerData.state, 'base64'));
/** @type {string | undefined} */
let broken;

port.on('message', (message) => {
  const { id, op } = message;
  if (broken) {
    port.postMessage({ id, error: `an earlier message failed (${broken}): the hash is not trusted` });
    return;
  }
  try {
    if (op === 'update') {
      hasher.update(new Uint8Array(message.buffer, message.offset, message.length));
      port.postMessage({ id });
    } else if (op === 'save') port.postMessage({ id, value: Buffer.from(hasher.save()).toString('base64') });
    else if (op === 'digest') port.postMessage({ id, value: hasher.digest('hex') });
    else throw new Error(`unknown operation ${op}`);
  } catch (error) {
    broken = error instanceof Error ? error.message : String(error);
    port.postMessage({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
port.postMessage({ ready: true });
