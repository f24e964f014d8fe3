import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashThreadFailedError } from '../../../workflows/imager/errors.js';
import { HashThread } from '../../../workflows/imager/hash-thread.js';
import { ResumableSha256 } from '../../../workflows/imager/hasher.js';
import { PartPool } from '../../../workflows/imager/part-pool.js';

const MIB = 1024 * 1024;

/** A part as the imager hands it over: bytes in a SharedArrayBuffer. */
function sharedPart(bytes: number, fill: number): Buffer {
  const part = Buffer.from(new SharedArrayBuffer(bytes));
  for (let i = 0; i < bytes; i += 4096) part[i] = (fill + i / 4096) & 0xff;
  return part;
}

describe('Function: HashThread (the image hash on a worker thread)', () => {
  it('hashes parts in the order given, and its state resumes in the in-thread hash and back', async () => {
    // Prepare
    const a = sharedPart(3 * MIB, 1);
    const b = sharedPart(5 * MIB + 17, 2);
    const c = sharedPart(2 * MIB, 3);
    const whole = createHash('sha256').update(a).update(b).update(c).digest('hex');

    // Act: a thread hashes a and b (posted at once), saves; the in-thread hash resumes from it, saves
    // after c; a fresh thread resumes from that and ends the hash
    const first = await HashThread.start();
    await Promise.all([first.update(a), first.update(b)]);
    const afterB = await first.save();
    await first.close();
    const inThread = await ResumableSha256.resume(afterB);
    inThread.update(c);
    const afterC = inThread.save();
    const last = await HashThread.start(afterC);
    const digest = await last.digest();
    await last.close();

    // Assess
    expect(digest).toBe(whole);
  });

  it('fails what is waiting and everything after with HashThreadFailedError when the thread dies', async () => {
    // Prepare
    const thread = await HashThread.start();
    const parts = Array.from({ length: 8 }, (_, i) => sharedPart(8 * MIB, i));

    // Act: the thread is ended (as a crash or an out-of-memory kill ends it) after its first part
    const updates = parts.map((p) =>
      thread.update(p).then(
        () => 'hashed',
        (e: Error) => e,
      ),
    );
    await updates[0];
    await thread.worker.terminate();
    const results = await Promise.all(updates);

    // Assess: no part after the death counts as hashed, and neither a state nor a digest comes out
    expect(results[0]).toBe('hashed');
    const firstFailed = results.findIndex((r) => r !== 'hashed');
    expect(firstFailed).toBeGreaterThan(0);
    for (const r of results.slice(firstFailed)) expect(r).toBeInstanceOf(HashThreadFailedError);
    const save = await thread.save().catch((e: Error) => e);
    const digest = await thread.digest().catch((e: Error) => e);
    expect(save).toBeInstanceOf(HashThreadFailedError);
    expect((save as Error).message).toMatch(/exited \(code 1\)/);
    expect(digest).toBeInstanceOf(HashThreadFailedError);
    await thread.close();
  });

  it('refuses a state it cannot load instead of starting a hash from the wrong place', async () => {
    const error = await HashThread.start(Buffer.from('not a hash-wasm state').toString('base64')).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(HashThreadFailedError);
  });

  it('takes only parts in shared memory (nothing is copied to the thread)', async () => {
    const thread = await HashThread.start();
    expect(() => thread.update(Buffer.alloc(16))).toThrow(/SharedArrayBuffer/);
    await thread.close();
  });
});

describe('Function: PartPool', () => {
  it('hands out at most its size, zero-filled again when reused, and fails waiters once aborted', async () => {
    // Prepare
    const pool = new PartPool(2, MIB);
    const one = await pool.acquire();
    const two = await pool.acquire();
    one.fill(7);

    // Act: a third waits until one is released
    let third: Buffer | undefined;
    const waiting = pool.acquire().then((b) => {
      third = b;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBeUndefined();
    pool.release(one);
    await waiting;

    // Assess
    expect(third!.buffer).toBe(one.buffer);
    expect(third!.every((byte) => byte === 0)).toBe(true);
    expect(third!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const blocked = pool.acquire();
    pool.abort(new Error('chunk failed'));
    await expect(blocked).rejects.toThrow('chunk failed');
    await expect(pool.acquire()).rejects.toThrow('chunk failed');
    expect(two.length).toBe(MIB);
  });
});
