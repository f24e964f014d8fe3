import { randomBytes } from 'node:crypto';
import { DescribeInstanceInformationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { addArtifact } from '../../bot/core/case-store.js';
import { member } from '../aws/member.js';
import { LiveTriageFailedError } from '../errors.js';
import { forensicsSettings } from '../settings.js';
import { EVIDENCE_KEY_RE, MemoryState, restoreProfileAfterCapture } from './memory-capture.js';
import { useProfile } from './restrict-iam.js';
import { lastLine, pollCommand, resultLine } from './ssm-command.js';
import { defineStep, scopeOf, TargetInput } from './step.js';
import { onlyVersion, readVersion, sameAsReported, verifiedDetails } from './verify-evidence.js';

/**
 * Live triage over SSM (issue 12, item 2): after the memory image is verified and before isolation is
 * tightened, the `ForensicsBot-LiveTriage` document (workflows/scripts/live-triage.sh) reads processes,
 * sockets, users, modules, mounts and crontabs from the running instance into one tar archive, uploaded
 * beside the image (under `CASE-…/memory/`, as the quarantine instance profile, SSE-KMS). The archive is
 * then verified like the image (the one version under its key, re-read and hashed in the forensics
 * account) and recorded as a `triage` artifact, which the manifest lists and the examination reads.
 *
 * It is optional evidence: a triage that cannot run, fails or does not verify throws
 * `LiveTriageFailedError` (or `PollLimitReachedError`), which the workflow catches into
 * `recordTriageFailure` — recorded and said, never failing the memory acquisition or the case.
 */

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/);

/** The script's last line: `{"sha256","bytes","key","members","processes","collectedAt"}`. */
export const TriageResultSchema = z.looseObject({
  sha256: SHA256,
  bytes: z.number().int().positive(),
  key: z.string().regex(EVIDENCE_KEY_RE),
  members: z.array(z.string().max(40)).max(20),
  processes: z.number().int().nonnegative(),
  collectedAt: z.string().max(40),
  /** Not in the script's line: the sandbox's SSM says its archive is simulated from fixtures (shown, recorded). */
  simulated: z.string().max(200).optional(),
});
export type TriageResult = z.infer<typeof TriageResultSchema>;

/** The poll state carried by the workflow between polls. */
export const TriageState = z.looseObject({
  commandId: z.string().regex(/^[0-9a-f-]{36}$/),
  bucket: z.string(),
  bucketRegion: z.string(),
  key: z.string().regex(EVIDENCE_KEY_RE),
  polls: z.number().int().nonnegative(),
  maxPolls: z.number().int().positive(),
  pollSeconds: z.number().int().positive(),
  startedAt: z.string(),
  done: z.boolean(),
  result: TriageResultSchema.optional(),
  finishedAt: z.string().optional(),
});
export type TriageState = z.infer<typeof TriageState>;

/** Exit codes of live-triage.sh. */
const EXIT: Record<number, string> = {
  2: 'a parameter was refused',
  4: 'the collection failed',
  5: 'the upload failed',
};

const failed = (text: string) => new LiveTriageFailedError(`Live triage not collected: ${text}`);

/**
 * Starts the live triage where the memory capture went: the same bucket, region and key (the memory
 * state), a fresh key beside the image. The SSM agent must still be online and the instance Linux; the
 * quarantine profile is (still) on it, as the upload's credentials.
 */
export const startLiveTriage = defineStep({
  name: 'startLiveTriage',
  // a failure is said once, by recordTriageFailure (the workflow's Catch): optional evidence, no 'failed' step
  reportFailure: false,
  label: 'Live triage started',
  input: TargetInput.extend({ memory: MemoryState }),
  async run(input): Promise<TriageState> {
    const settings = forensicsSettings();
    const clients = member(scopeOf(input));
    const info = await clients.ssm().send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'InstanceIds', Values: [input.instanceId] }],
      }),
    );
    const agent = info.InstanceInformationList?.find((i) => i.InstanceId === input.instanceId);
    if (agent?.PingStatus !== 'Online')
      throw failed(`the SSM agent of ${input.instanceId} is ${agent?.PingStatus ?? 'not registered'}`);
    if (agent.PlatformType && agent.PlatformType !== 'Linux')
      throw failed(`${input.instanceId} runs ${agent.PlatformType}; live triage supports Linux`);
    await useProfile(clients, input.instanceId, settings.QUARANTINE_PROFILE);

    const m = input.memory;
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const key = `${input.caseId}/memory/${input.instanceId}-${stamp}-${randomBytes(3).toString('hex')}.triage.tar`;
    if (!EVIDENCE_KEY_RE.test(key)) throw failed(`refusing evidence key ${key}`);
    const sent = await clients.ssm().send(
      new SendCommandCommand({
        DocumentName: settings.TRIAGE_DOCUMENT,
        InstanceIds: [input.instanceId],
        // Names as the document declares them (workflows/triage-parameters.ts); none is a secret.
        Parameters: {
          CaseId: [input.caseId],
          Bucket: [m.bucket],
          Key: [key],
          Region: [m.bucketRegion],
          KmsKeyId: [m.kmsKeyId],
          // The upload waits until the metadata service serves this profile's credentials, as the capture does.
          InstanceProfile: [settings.QUARANTINE_PROFILE],
        },
        TimeoutSeconds: settings.TRIAGE_COMMAND_TIMEOUT_SECONDS,
        Comment: `forensics-bot ${input.caseId} live triage`,
      }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw failed('SendCommand returned no command id');
    return {
      commandId,
      bucket: m.bucket,
      bucketRegion: m.bucketRegion,
      key,
      polls: 0,
      maxPolls: settings.TRIAGE_MAX_POLLS,
      pollSeconds: settings.MEMORY_POLL_SECONDS,
      startedAt: new Date().toISOString(),
      done: false,
    };
  },
  report: (out) => ({
    outcome: 'started',
    detail: `processes, sockets, users, modules, mounts, crontabs to s3://${out.bucket}/${out.key}`,
  }),
});

/**
 * One poll of the triage command. Still running when the polls run out: cancelled (nothing keeps running
 * after the workflow has given up) and `PollLimitReachedError`. On success the script's last line gives
 * the archive's hash and size, which `verifyLiveTriage` checks against the object.
 */
export const pollLiveTriage = defineStep({
  name: 'pollLiveTriage',
  // a failure is said once, by recordTriageFailure (the workflow's Catch): optional evidence, no 'failed' step
  reportFailure: false,
  label: 'Live triage collected',
  input: TargetInput.extend({ triage: TriageState }),
  async run(input): Promise<TriageState & { status: string }> {
    const t = input.triage;
    const polls = t.polls + 1;
    const poll = await pollCommand(member(scopeOf(input)), {
      commandId: t.commandId,
      instanceId: input.instanceId,
      poll: polls,
      maxPolls: t.maxPolls,
      what: 'Live triage not collected:',
    });
    if (!poll.ended) return { ...t, polls, done: false, status: poll.status };
    const { status, stdout, stderr, code } = poll;
    if (status !== 'Success') {
      const why = code !== undefined && EXIT[code] ? ` (${EXIT[code]})` : '';
      throw failed(
        `the command ${status.toLowerCase()}${why}: ${lastLine(stderr) || lastLine(stdout) || 'no output'}`,
      );
    }
    const result = TriageResultSchema.safeParse(resultLine(stdout));
    if (!result.success) throw failed('the command ended without its result line');
    if (result.data.key !== t.key)
      throw failed(`the script reports s3://${t.bucket}/${result.data.key}, not the key it was given`);
    return { ...t, polls, done: true, status, result: result.data, finishedAt: new Date().toISOString() };
  },
  report: (out) =>
    out.done
      ? {
          outcome: 'succeeded',
          detail: `${out.result?.processes} processes, ${out.result?.bytes} bytes, sha256 ${out.result?.sha256} (reported by the instance; verifying in the forensics account)${out.result?.simulated ? `; ${out.result.simulated}` : ''}`,
        }
      : undefined,
});

/**
 * Verifies the archive in the forensics account and records it: the one version under its key, re-read
 * and hashed by the steps, must be what the script reported, under Object Lock. Then gives an analysis'
 * instance its profile back (the memory verification left it on for the triage).
 */
export const verifyLiveTriage = defineStep({
  name: 'verifyLiveTriage',
  // a failure is said once, by recordTriageFailure (the workflow's Catch): optional evidence, no 'failed' step
  reportFailure: false,
  label: 'Live triage verified',
  input: TargetInput.extend({ triage: TriageState }),
  async run(input) {
    try {
      return await verify(input);
    } finally {
      await restoreProfileAfterCapture(input);
    }
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${out.uri} version ${out.versionId}: ${out.processes} processes, ${out.bytes} bytes, sha256 ${out.sha256} re-read in the forensics account; ${out.lock} lock`,
  }),
});

async function verify(input: TargetInput & { triage: TriageState }) {
  const t = input.triage;
  const result = t.result;
  if (!t.done || !result) throw failed('the triage has no result to verify');
  const uri = `s3://${t.bucket}/${t.key}`;
  const versionId = await onlyVersion(t.bucketRegion, t.bucket, t.key, failed);
  const { got, measured } = await readVersion(t.bucketRegion, t.bucket, t.key, versionId, failed);
  sameAsReported(`version ${versionId} of ${uri}`, measured, result, failed);
  const { verifiedAt, details } = verifiedDetails(`version ${versionId} of ${uri}`, versionId, got, failed);
  await addArtifact(input.caseId, {
    kind: 'triage',
    uri,
    sha256: measured.sha256,
    bytes: measured.bytes,
    source: `${input.account}/${input.region}/${input.instanceId}`,
    createdAt: verifiedAt,
    details: {
      ...details,
      collectedAt: result.collectedAt,
      processes: result.processes,
      members: result.members,
      ...(result.simulated ? { simulated: result.simulated } : {}),
      tool: forensicsSettings().TRIAGE_DOCUMENT,
      commandId: t.commandId,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    },
  });
  return {
    uri,
    versionId,
    sha256: measured.sha256,
    bytes: measured.bytes,
    processes: result.processes,
    lock: got.ObjectLockMode,
  };
}

const Failure = z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() });

/**
 * A triage that was not collected (the workflow's Catch): the case's timeline and thread say why, the
 * instance gets its profile back where the capture would have restored it, and the memory acquisition
 * goes on as succeeded. Never throws for the reason itself.
 */
export const recordTriageFailure = defineStep({
  name: 'recordTriageFailure',
  label: 'Live triage not collected',
  input: TargetInput.extend({ failure: Failure.optional() }),
  async run(input) {
    const profile = await restoreProfileAfterCapture(input);
    return { reason: failureReason(input.failure), profile };
  },
  report: (out) => ({
    label: 'Live triage',
    outcome: 'skipped',
    detail: `not collected: ${out.reason}. Live triage is optional evidence: the memory image stands, the case goes on`,
  }),
});

/** The reason in the Catch's `{Error, Cause}` (a Lambda error's Cause is its JSON `{errorMessage}`). */
export function failureReason(failure: z.infer<typeof Failure> | undefined): string {
  if (!failure) return 'no reason given';
  let message = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  message = message.replace(/^Live triage not collected:\s*/, '');
  return (message || failure.Error || 'unknown error').slice(0, 400);
}
