import {
  GetCommandInvocationCommand,
  DescribeInstanceInformationCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { homeRegion } from '../../bot/core/aws-clients.js';
import { addArtifact } from '../../bot/core/case-store.js';
import { assumeRole, member, own, sessionName } from '../aws/member.js';
import {
  MemoryCaptureFailedError,
  PollLimitReachedError,
  SsmAgentOfflineError,
  StepNotConfiguredError,
} from '../errors.js';
import { forensicsSettings } from '../settings.js';
import { advanceCase, defineStep, scopeOf, TargetInput } from './step.js';

/** S3 keys the steps write; checked before they reach a command. */
export const EVIDENCE_KEY_RE = /^CASE-\d{8}-[0-9A-HJKMNP-TV-Z]{4}\/[a-z-]+\/[A-Za-z0-9._-]{1,200}$/;

/** The capture script's last line. */
export const CaptureResultSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  kernel: z.string().max(200),
  tool: z.string().max(100),
});

/** The poll state carried by the workflow between polls (never credentials). */
export const MemoryState = z.looseObject({
  commandId: z.string().regex(/^[0-9a-f-]{36}$/),
  bucket: z.string(),
  key: z.string().regex(EVIDENCE_KEY_RE),
  polls: z.number().int().nonnegative(),
  maxPolls: z.number().int().positive(),
  pollSeconds: z.number().int().positive(),
  startedAt: z.string(),
  done: z.boolean(),
});
export type MemoryState = z.infer<typeof MemoryState>;

/**
 * The session policy of the upload credentials: PutObject of this one key and nothing else. The role
 * (`ForensicsBot-EvidenceUpload`) allows at most PutObject under the bucket; the intersection is this.
 * The bucket is SSE-KMS: S3 calls KMS with this session's own permissions (a multipart upload needs
 * Decrypt too), so KMS is allowed here; the role limits it to the evidence key, through S3 only.
 */
export function uploadPolicy(bucket: string, key: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
        Resource: `arn:aws:s3:::${bucket}/${key}`,
      },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: '*' },
    ],
  };
}

/**
 * Starts the memory capture: checks the SSM agent is online, gets upload credentials for exactly one
 * evidence key, and runs the `ForensicsBot-CaptureMemory` document (AVML, LiME as fallback; streamed to
 * S3, hashed in the same stream). The credentials go only into the command's parameters (see the
 * workflows section of the README for why that channel and what it exposes); the step's output, which
 * Step Functions keeps in its history, holds the command id and the key, never credentials.
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

    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const key = `${input.caseId}/memory/${input.instanceId}-${stamp}.lime`;
    if (!EVIDENCE_KEY_RE.test(key)) throw new MemoryCaptureFailedError(`Refusing evidence key ${key}`);
    const bucket = settings.EVIDENCE_BUCKET;
    const roleArn =
      settings.EVIDENCE_UPLOAD_ROLE_ARN ??
      `arn:aws:iam::${settings.FORENSICS_ACCOUNT}:role/ForensicsBot-EvidenceUpload`;
    if (!roleArn) throw new StepNotConfiguredError('EVIDENCE_UPLOAD_ROLE_ARN is missing');
    const upload = await assumeRole({
      roleArn,
      account: settings.FORENSICS_ACCOUNT,
      sessionName: sessionName(input.caseId, 'ForensicsBot-Memory'),
      externalId: settings.IR_EXTERNAL_ID,
      policy: uploadPolicy(bucket, key),
      durationSeconds: settings.UPLOAD_CREDENTIALS_SECONDS,
    });
    // Names as the SSM document declares them (deploy/constructs/capture-memory-document.ts).
    const parameters: Record<string, string[]> = {
      CaseId: [input.caseId],
      Bucket: [bucket],
      Key: [key],
      Region: [homeRegion()],
      AccessKeyId: [upload.credentials.accessKeyId],
      SecretAccessKey: [upload.credentials.secretAccessKey],
      SessionToken: [upload.credentials.sessionToken ?? ''],
      Tool: ['auto'],
    };
    if (settings.LIME_MODULE_PREFIX) parameters.LimeModuleUri = [settings.LIME_MODULE_PREFIX];
    const sent = await clients.ssm().send(
      new SendCommandCommand({
        DocumentName: settings.MEMORY_DOCUMENT,
        InstanceIds: [input.instanceId],
        Parameters: parameters,
        TimeoutSeconds: settings.UPLOAD_CREDENTIALS_SECONDS,
        Comment: `forensics-bot ${input.caseId} memory capture`,
      }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new MemoryCaptureFailedError('SendCommand returned no command id');
    return {
      commandId,
      bucket,
      key,
      polls: 0,
      maxPolls: settings.MEMORY_MAX_POLLS,
      pollSeconds: settings.MEMORY_POLL_SECONDS,
      startedAt: new Date().toISOString(),
      done: false,
    };
  },
  report: (out) => ({ outcome: 'started', detail: `streaming to s3://${out.bucket}/${out.key}` }),
});

const WAITING = new Set(['Pending', 'InProgress', 'Delayed']);

/**
 * One poll of the capture command (the workflow waits between polls). On success, the script's last
 * line gives the hash and size; the object's size is checked against it, and the image is recorded as an
 * artifact. A failed command raises `MemoryCaptureFailedError` with the script's own message.
 */
export const pollMemoryCapture = defineStep({
  name: 'pollMemoryCapture',
  label: 'Memory captured',
  input: TargetInput.extend({ memory: MemoryState }),
  async run(input) {
    const m = input.memory;
    const polls = m.polls + 1;
    const out = await member(scopeOf(input))
      .ssm()
      .send(new GetCommandInvocationCommand({ CommandId: m.commandId, InstanceId: input.instanceId }))
      .catch((error: unknown) => {
        // Right after SendCommand the invocation may not exist yet.
        if (error instanceof Error && error.name === 'InvocationDoesNotExist')
          return { Status: 'Pending' } as const;
        throw error;
      });
    const status = out.Status ?? 'Pending';
    if (WAITING.has(status)) {
      if (polls >= m.maxPolls)
        throw new PollLimitReachedError(
          `Memory capture of ${input.instanceId} still ${status} after ${polls} polls (command ${m.commandId})`,
        );
      return { ...m, polls, done: false, status };
    }
    const stdout = 'StandardOutputContent' in out ? (out.StandardOutputContent ?? '') : '';
    const stderr = 'StandardErrorContent' in out ? (out.StandardErrorContent ?? '') : '';
    if (status !== 'Success')
      throw new MemoryCaptureFailedError(
        `Memory capture of ${input.instanceId} ${status.toLowerCase()}: ${lastLine(stderr) || lastLine(stdout) || 'no output'}`,
      );
    const result = parseResult(stdout, input.instanceId);
    const head = await own()
      .s3()
      .send(new HeadObjectCommand({ Bucket: m.bucket, Key: m.key }));
    if (head.ContentLength !== undefined && head.ContentLength !== result.bytes)
      throw new MemoryCaptureFailedError(
        `The image in S3 has ${head.ContentLength} bytes, the script streamed ${result.bytes}`,
      );
    const finishedAt = new Date().toISOString();
    await addArtifact(input.caseId, {
      kind: 'memory',
      uri: `s3://${m.bucket}/${m.key}`,
      sha256: result.sha256,
      bytes: result.bytes,
      source: `${input.account}/${input.region}/${input.instanceId}`,
      createdAt: finishedAt,
      details: {
        kernel: result.kernel,
        tool: result.tool,
        commandId: m.commandId,
        startedAt: m.startedAt,
        finishedAt,
        versionId: head.VersionId,
      },
    });
    return { ...m, polls, done: true, status, sha256: result.sha256, bytes: result.bytes, tool: result.tool };
  },
  report: (out) => {
    if (out.done)
      return {
        outcome: 'succeeded',
        detail: `${(out as { bytes?: number }).bytes} bytes, sha256 ${(out as { sha256?: string }).sha256}`,
      };
    // Progress on the card every fourth poll, without filling the thread.
    return out.polls % 4 === 0
      ? { outcome: 'started', detail: `memory capture running (${out.polls * out.pollSeconds} s)` }
      : undefined;
  },
});

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

function parseResult(stdout: string, instanceId: string) {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  let parsed: unknown;
  try {
    parsed = line ? JSON.parse(line) : undefined;
  } catch {
    parsed = undefined;
  }
  const result = CaptureResultSchema.safeParse(parsed);
  if (!result.success)
    throw new MemoryCaptureFailedError(`Memory capture of ${instanceId} ended without its result line`);
  return result.data;
}
