import { Worker } from 'node:worker_threads';
import { HashThreadFailedError } from './errors.js';

/**
 * The image's resumable SHA-256 (`hash-worker.mjs`, hash-wasm) on a worker thread, so hashing runs beside
 * the main thread's reads, checksum checks and uploads instead of between them. Parts are passed by
 * reference (their bytes live in a `SharedArrayBuffer`, nothing is copied): the caller must not change a
 * part until its `update` has resolved. Updates are hashed in the order they are made.
 *
 * A thread that dies (crash, out of memory, terminated) or fails an operation fails every operation still
 * waiting and every later one with `HashThreadFailedError`: a chunk whose hash thread died has no hash and
 * no resume state, and is run again from the state it started with.
 */
export class HashThread {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (value?: string) => void; reject: (e: Error) => void }
  >();
  private failure: HashThreadFailedError | undefined;
  private closed = false;

  private constructor(readonly worker: Worker) {
    worker.on('message', (message: { id?: number; value?: string; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) {
        const error = new HashThreadFailedError(`The image's hash thread failed: ${message.error}`);
        this.fail(error);
        waiter.reject(error);
      } else waiter.resolve(message.value);
    });
    worker.on('error', (error) =>
      this.fail(
        new HashThreadFailedError(`The image's hash thread crashed: ${error.message}`, { cause: error }),
      ),
    );
    worker.on('exit', (code) => {
      if (!this.closed)
        this.fail(
          new HashThreadFailedError(
            `The image's hash thread exited (code ${code}) with ${this.waiting.size} operations unanswered`,
          ),
        );
    });
  }

  /** A thread hashing from `state` (a `save()` of this class or of `ResumableSha256`), or from the start. */
  static async start(state?: string): Promise<HashThread> {
    // No flags of the parent's (a TypeScript loader, `--input-type`): the worker is plain JavaScript.
    const worker = new Worker(new URL('./hash-worker.mjs', import.meta.url), {
      workerData: { state },
      execArgv: [],
    });
    const thread = new HashThread(worker);
    await new Promise<void>((resolve, reject) => {
      const ready = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        worker.off('message', ready);
        worker.off('error', early);
        worker.off('exit', early);
        resolve();
      };
      const early = () =>
        reject(thread.failure ?? new HashThreadFailedError('The hash thread did not start'));
      worker.on('message', ready);
      worker.once('error', early);
      worker.once('exit', early);
    }).catch(async (error: Error) => {
      await thread.close();
      throw error;
    });
    return thread;
  }

  /** Hashes `part` after every earlier update; resolves once it is hashed (then the part may be reused). */
  update(part: Buffer): Promise<void> {
    if (!(part.buffer instanceof SharedArrayBuffer))
      throw new TypeError('A part handed to the hash thread must live in a SharedArrayBuffer');
    return this.call({
      op: 'update',
      buffer: part.buffer,
      offset: part.byteOffset,
      length: part.length,
    }).then(() => undefined);
  }

  /** The state to resume from, after every update made so far. */
  async save(): Promise<string> {
    return (await this.call({ op: 'save' }))!;
  }

  /** The hex digest after every update made so far (ends the hash). */
  async digest(): Promise<string> {
    return (await this.call({ op: 'digest' }))!;
  }

  /** Ends the thread; operations still waiting fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new HashThreadFailedError("The image's hash thread was closed"));
    await this.worker.terminate();
  }

  private call(message: Record<string, unknown>): Promise<string | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<string | undefined>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  private fail(error: HashThreadFailedError): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }
}
