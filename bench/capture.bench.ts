/**
 * Memory capture pipeline (issue 15 "Performance"): the real capture script under bash, a fake AVML writing
 * the image from RAM (/dev/shm, in the page cache), Debian's AWS CLI streaming it to the simulated S3 served
 * over TLS on loopback — the endpoint the tests use, which checks SigV4 and the payload hash of every part and
 * evaluates the bucket policy, so it does more work per byte than a plain S3-protocol server.
 *
 * - Throughput: the image's bytes over the script's whole wall time (CLI start-up, the AVML fetch and the
 *   context upload included), as a ratio to `cat image | sha256sum` of the same bytes (the floor: reading and
 *   hashing them once); target ≥ 0.5.
 * - The uploader's peak RSS (the `aws` processes, sampled with ps every 50 ms) for a 1 GiB and a 16 GiB
 *   expected size; target ≤ 400 MiB. The CLI's part size and buffers follow the expected size, not the bytes
 *   sent, so the 16 GiB case streams 2 GiB while /proc/iomem reports 16 GiB (the twin keeps what it receives
 *   in memory, and a Node buffer holds at most 4 GiB).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { captureInstance } from '../test/integration/scripts/instance.js';
import type { BenchResult, Figure } from './types.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function wall(command: string, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e9)
        : reject(new Error(`${command} ${code}`)),
    );
  });
}

/**
 * Peak RSS (MiB) of the `aws` processes, sampled every 50 ms by a process of its own (reading /proc from
 * this one would steal the event loop from the S3 endpoint it also runs).
 */
function sampleUploaderRss() {
  const sampler = spawn(
    'bash',
    [
      '-c',
      'peak=0; trap \'echo $peak; exit 0\' TERM; while :; do for kb in $(ps -C aws -o rss= 2>/dev/null); do [ "$kb" -gt "$peak" ] && peak=$kb; done; sleep 0.05; done',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  sampler.stdout.on('data', (d) => (out += d));
  return () =>
    new Promise<number>((resolve) => {
      sampler.on('close', () => resolve(Number(out.trim() || 0) / 1024));
      sampler.kill('SIGTERM');
    });
}

async function measure(label: string, ramBytes: number, iomemBytes?: number) {
  const vm = await captureInstance({ ramBytes, iomemBytes, base: '/dev/shm' });
  try {
    const image = join(vm.dir, 'image.lime');
    const floor = await wall('bash', ['-c', `cat '${image}' | sha256sum >/dev/null`]);
    // The uploader alone, as the script runs it (its own ceiling against this endpoint on this machine).
    const cliStarted = process.hrtime.bigint();
    const alone = await vm.run({}, {}, undefined, [
      'bash',
      '-c',
      'cat "$FAKE_IMAGE" | aws --only-show-errors s3 cp - "s3://$SSM_Bucket/$SSM_Key" --region "$SSM_Region" --sse aws:kms --sse-kms-key-id "$SSM_KmsKeyId" --expected-size $(stat -c %s "$FAKE_IMAGE")',
      '_',
    ]);
    const cliSeconds = Number(process.hrtime.bigint() - cliStarted) / 1e9;
    if (alone.code !== 0) throw new Error(`${label}: aws s3 cp - alone failed: ${alone.stderr.trim()}`);
    vm.org.world.buckets.get(vm.evidenceBucket)?.objects.clear();
    const stop = sampleUploaderRss();
    const started = process.hrtime.bigint();
    const run = await vm.run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = await stop();
    if (run.code !== 0 || run.result?.sha256 !== vm.imageSha256)
      throw new Error(`${label}: the capture failed (${run.code}): ${run.stderr.trim()}`);
    vm.org.world.buckets.get(vm.evidenceBucket)?.objects.clear();
    return { floor, cliSeconds, seconds, rss, bytes: vm.imageBytes };
  } finally {
    await vm.stop();
  }
}

export default async function run(): Promise<BenchResult> {
  const one = await measure('1 GiB', GIB);
  const large = await measure('16 GiB expected', 2 * GIB, 16 * GIB);
  const throughput = one.bytes / MIB / one.seconds;
  const floorThroughput = one.bytes / MIB / one.floor;
  const figures: Figure[] = [
    { name: '1 GiB: cat | sha256sum (floor)', value: floorThroughput, unit: 'MiB/s' },
    {
      name: '1 GiB: cat | aws s3 cp - alone (the uploader here)',
      value: one.bytes / MIB / one.cliSeconds,
      unit: 'MiB/s',
    },
    { name: '1 GiB: capture script, end to end', value: throughput, unit: 'MiB/s' },
    { name: '1 GiB: script / uploader alone', value: one.cliSeconds / one.seconds, unit: '×' },
    { name: '1 GiB: ratio to the floor', value: throughput / floorThroughput, unit: '×', target: '≥ 0.5' },
    { name: '1 GiB expected: uploader peak RSS', value: one.rss, unit: 'MiB', target: '≤ 400 MiB' },
    { name: '16 GiB expected: uploader peak RSS', value: large.rss, unit: 'MiB', target: '≤ 400 MiB' },
    {
      name: '16 GiB expected: ratio to the floor (2 GiB sent)',
      value: large.bytes / large.seconds / (large.bytes / large.floor),
      unit: '×',
    },
  ];
  return {
    name: 'capture',
    figures,
    notes: [
      'Real script, Debian AWS CLI, fake AVML reading the image from /dev/shm; the simulated S3 over TLS on loopback verifies every signature and part hash.',
      'The 16 GiB case streams 2 GiB with /proc/iomem reporting 16 GiB: the CLI sizes its parts and buffers by the expected size.',
    ],
  };
}
