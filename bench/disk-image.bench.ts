/**
 * Disk imaging (issue 11 "Performance"): a 4 GiB snapshot, every block written, imaged through the
 * simulated EBS direct APIs with 50 ms per request and their 1,000 GetSnapshotBlock/s per-snapshot limit
 * enforced, on the organization's virtual clock (as the containment bench); then a 64 GiB snapshot with
 * half its blocks written, to show that requests and cost follow the written blocks, not the size.
 *
 * The imager is the real one (`workflows/imager/image-chunk.ts`: lister, paced and retried fetches,
 * checksum checks, resumable SHA-256, multipart upload, per-block index), run chunk after chunk as the
 * Step Functions loop runs it. The S3 side is a sink that hashes the parts it receives in order and keeps
 * nothing (the simulated S3 would hold the whole image in this process's memory, which is not what the RSS
 * figure is about); the sink's hash must equal the imager's.
 *
 * Throughput is in simulated time (the API's latency and pacing); the hashing's own CPU cost is not in
 * it, so it is reported beside it as a wall-clock rate: on this machine the WebAssembly SHA-256 (needed to
 * save and resume the hash state) is slower than the API's 500 MiB/s, and would bound a real run.
 */
import { createHash } from 'node:crypto';
import { EBSClient } from '@aws-sdk/client-ebs';
import type { S3Client } from '@aws-sdk/client-s3';
import { createAwsClient } from '../bot/core/aws-clients.js';
import { SimulatedOrganization } from '../sandbox/aws/index.js';
import { syntheticContent } from '../sandbox/aws/volume-content.js';
import type { ImagerClock } from '../workflows/imager/clock.js';
import { EBS_BLOCK_BYTES, imageChunk, imageSummary, startImage } from '../workflows/imager/image-chunk.js';
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
  let job = await startImage(sink.client, {
    snapshotId,
    volumeSizeGiB: sizeGiB,
    bucket: 'bench',
    key: 'bench.raw',
  });
  while (!job.done) job = await imageChunk(job, { ebs, s3: sink.client, clock });
  const simulatedS = (org.clock.simulatedMs - simStart) / 1000;
  const wallS = (performance.now() - wallStart) / 1000;
  if (job.sha256 !== sink.digest() || sink.bytes() !== sizeGiB * GIB)
    throw new Error(`The image of ${sizeGiB} GiB does not match what the sink received`);
  const throttled = org.calls.filter((c) => c.outcome === 'RequestThrottledException').length;
  return { job, simulatedS, wallS, throttled, summary: imageSummary(job) };
}

/** The resumable hash's own rate on this machine (MiB/s), beside Node's native SHA-256. */
async function hashRates() {
  const buffer = Buffer.alloc(64 * MIB, 7);
  const wasm = await ResumableSha256.resume();
  let t = performance.now();
  for (let i = 0; i < 8; i++) wasm.update(buffer);
  wasm.digest();
  const wasmRate = 512 / ((performance.now() - t) / 1000);
  const native = createHash('sha256');
  t = performance.now();
  for (let i = 0; i < 8; i++) native.update(buffer);
  native.digest();
  return { wasmRate, nativeRate: 512 / ((performance.now() - t) / 1000) };
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
      { name: '4 GiB: wall time (hashing, copying)', value: small.wallS, unit: 's' },
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
      { name: '64 GiB, 50 % written: EBS direct API cost', value: large.summary.costUsd, unit: 'USD' },
      { name: 'peak RSS after 64 GiB', value: rssLarge, unit: 'MiB', target: '≤ 512 MiB' },
      { name: 'resumable SHA-256 (hash-wasm), one core', value: rates.wasmRate, unit: 'MiB/s' },
      { name: "Node's native SHA-256 (not resumable), one core", value: rates.nativeRate, unit: 'MiB/s' },
    ];
    return {
      name: 'disk-image',
      figures,
      notes: [
        `EBS direct APIs simulated with ${LATENCY_MS} ms per request and the per-snapshot limit enforced; virtual clock (no sleeping).`,
        'Throughput counts simulated time only: the hash CPU is the wall-time figure. A real run is bound by the slower of the API (500 MiB/s) and the resumable hash.',
        'S3 is a sink that hashes the parts in order (must equal the imager hash); nothing is stored.',
      ],
    };
  } finally {
    org.uninstall();
  }
}
