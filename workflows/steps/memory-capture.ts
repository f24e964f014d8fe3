import { randomBytes } from 'node:crypto';
import { DescribeInstanceInformationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { homeRegion } from '../../bot/core/aws-clients.js';
import type { MemoryPlan } from '../../bot/core/case-model.js';
import { recordMemoryPlan, requireCase } from '../../bot/core/case-store.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import { member } from '../aws/member.js';
import { MemoryCaptureFailedError, SsmAgentOfflineError, StepNotConfiguredError } from '../errors.js';
import { type ForensicsSettings, forensicsSettings, kmsKeyForRegion, regionEntries } from '../settings.js';
import { describeInstance } from './instance.js';
import { restoreIam } from './release.js';
import { useProfile } from './restrict-iam.js';
import { lastLine, pollCommand, resultLine } from './ssm-command.js';
import { advanceCase, defineStep, scopeOf, TargetInput } from './step.js';

/** S3 keys the steps write; checked before they reach a command. */
export const EVIDENCE_KEY_RE = /^CASE-\d{8}-[0-9A-HJKMNP-TV-Z]{4}\/[a-z-]+\/[A-Za-z0-9._-]{1,200}$/;

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/);

/** The capture script's last line (memory capture contract, shared/DESIGN.md). */
export const CaptureResultSchema = z.looseObject({
  sha256: SHA256,
  bytes: z.number().int().positive(),
  kernel: z.string().max(200),
  arch: z.enum(['x86_64', 'aarch64']),
  tool: z.string().max(100),
  toolSha256: SHA256,
  toolVersion: z.string().max(200).optional(),
  /** The AVML source used (`/proc/kcore`, `/dev/crash`, …) and the `/proc/version` banner. */
  source: z.string().max(200).optional(),
  banner: z.string().max(600).optional(),
  /**
   * What examination needs, uploaded beside the image (`<Key>.system.tar`: /proc/version, uname -m,
   * os-release, BTF, System.map, kallsyms), each file hashed; null when the image is complete but it was not
   * uploaded (exit 7).
   */
  system: z
    .object({
      key: z.string().regex(/^CASE-\d{8}-[0-9A-HJKMNP-TV-Z]{4}\/memory\/[A-Za-z0-9._-]{1,250}$/),
      sha256: SHA256,
      bytes: z.number().int().nonnegative(),
      files: z.array(
        z.object({ name: z.string().max(200), sha256: SHA256, bytes: z.number().int().nonnegative() }),
      ),
    })
    .nullable()
    .optional(),
  /** Not in the contract's line today; used when a script gives the upload's own VersionId. */
  versionId: z.string().max(1024).optional(),
});

/** Exit code of the script when the image is complete but its examination context was not uploaded. */
const IMAGE_WITHOUT_CONTEXT = 7;
export type CaptureResult = z.infer<typeof CaptureResultSchema>;

/** The poll state carried by the workflow between polls (never credentials: there are none). */
export const MemoryState = z.looseObject({
  commandId: z.string().regex(/^[0-9a-f-]{36}$/),
  bucket: z.string(),
  bucketRegion: z.string(),
  key: z.string().regex(EVIDENCE_KEY_RE),
  kmsKeyId: z.string(),
  arch: z.enum(['x86_64', 'aarch64']),
  avmlSha256: SHA256,
  polls: z.number().int().nonnegative(),
  maxPolls: z.number().int().positive(),
  pollSeconds: z.number().int().positive(),
  startedAt: z.string(),
  done: z.boolean(),
  /** The script's result line, once the command succeeded (verified by `verifyEvidence`). */
  result: CaptureResultSchema.optional(),
  finishedAt: z.string().optional(),
});
export type MemoryState = z.infer<typeof MemoryState>;

/** EC2's architecture name -> the name AVML's build and `uname -m` use. */
const ARCH: Record<string, 'x86_64' | 'aarch64'> = { x86_64: 'x86_64', arm64: 'aarch64' };

/** The evidence bucket for an instance in `region`: that region's, else the home one (`EVIDENCE_BUCKET`). */
export function evidenceBucketFor(settings: ForensicsSettings, region: string) {
  const regional = regionEntries(settings.EVIDENCE_BUCKETS).get(region);
  const homeBucketRegion = settings.EVIDENCE_BUCKET_REGION ?? homeRegion();
  if (regional) return { bucket: regional, bucketRegion: region, regional: true };
  return {
    bucket: settings.EVIDENCE_BUCKET,
    bucketRegion: homeBucketRegion,
    regional: homeBucketRegion === region,
  };
}

/**
 * The order of volatility for one case (also what the case workflow's `Plan.MemoryFirst` is). Memory goes
 * first — before any isolation — when the setting says so, when the VPC has no SSM/S3 endpoints (isolation
 * would cut the agent off), or when the instance's region has no evidence bucket: an S3 endpoint serves
 * only its own region's buckets, so once isolated the instance could not reach the home bucket.
 */
export function memoryPlan(
  settings: ForensicsSettings,
  input: { region: string; hasEndpoints: boolean; acquireMemory?: boolean },
): MemoryPlan {
  const target = evidenceBucketFor(settings, input.region);
  const order = settings.MEMORY_ORDER;
  const base = { order, ...target };
  if (input.acquireMemory === false)
    return { ...base, memoryFirst: false, reason: 'memory is not acquired in this case' };
  if (order === 'memory-first')
    return { ...base, memoryFirst: true, reason: 'MEMORY_ORDER=memory-first: memory before any isolation' };
  if (!input.hasEndpoints)
    return {
      ...base,
      memoryFirst: true,
      reason: 'the VPC has no SSM/S3 endpoints: isolating first would cut the SSM agent off',
    };
  if (!target.regional)
    return {
      ...base,
      memoryFirst: true,
      reason: `no evidence bucket in ${input.region} (EVIDENCE_BUCKETS): the VPC's S3 endpoint cannot reach ${target.bucket} in ${target.bucketRegion}, so memory is captured before isolation`,
    };
  return {
    ...base,
    memoryFirst: false,
    reason: `isolation first, memory through the VPC's SSM/S3 endpoints kept open, to ${target.bucket} in ${input.region}`,
  };
}

/** The tools prefix for a region (`TOOLS_URI`: one prefix, or `region=prefix` entries). */
function toolsUriFor(settings: ForensicsSettings, region: string): string {
  const setting = settings.TOOLS_URI;
  if (!setting)
    throw new StepNotConfiguredError('TOOLS_URI is missing: memory capture needs the AVML tools prefix');
  if (!setting.includes('=')) return setting;
  const uri = regionEntries(setting).get(region);
  if (!uri) throw new StepNotConfiguredError(`TOOLS_URI has no tools prefix for ${region}`);
  return uri;
}

function avmlSha256For(settings: ForensicsSettings, arch: 'x86_64' | 'aarch64'): string {
  const sha = arch === 'aarch64' ? settings.AVML_SHA256_AARCH64 : settings.AVML_SHA256_X86_64;
  const name = arch === 'aarch64' ? 'AVML_SHA256_AARCH64' : 'AVML_SHA256_X86_64';
  if (!sha) throw new StepNotConfiguredError(`${name} is missing: the ${arch} AVML cannot be checked`);
  return sha;
}

/**
 * Starts the memory capture: checks the SSM agent is online and the instance runs Linux, puts the
 * quarantine instance profile on it (the upload authenticates with that profile's own credentials, which
 * the evidence bucket's policy admits only under `CASE-…/memory/`), and runs the `ForensicsBot-CaptureMemory`
 * document with the contract's parameters: the AVML of the instance's architecture (from the tools prefix,
 * checked against its pinned SHA-256), the bucket of the instance's region and its key. No parameter is a
 * secret: anyone with `ssm:ListCommands` in the member account may read them all.
 */
export const startMemoryCapture = defineStep({
  name: 'startMemoryCapture',
  label: 'Memory capture started',
  input: TargetInput,
  async run(input): Promise<MemoryState> {
    const settings = forensicsSettings();
    const clients = member(scopeOf(input));
    await advanceCase(input.caseId, 'acquiring');
    const info = await clients.ssm().send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'InstanceIds', Values: [input.instanceId] }],
      }),
    );
    const agent = info.InstanceInformationList?.find((i) => i.InstanceId === input.instanceId);
    if (agent?.PingStatus !== 'Online')
      throw new SsmAgentOfflineError(
        `The SSM agent of ${input.instanceId} is ${agent?.PingStatus ?? 'not registered'}: memory cannot be captured`,
      );
    if (agent.PlatformType && agent.PlatformType !== 'Linux')
      throw new MemoryCaptureFailedError(
        `${input.instanceId} runs ${agent.PlatformType}; memory capture supports Linux`,
      );
    const instance = await describeInstance(clients, input.instanceId, input.account, input.region);
    const arch = ARCH[instance.Architecture ?? ''];
    if (!arch)
      throw new MemoryCaptureFailedError(
        `${input.instanceId} is ${instance.Architecture ?? 'of an unknown architecture'}; AVML is built for x86_64 and arm64`,
      );
    const avmlSha256 = avmlSha256For(settings, arch);
    const toolsUri = toolsUriFor(settings, input.region);

    const record = await requireCase(input.caseId);
    const endpoints = record.originalConfig?.endpoints;
    const plan = memoryPlan(settings, {
      region: input.region,
      hasEndpoints: !!endpoints && endpoints.ssm && endpoints.s3,
    });
    const keySetting = settings.EVIDENCE_KMS_KEY_ARN ? 'EVIDENCE_KMS_KEY_ARN' : 'FORENSICS_KMS_KEY_ARN';
    const kmsKeyId = kmsKeyForRegion(
      settings.EVIDENCE_KMS_KEY_ARN ?? settings.FORENSICS_KMS_KEY_ARN,
      plan.bucketRegion,
    );
    if (!kmsKeyId)
      throw new StepNotConfiguredError(
        `${keySetting} has no key for ${plan.bucketRegion}, where ${plan.bucket} is: the upload must name the evidence key`,
      );
    await recordMemoryPlan(input.caseId, plan);

    // The upload's credentials are the instance profile's: the quarantine one, whatever ran before.
    await useProfile(clients, input.instanceId, settings.QUARANTINE_PROFILE);

    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    // A fresh key per attempt: the upload is a conditional write (If-None-Match), so a retried start in
    // the same second must not collide with the attempt before it.
    const key = `${input.caseId}/memory/${input.instanceId}-${stamp}-${randomBytes(3).toString('hex')}.lime`;
    if (!EVIDENCE_KEY_RE.test(key)) throw new MemoryCaptureFailedError(`Refusing evidence key ${key}`);
    // Names as the SSM document declares them (memory capture contract, shared/DESIGN.md).
    const parameters: Record<string, string[]> = {
      CaseId: [input.caseId],
      Bucket: [plan.bucket],
      Key: [key],
      Region: [plan.bucketRegion],
      KmsKeyId: [kmsKeyId],
      ToolsUri: [toolsUri],
      AvmlSha256: [avmlSha256],
      // The script waits until the metadata service serves this profile's credentials (a swap propagates).
      InstanceProfile: [settings.QUARANTINE_PROFILE],
      Tool: ['auto'],
    };
    if (settings.LIME_MODULE_PREFIX) parameters.LimeModuleUri = [settings.LIME_MODULE_PREFIX];
    const sent = await clients.ssm().send(
      new SendCommandCommand({
        DocumentName: settings.MEMORY_DOCUMENT,
        InstanceIds: [input.instanceId],
        Parameters: parameters,
        TimeoutSeconds: settings.MEMORY_COMMAND_TIMEOUT_SECONDS,
        Comment: `forensics-bot ${input.caseId} memory capture`,
      }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new MemoryCaptureFailedError('SendCommand returned no command id');
    return {
      commandId,
      bucket: plan.bucket,
      bucketRegion: plan.bucketRegion,
      key,
      kmsKeyId,
      arch,
      avmlSha256,
      polls: 0,
      maxPolls: settings.MEMORY_MAX_POLLS,
      pollSeconds: settings.MEMORY_POLL_SECONDS,
      startedAt: new Date().toISOString(),
      done: false,
    };
  },
  report: (out) => ({
    outcome: 'started',
    detail: `${out.arch} AVML, streaming to s3://${out.bucket}/${out.key} as the quarantine instance profile`,
  }),
});

/**
 * An analysis (no containment asked for) gets its instance profile back once the capture has ended, well or
 * not: the quarantine profile was put on only for the upload's credentials. A contained instance keeps it
 * (containment decides its profile). Best effort: a failure to restore is logged and said, never hides the
 * capture's own outcome; release restores it too.
 */
export async function restoreProfileAfterCapture(
  input: TargetInput,
): Promise<'restored' | 'kept' | 'failed'> {
  const record = await requireCase(input.caseId);
  if (record.actions.includes('contain') || record.containedAt) return 'kept';
  try {
    await restoreIam.run(input);
    return 'restored';
  } catch (error) {
    logger.warn('Instance profile not restored after the memory capture', {
      caseId: input.caseId,
      error: describeError(error),
    });
    return 'failed';
  }
}

/**
 * One poll of the capture command (the workflow waits between polls). A command still running when the
 * polls run out is cancelled (the agent stops the script, whose traps abort the upload), so nothing keeps
 * streaming after the workflow has given up. On success, the script's last line gives the hash, size,
 * kernel, architecture and tool; `verifyEvidence` then checks them against the object itself.
 */
export const pollMemoryCapture = defineStep({
  name: 'pollMemoryCapture',
  label: 'Memory captured',
  input: TargetInput.extend({ memory: MemoryState }),
  async run(input): Promise<MemoryState & { status: string }> {
    const m = input.memory;
    const polls = m.polls + 1;
    const poll = await pollCommand(member(scopeOf(input)), {
      commandId: m.commandId,
      instanceId: input.instanceId,
      poll: polls,
      maxPolls: m.maxPolls,
      what: `Memory capture of ${input.instanceId}`,
      beforeGivingUp: () => restoreProfileAfterCapture(input),
    });
    if (!poll.ended) return { ...m, polls, done: false, status: poll.status };
    const { status, stdout, stderr, code: responseCode } = poll;
    const imageOnly = status === 'Failed' && responseCode === IMAGE_WITHOUT_CONTEXT;
    if (status !== 'Success' && !imageOnly) {
      await restoreProfileAfterCapture(input);
      throw new MemoryCaptureFailedError(
        `Memory capture of ${input.instanceId} ${status.toLowerCase()}: ${lastLine(stderr) || lastLine(stdout) || 'no output'}`,
      );
    }
    const result = parseResult(stdout, input.instanceId);
    if (result.arch !== m.arch)
      throw new MemoryCaptureFailedError(
        `Memory capture of ${input.instanceId} reports ${result.arch}, but EC2 says ${m.arch}: the image is not trusted`,
      );
    if (result.tool.startsWith('avml') && result.toolSha256 !== m.avmlSha256)
      throw new MemoryCaptureFailedError(
        `Memory capture of ${input.instanceId} ran an AVML with SHA-256 ${result.toolSha256}, not the pinned ${m.avmlSha256}`,
      );
    return { ...m, polls, done: true, status, result, finishedAt: new Date().toISOString() };
  },
  report: (out) => {
    if (out.done)
      return {
        outcome: 'succeeded',
        detail: `${out.result?.bytes} bytes, sha256 ${out.result?.sha256} (reported by the instance; verifying in the forensics account)`,
      };
    // Progress on the card every fourth poll, without filling the thread.
    return out.polls % 4 === 0
      ? { outcome: 'started', detail: `memory capture running (${out.polls * out.pollSeconds} s)` }
      : undefined;
  },
});

function parseResult(stdout: string, instanceId: string): CaptureResult {
  const result = CaptureResultSchema.safeParse(resultLine(stdout));
  if (!result.success)
    throw new MemoryCaptureFailedError(`Memory capture of ${instanceId} ended without its result line`);
  return result.data;
}
