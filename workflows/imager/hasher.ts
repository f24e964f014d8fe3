import { createSHA256, type IHasher } from 'hash-wasm';

/**
 * The whole image's SHA-256, fed in block order, whose internal state can be saved and loaded: an image
 * made over several invocations (one chunk each) or resumed after a crash continues the same hash
 * without reading again what was hashed before. Node's own `crypto` hash cannot export its state, so
 * this is hash-wasm's SHA-256 (the same digest; about 500 MiB/s per CPU second here, see the benchmark).
 * The imager runs the same hash on a worker thread (`hash-thread.ts`, same state format); this in-thread
 * form is for reading and checking states.
 */
export class ResumableSha256 {
  private constructor(private readonly hasher: IHasher) {}

  /** A fresh hash, or the one `state` (from `save()`) describes. */
  static async resume(state?: string): Promise<ResumableSha256> {
    const hasher = await createSHA256();
    hasher.init();
    if (state) hasher.load(Buffer.from(state, 'base64'));
    return new ResumableSha256(hasher);
  }

  update(data: Uint8Array): void {
    this.hasher.update(data);
  }

  /** The state to resume from (base64, about 150 characters). */
  save(): string {
    return Buffer.from(this.hasher.save()).toString('base64');
  }

  /** The hex digest (ends the hash). */
  digest(): string {
    return this.hasher.digest('hex');
  }
}
