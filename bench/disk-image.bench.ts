/**
 * Disk imaging (issue 11 "Performance"): a 4 GiB snapshot, every block written, imaged through the
 * simulated EBS direct APIs with 50 ms per request and their 1,000 GetSnapshotBlock/s per-snapshot limit
 * enforced, on the organization's virtual clock (as the containment bench); then a 64 GiB snapshot with
 * half its blocks written, to show that requests and cost follow the written blocks, not the size.
 *
 * The imager is the real one (`workflows/imager/image-chunk.ts`: lister, paced and retried fetches,
 * checksum checks, resumable SHA-256, multipart upload, per-block index), run chunk after chunk as the
 * Step Functions loop runs it. The S3 side is a sink that hashes the parts it receives in part order and keeps
 * nothing (the simulated S3 would hold the whole image in this process's memory, which is not what the RSS
 * figure is about); the sink's hash must equal the imager's.
 *
 * Throughput is in simulated time (the API's latency and pacing); the CPU is not in it, so the wall time,
 * the CPU time and each thread's busy time are reported beside it, with the resumable hash's own rate: the
 * WebAssembly SHA-256 (needed to save and resume the hash state) runs on a thread of its own, and on this
 * machine is slower than the API's 500 MiB/s, so it bounds a real run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { EBSClient } from '@aws-sdk/client-ebs';
import type { S3Client } from '@aws-sdk/client-s3';
import { createAwsClient } from '../bot/core/aws-clients.js';
import { SimulatedOrganization } from '../sandbox/aws/index.js';
import { syntheticContent } from '../sandbox/aws/volume-content.js';
import type { ImagerClock } from '../workflows/imager/clock.js';
import { EBS_BLOCK_BYTES, imageChunk, imageSummary, startImage } from '../workflows/imager/image-chunk.js';
import type { HashThread } from '../workflows/imager/hash-thread.js';
import { ResumableSha256 } from '../workflows/imager/hasher.js';
import type { BenchResult, Figure } from './types.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const LATENCY_MS = 50;

/** An S3 that checks and forgets: parts hashed in order, other objects kept (they are small). */
function sinkS3() {
  const hash = createHash('sha256');
  let nextPart = 1;
  let bytes = 0;
  const early = new Map<number, Buffer>();
  const objects = new Map<string, string>();
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const input = command.input;
      switch (command.constructor.name) {
        case 'CreateMultipartUploadCommand':
          return { UploadId: 'bench-upload' };
        case 'UploadPartCommand': {
          // Parts arrive up to a few out of order (several upload at once): one ahead of the next to hash
          // is copied (the imager reuses its buffer once the upload answers) and hashed in its turn.
          const number = input.PartNumber as number;
          if (number < nextPart || early.has(number)) throw new Error(`part ${number} sent twice`);
          const body = input.Body as Buffer;
          early.set(number, number === nextPart ? body : Buffer.from(body));
          for (let part = early.get(nextPart); part; part = early.get(nextPart)) {
            early.delete(nextPart);
            hash.update(part);
            bytes += part.length;
            nextPart += 1;
          }
          return { ETag: `"part-${number}"` };
        }
        case 'PutObjectCommand':
          objects.set(input.Key as string, String(input.Body));
          return { VersionId: 'v1' };
        case 'GetObjectCommand': {
          const body = objects.get(input.Key as string) ?? '';
          return { Body: { transformToString: async () => body } };
        }
        case 'CompleteMultipartUploadCommand':
          return { VersionId: 'bench-version' };
        default:
          throw new Error(`${command.constructor.name} is not in the bench sink`);
      }
    },
  };
  return { client: client as unknown as S3Client, digest: () => hash.digest('hex'), bytes: () => bytes };
}

async function imageOnce(org: SimulatedOrganization, sizeGiB: number, writtenPercent: number) {
  const r = org.world.region(org.settings.securityAccount, 'us-east-1');
  const snapshotId = org.world.id('snap');
  r.snapshots.set(snapshotId, {
    snapshotId,
    ownerId: org.settings.securityAccount,
    region: 'us-east-1',
    volumeId: 'vol-ffffffff',
    volumeSize: sizeGiB,
    state: 'completed',
    progress: 100,
    pollsLeft: 0,
    failing: false,
    encrypted: false,
    description: 'bench',
    startTime: new Date(),
    tags: {},
    sharedWith: [],
    deleted: false,
    content: syntheticContent((sizeGiB * GIB) / EBS_BLOCK_BYTES, writtenPercent),
  });
  const clock: ImagerClock = { now: () => org.clock.simulatedMs, sleep: (ms) => org.clock.sleep(ms) };
  const ebs = createAwsClient(EBSClient, { region: 'us-east-1', maxAttempts: 1 });
  const sink = sinkS3();
  org.setFaults({ ebs: { latencyMs: LATENCY_MS } });
  org.resetCalls();
  const simStart = org.clock.simulatedMs;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const mainStart = threadCpuS(String(process.pid));
  // The hash thread's own CPU time, chunk by chunk: its thread is the one that appeared when the chunk
  // started it, and its count is read at each answer it sends (the last, the state or the digest, follows
  // its last part; once it has exited, /proc no longer shows it).
  let hashCpuS = 0;
  let threadsBefore = new Set<string>();
  const onHashThread = (thread: HashThread) => {
    const mine = readdirSync('/proc/self/task').filter((t) => !threadsBefore.has(t));
    let seen = 0;
    thread.worker.on('message', () => {
      const now = mine.reduce((sum, t) => sum + threadCpuS(t, 0), 0);
      hashCpuS += Math.max(0, now - seen);
      seen = Math.max(seen, now);
    });
  };
  let job = await startImage(sink.client, {
    snapshotId,
    volumeSizeGiB: sizeGiB,
    bucket: 'bench',
    key: 'bench.raw',
  });
  while (!job.done) {
    threadsBefore = new Set(readdirSync('/proc/self/task'));
    job = await imageChunk(job, { ebs, s3: sink.client, clock, onHashThread });
  }
  const simulatedS = (org.clock.simulatedMs - simStart) / 1000;
  const wallS = (performance.now() - wallStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const mainCpuS = threadCpuS(String(process.pid)) - mainStart;
  if (job.sha256 !== sink.digest() || sink.bytes() !== sizeGiB * GIB)
    throw new Error(`The image of ${sizeGiB} GiB does not match what the sink received`);
  const throttled = org.calls.filter((c) => c.outcome === 'RequestThrottledException').length;
  return { job, simulatedS, wallS, cpuS, mainCpuS, hashCpuS, throttled, summary: imageSummary(job) };
}

/** CPU seconds (user + system) of one thread of this process so far (Linux: /proc, 100 ticks a second). */
function threadCpuS(tid: string, ifGone?: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  } catch (error) {
    // a thread that has exited has no entry any more: the caller says what that counts as
    if (ifGone !== undefined && (error as { code?: string }).code === 'ENOENT') return ifGone;
    throw error;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The resumable hash's own rate on this machine (MiB/s), beside Node's native SHA-256: per second of this
 * thread's CPU (what one core does) and per second of wall time (what it got of cores shared with other work).
 */
async function hashRates() {
  const buffer = Buffer.alloc(64 * MIB, 7);
  const rate = (update: (b: Buffer) => void, end: () => void) => {
    const cpu = threadCpuS(String(process.pid));
    const wall = performance.now();
    for (let i = 0; i < 16; i++) update(buffer);
    end();
    return {
      cpu: 1024 / (threadCpuS(String(process.pid)) - cpu),
      wall: 1024 / ((performance.now() - wall) / 1000),
    };
  };
  const wasm = await ResumableSha256.resume();
  const native = createHash('sha256');
  return {
    wasm: rate(
      (b) => wasm.update(b),
      () => wasm.digest(),
    ),
    native: rate(
      (b) => native.update(b),
      () => native.digest(),
    ),
  };
}

export default async function run(): Promise<BenchResult> {
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFORENSICSBENCH00';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret-not-real';
  const org = new SimulatedOrganization().seedDefault().install();
  try {
    const small = await imageOnce(org, 4, 100);
    const rssSmall = process.resourceUsage().maxRSS / 1024;
    const large = await imageOnce(org, 64, 50);
    const rssLarge = process.resourceUsage().maxRSS / 1024;
    const rates = await hashRates();
    const limitMiBps = (1000 * EBS_BLOCK_BYTES) / MIB;
    const mibps = (x: typeof small) => (x.job.writtenBlocks * EBS_BLOCK_BYTES) / MIB / x.simulatedS;
    const figures: Figure[] = [
      { name: '4 GiB: read throughput, simulated', value: mibps(small), unit: 'MiB/s' },
      {
        name: '4 GiB: share of the 1,000 blocks/s limit (500 MiB/s)',
        value: (mibps(small) / limitMiBps) * 100,
        unit: '%',
        target: '≥ 80 %',
      },
      { name: '4 GiB: simulated time', value: small.simulatedS, unit: 's' },
      { name: '4 GiB: wall time', value: small.wallS, unit: 's' },
      { name: '4 GiB: CPU time, all threads', value: small.cpuS, unit: 's' },
      {
        name: '4 GiB: main thread CPU (reads, checks, uploads; the simulated API and S3 too)',
        value: small.mainCpuS,
        unit: 's',
      },
      { name: '4 GiB: hash thread CPU', value: small.hashCpuS, unit: 's' },
      {
        name: '4 GiB: image throughput with a core per thread (the busier thread’s CPU)',
        value: 4096 / Math.max(small.mainCpuS, small.hashCpuS),
        unit: 'MiB/s',
      },
      { name: '4 GiB: GetSnapshotBlock requests', value: small.job.getRequests, unit: 'requests' },
      { name: '4 GiB: throttled by the API', value: small.throttled, unit: 'requests' },
      { name: '4 GiB: EBS direct API cost', value: small.summary.costUsd, unit: 'USD' },
      { name: 'peak RSS after 4 GiB', value: rssSmall, unit: 'MiB', target: '≤ 512 MiB' },
      { name: '64 GiB, 50 % written: written blocks', value: large.job.writtenBlocks, unit: 'blocks' },
      {
        name: '64 GiB, 50 % written: GetSnapshotBlock requests',
        value: large.job.getRequests,
        unit: 'requests',
      },
      { name: '64 GiB, 50 % written: simulated time', value: large.simulatedS, unit: 's' },
      { name: '64 GiB, 50 % written: read throughput, simulated', value: mibps(large), unit: 'MiB/s' },
      {
        name: '64 GiB, 50 % written: image throughput, simulated',
        value: (64 * 1024) / large.simulatedS,
        unit: 'MiB/s',
      },
      { name: '64 GiB, 50 % written: wall time', value: large.wallS, unit: 's' },
      { name: '64 GiB, 50 % written: CPU time, all threads', value: large.cpuS, unit: 's' },
      { name: '64 GiB, 50 % written: main thread CPU', value: large.mainCpuS, unit: 's' },
      { name: '64 GiB, 50 % written: hash thread CPU', value: large.hashCpuS, unit: 's' },
      { name: '64 GiB, 50 % written: EBS direct API cost', value: large.summary.costUsd, unit: 'USD' },
      { name: 'peak RSS after 64 GiB', value: rssLarge, unit: 'MiB', target: '≤ 512 MiB' },
      {
        name: 'resumable SHA-256 (hash-wasm), per CPU second (one core)',
        value: rates.wasm.cpu,
        unit: 'MiB/s',
      },
      { name: 'resumable SHA-256 (hash-wasm), per wall second here', value: rates.wasm.wall, unit: 'MiB/s' },
      {
        name: "Node's native SHA-256 (cannot save its state), per CPU second",
        value: rates.native.cpu,
        unit: 'MiB/s',
      },
    ];
    return {
      name: 'disk-image',
      figures,
      notes: [
        `EBS direct APIs simulated with ${LATENCY_MS} ms per request and the per-snapshot limit enforced; virtual clock (no sleeping).`,
        'Throughput counts simulated time only (the API latency and pacing); the CPU is in the wall time. The hash runs on its own thread beside the main one: with a core each, an image takes the busier thread’s CPU time, not the sum (the "core per thread" figure); on cores shared with other work the wall time is more. A real image is bound by the slowest of the API (500 MiB/s per snapshot), the resumable hash (its rate on one core, below) and the uploads.',
        'On the virtual clock, reads that wait for the hash thread’s buffers start one part at a time, so their 50 ms no longer overlap: when the hash is the bound (the 64 GiB image hashes 64 GiB for 32 GiB read), the simulated time shows part of the hash wait as latency.',
        'S3 is a sink that hashes the parts in part order (must equal the imager hash); nothing is stored. The simulated API and the sink run on the main thread, so its busy time counts work that AWS does elsewhere.',
      ],
    };
  } finally {
    org.uninstall();
  }
}
