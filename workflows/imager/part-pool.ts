/**
 * The part buffers of one chunk: at most `size`, each `partBytes` long and living in a
 * `SharedArrayBuffer` (the hash thread reads it where it is, while the upload sends it). A buffer is
 * handed out zero-filled, since a block the snapshot never wrote must read as zeros. Reusing buffers keeps
 * the chunk's memory at `size × partBytes` whatever the volume's size, without waiting for the garbage
 * collector to give back parts of up to 112 MiB.
 */
export class PartPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  private made = 0;
  private aborted: Error | undefined;

  constructor(
    readonly size: number,
    private readonly partBytes: number,
  ) {
    if (!(size >= 1)) throw new RangeError(`A part pool holds at least one part, not ${size}`);
  }

  /** A zeroed buffer, once one is free (rejects once the pool is aborted). */
  acquire(): Promise<Buffer> {
    if (this.aborted) return Promise.reject(this.aborted);
    const buffer = this.free.pop();
    if (buffer) return Promise.resolve(buffer.fill(0));
    if (this.made < this.size) {
      this.made += 1;
      return Promise.resolve(Buffer.from(new SharedArrayBuffer(this.partBytes)));
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Gives `buffer` back: the part it held is hashed and uploaded. */
  release(buffer: Buffer): void {
    const next = this.waiting.shift();
    if (next) next.resolve(buffer.fill(0));
    else this.free.push(buffer);
  }

  /** Fails every wait and every later `acquire` with `error` (the chunk has failed). */
  abort(error: Error): void {
    this.aborted ??= error;
    for (const w of this.waiting.splice(0)) w.reject(this.aborted);
  }
}
