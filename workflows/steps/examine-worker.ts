import { createHash } from 'node:crypto';
import {
  DescribeInstancesCommand,
  type Filter,
  RunInstancesCommand,
  type RunInstancesCommandOutput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeInstanceInformationCommand,
  GetParameterCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import type { Artifact, CaseRecord } from '../../bot/core/case-model.js';
import { homeRegion } from '../../bot/core/aws-clients.js';
import { requireCase } from '../../bot/core/case-store.js';
import { logger } from '../../bot/core/logger.js';
import { type ExaminerClients, examiner } from '../aws/examiner.js';
import { own } from '../aws/member.js';
import type { WorkerInput } from '../examine-parameters.js';
import { ExaminationFailedError } from '../errors.js';
import { evidenceLock } from '../imager/settings.js';
import { forensicsSettings } from '../settings.js';
import { WORKER_NAMES } from '../worker-names.js';
import {
  type EngineResult,
  examinationBase,
  examinationReport,
  finishExamination,
  planExamination,
  recordCompleted,
  recordFailed,
  recordSkipped,
  type StepOutcome,
  windowStart,
} from './examine-evidence.js';
import { examineSettings } from './examine-settings.js';
import { lastLine, pollCommand, resultLine } from './ssm-command.js';
import { defineStep, TargetInput } from './step.js';

/**
 * The case's forensic worker (issue 12, item 4; `EXAMINE_WORKER=ec2`): an instance of the forensic AMI in
 * the forensics account's analysis VPC, started for one case and always terminated. The steps, through the
 * launcher role (workflows/aws/examiner.ts):
 *
 * 1. `launchExamineWorker` creates the case's worker role `ForensicsBot-Worker-<case>` under
 *    `/forensics-bot/worker/` with the worker boundary, whose inline policy reads only `<case>/*` and writes
 *    only `<case>/examination/*` of the evidence bucket, and starts the worker with it: the launch settings
 *    of the forensics stack (subnets, group, type, volume), `InstanceInitiatedShutdownBehavior=terminate` and
 *    user data that shuts it down after its lifetime (it terminates itself whatever the workflow does);
 * 2. `pollExamineWorker` waits for its SSM agent to be online;
 * 3. `startWorkerExamination` runs `ForensicsBot-Examine` on it with the case's inputs (no credential: the
 *    worker reads and writes with its own instance profile);
 * 4. `pollWorkerExamination` follows the command; at its end, findings.json is read back from the bucket and
 *    must hash to what the worker reported, and the examination is recorded exactly as the local one
 *    (examine-evidence.ts: artifacts, the case's section, the summary and the report in the thread);
 * 5. `terminateExamineWorker` terminates every worker of the case and deletes its role and profile: the
 *    workflow runs it after the examination, after a failure, and when the case was closed meanwhile.
 */

const WORKER = 'forensic worker (EXAMINE_WORKER=ec2)';

/** What a worker is for: the case's examination, or an investigator's workstation (`/forensics workstation`). */
export type Purpose = 'examination' | 'workstation';
const PURPOSE_TAG = 'forensics-bot:purpose';

/** The worker's role and instance profile: one per case and purpose (a workstation outlives an examination). */
export const workerRoleName = (caseId: string, purpose: Purpose = 'examination') =>
  `ForensicsBot-${purpose === 'workstation' ? 'Workstation' : 'Worker'}-${caseId}`;

/** An instance profile just created is not yet usable by EC2 (IAM is eventually consistent): retried. */
export class WorkerProfileNotReadyError extends ExaminationFailedError {}

const SettingsSchema = z.object({
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
  securityGroupId: z.string().regex(/^sg-[0-9a-f]+$/),
  instanceType: z.string().min(3),
  volumeGiB: z.number().int().min(8),
  maxHours: z.number().int().min(1).max(24),
  boundaryArn: z.string().startsWith('arn:'),
  kmsKeyId: z.string().startsWith('arn:'),
});
type WorkerSettings = z.infer<typeof SettingsSchema>;

export const WorkerState = z.looseObject({
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/),
  roleName: z.string(),
  kmsKeyId: z.string(),
  maxHours: z.number().int(),
  launchedAt: z.string(),
  started: z.number(),
  stamp: z.string(),
  polls: z.number().int().nonnegative(),
  maxPolls: z.number().int().positive(),
  pollSeconds: z.number().int().positive(),
  online: z.boolean(),
  commandId: z.string().optional(),
  done: z.boolean(),
  examination: z.unknown().optional(),
  purpose: z.enum(['examination', 'workstation']).default('examination'),
  /** A workstation: seconds it stays open once ready (its lifetime less what the start took). */
  openSeconds: z.number().int().nonnegative().optional(),
});
export type WorkerState = z.infer<typeof WorkerState>;

// The worker runs where the evidence bucket and the analysis VPC are: the home region (whatever the
// suspect's region; another region's memory image is listed as not examined, planExamination).
const clientsOf = (input: { caseId: string }): ExaminerClients => examiner(homeRegion(), input.caseId);

async function parameter(ex: ExaminerClients, name: string): Promise<string> {
  const got = await ex.ssm().send(new GetParameterCommand({ Name: name }));
  const value = got.Parameter?.Value;
  if (!value) throw new ExaminationFailedError(`examination failed: the SSM parameter ${name} is empty`);
  return value;
}

async function launchSettings(ex: ExaminerClients): Promise<WorkerSettings & { imageId: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await parameter(ex, WORKER_NAMES.settingsParameter));
  } catch (error) {
    if (error instanceof ExaminationFailedError) throw error;
    throw new ExaminationFailedError(
      `examination failed: ${WORKER_NAMES.settingsParameter} is not the forensics stack's JSON`,
      { cause: error },
    );
  }
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success)
    throw new ExaminationFailedError(
      `examination failed: ${WORKER_NAMES.settingsParameter}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    );
  const imageId = await parameter(ex, WORKER_NAMES.amiParameter).catch((error: Error) => {
    if (error.name === 'ParameterNotFound')
      throw new ExaminationFailedError(
        `examination failed: no forensic AMI yet (${WORKER_NAMES.amiParameter} does not exist): run the forensics-bot-worker image pipeline once`,
        { cause: error },
      );
    throw error;
  });
  return { ...parsed.data, imageId };
}

/** The case's inline policy: its own evidence, its own examination prefix, the SSM agent. */
function casePolicy(caseId: string, bucket: string, kmsKeyId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadThisCase',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: `arn:aws:s3:::${bucket}/${caseId}/*`,
      },
      {
        Sid: 'WriteThisExamination',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectRetention'],
        Resource: `arn:aws:s3:::${bucket}/${caseId}/examination/*`,
      },
      {
        Sid: 'EvidenceKeyThroughS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: kmsKeyId,
      },
      {
        Sid: 'SsmAgent',
        Effect: 'Allow',
        Action: [
          'ssm:UpdateInstanceInformation',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:FailMessage',
          'ec2messages:GetEndpoint',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
        ],
        Resource: '*',
      },
    ],
  });
}

/**
 * An IAM call whose target may exist already (a retried launch) or be gone already (a second clean-up).
 * IAM answers the code (`NoSuchEntity`); the SDK names its error class after it (`NoSuchEntityException`).
 */
async function tolerating(names: string[], call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Error && names.some((n) => error.name === n || error.name === `${n}Exception`))
      return;
    throw error;
  }
}

/** The case's worker role and instance profile (idempotent). */
async function caseRole(
  ex: ExaminerClients,
  caseId: string,
  s: WorkerSettings,
  purpose: Purpose,
): Promise<string> {
  const name = workerRoleName(caseId, purpose);
  const bucket = forensicsSettings().EVIDENCE_BUCKET;
  await tolerating(['EntityAlreadyExists'], () =>
    ex.iam().send(
      new CreateRoleCommand({
        RoleName: name,
        Path: WORKER_NAMES.rolePath,
        PermissionsBoundary: s.boundaryArn,
        Description: `forensics-bot: the forensic ${purpose === 'workstation' ? 'workstation' : 'worker'} of ${caseId}`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
        Tags: [{ Key: 'ir-case-id', Value: caseId }],
      }),
    ),
  );
  await ex.iam().send(
    new PutRolePolicyCommand({
      RoleName: name,
      PolicyName: 'case',
      PolicyDocument: casePolicy(caseId, bucket, s.kmsKeyId),
    }),
  );
  await tolerating(['EntityAlreadyExists'], () =>
    ex
      .iam()
      .send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: WORKER_NAMES.rolePath })),
  );
  // LimitExceeded: the profile has its role already (a profile holds one)
  await tolerating(['LimitExceeded'], () =>
    ex.iam().send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })),
  );
  return name;
}

/** User data: the worker's own lifetime guard (with `InstanceInitiatedShutdownBehavior=terminate`). */
export function lifetimeUserData(maxHours: number): string {
  return `#!/bin/bash\n# forensics-bot: this worker terminates itself after ${maxHours} h, whatever its workflow does\nshutdown -h +${maxHours * 60}\n`;
}

export const launchExamineWorker = defineStep({
  name: 'launchExamineWorker',
  label: 'Forensic worker started',
  input: TargetInput.extend({
    executionName: z.string().min(1).max(80),
    purpose: z.enum(['examination', 'workstation']).default('examination'),
    /** A workstation's hours (at most the worker lifetime of the forensics stack). */
    hours: z.number().int().min(1).max(24).optional(),
  }),
  async run(input): Promise<WorkerState> {
    const settings = examineSettings();
    const ex = clientsOf(input);
    const s = await launchSettings(ex);
    const purpose = input.purpose;
    const hours =
      purpose === 'workstation'
        ? Math.min(input.hours ?? settings.WORKSTATION_HOURS, s.maxHours)
        : s.maxHours;
    const roleName = await caseRole(ex, input.caseId, s, purpose);
    // One worker per execution and attempt: a retried invocation of this step gets the same instance back.
    const clientToken = createHash('sha256')
      .update(`${input.caseId}/${input.executionName}`)
      .digest('hex')
      .slice(0, 48);
    const subnet = s.subnetIds[Number.parseInt(clientToken.slice(0, 6), 16) % s.subnetIds.length]!;
    const tags = [
      { Key: WORKER_NAMES.roleTag, Value: WORKER_NAMES.roleTagValue },
      { Key: 'ir-case-id', Value: input.caseId },
      { Key: PURPOSE_TAG, Value: purpose },
      {
        Key: 'Name',
        Value: `forensics-bot ${purpose === 'workstation' ? 'workstation' : 'worker'} ${input.caseId}`,
      },
    ];
    let out: RunInstancesCommandOutput;
    try {
      out = await ex.ec2().send(
        new RunInstancesCommand({
          ImageId: s.imageId,
          InstanceType: s.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet,
          SecurityGroupIds: [s.securityGroupId],
          IamInstanceProfile: { Name: roleName },
          InstanceInitiatedShutdownBehavior: 'terminate',
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: { VolumeSize: s.volumeGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
            },
          ],
          UserData: Buffer.from(lifetimeUserData(hours)).toString('base64'),
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tags },
            { ResourceType: 'volume', Tags: tags },
            { ResourceType: 'network-interface', Tags: tags },
          ],
          ClientToken: clientToken,
        }),
      );
    } catch (error) {
      if (
        error instanceof Error &&
        error.name === 'InvalidParameterValue' &&
        /iamInstanceProfile/i.test(error.message)
      )
        throw new WorkerProfileNotReadyError(`the worker profile ${roleName} is not usable by EC2 yet`, {
          cause: error,
        });
      throw error;
    }
    const instanceId = out.Instances?.[0]?.InstanceId;
    if (!instanceId)
      throw new ExaminationFailedError('examination failed: RunInstances returned no instance');
    const now = new Date();
    return {
      instanceId,
      roleName,
      kmsKeyId: s.kmsKeyId,
      maxHours: hours,
      purpose,
      launchedAt: now.toISOString(),
      started: now.getTime(),
      stamp: now.toISOString().replace(/[-:.]/g, ''),
      polls: 0,
      maxPolls: settings.EXAMINE_ONLINE_POLLS,
      pollSeconds: settings.EXAMINE_POLL_SECONDS,
      online: false,
      done: false,
    };
  },
  report: (out) => ({
    outcome: 'started',
    ...(out.purpose === 'workstation' ? { label: 'Forensic workstation started' } : {}),
    detail: `${out.instanceId} in the analysis VPC (no route out), role ${out.roleName} (this case's evidence only); it terminates itself after ${out.maxHours} h at the latest`,
  }),
});

export const pollExamineWorker = defineStep({
  name: 'pollExamineWorker',
  label: 'Forensic worker online',
  input: TargetInput.extend({ worker: WorkerState }),
  async run(input): Promise<WorkerState> {
    const w = input.worker;
    const ex = clientsOf(input);
    const polls = w.polls + 1;
    const described = await ex.ec2().send(new DescribeInstancesCommand({ InstanceIds: [w.instanceId] }));
    const state = described.Reservations?.[0]?.Instances?.[0]?.State?.Name;
    if (state && !['pending', 'running'].includes(state))
      throw new ExaminationFailedError(`examination failed: the worker ${w.instanceId} is ${state}`);
    const info = await ex
      .ssm()
      .send(
        new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [w.instanceId] }] }),
      );
    const online = info.InstanceInformationList?.some(
      (i) => i.InstanceId === w.instanceId && i.PingStatus === 'Online',
    );
    if (online) return { ...w, polls: 0, online: true };
    if (polls >= w.maxPolls)
      throw new ExaminationFailedError(
        `examination failed: the worker ${w.instanceId} did not come online in SSM after ${polls} polls`,
      );
    return { ...w, polls, online: false };
  },
  report: (out) =>
    out.online ? { outcome: 'succeeded', detail: `${out.instanceId} reachable through SSM` } : undefined,
});

/** The inputs as the document carries them (the case's recorded hashes and versions). */
function workerInputs(record: CaseRecord): WorkerInput[] {
  const { images, memory, triage } = planExamination(record);
  const bucket = forensicsSettings().EVIDENCE_BUCKET;
  const of = (a: Artifact): WorkerInput => {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(a.uri);
    if (!m || m[1] !== bucket)
      throw new ExaminationFailedError(
        `examination failed: ${a.uri} is not in the evidence bucket ${bucket}`,
      );
    if (!a.sha256) throw new ExaminationFailedError(`examination failed: ${a.uri} has no recorded SHA-256`);
    const versionId = a.details?.versionId as string | undefined;
    return {
      kind: a.kind as WorkerInput['kind'],
      key: m[2]!,
      ...(versionId ? { versionId } : {}),
      sha256: a.sha256,
      ...(a.bytes !== undefined ? { bytes: a.bytes } : {}),
    };
  };
  return [...images, ...memory.slice(0, 1), ...triage].map(of);
}

export const startWorkerExamination = defineStep({
  name: 'startWorkerExamination',
  label: 'Examination started on the forensic worker',
  input: TargetInput.extend({ worker: WorkerState }),
  async run(input): Promise<WorkerState> {
    const w = input.worker;
    const record = await requireCase(input.caseId);
    const settings = examineSettings();
    const lock = evidenceLock(new Date(w.launchedAt));
    const iocs = examinationBase(record, WORKER).iocs;
    const sent = await clientsOf(input)
      .ssm()
      .send(
        new SendCommandCommand({
          DocumentName: WORKER_NAMES.examineDocument,
          InstanceIds: [w.instanceId],
          // Names as the document declares them (workflows/examine-parameters.ts); none is a secret.
          Parameters: {
            CaseId: [input.caseId],
            Bucket: [forensicsSettings().EVIDENCE_BUCKET],
            Region: [homeRegion()],
            KmsKeyId: [w.kmsKeyId],
            Inputs: [JSON.stringify(workerInputs(record))],
            Iocs: [iocs.join(',')],
            Since: [new Date(windowStart(record, settings.EXAMINE_WINDOW_DAYS)).toISOString()],
            LockMode: [lock.mode],
            RetainUntil: [lock.retainUntil],
            Stamp: [w.stamp],
            // a workstation gets the evidence, read and verified onto it; nothing is examined
            ...(w.purpose === 'workstation' ? { Mode: ['fetch'] } : {}),
          },
          TimeoutSeconds: w.maxHours * 3600,
          Comment: `forensics-bot ${input.caseId} examination`,
        }),
      );
    const commandId = sent.Command?.CommandId;
    if (!commandId)
      throw new ExaminationFailedError('examination failed: SendCommand returned no command id');
    return { ...w, commandId, polls: 0, maxPolls: settings.EXAMINE_MAX_POLLS };
  },
  report: (out) => ({ outcome: 'started', detail: `command ${out.commandId} on ${out.instanceId}` }),
});

const OutputSchema = z.object({
  name: z.string(),
  uri: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  versionId: z.string().optional(),
});
const ResultSchema = z.looseObject({
  ok: z.literal(true),
  tool: z.object({ name: z.string(), version: z.string() }),
  inputs: z.array(
    z.object({
      kind: z.string(),
      uri: z.string(),
      sha256: z.string(),
      bytes: z.number(),
      versionId: z.string().optional(),
    }),
  ),
  outputs: z.array(OutputSchema).min(1),
});
const FailureSchema = z.looseObject({
  ok: z.literal(false),
  error: z.string(),
  message: z.string(),
  missing: z.array(z.string()).optional(),
});

/** findings.json as the worker uploaded it, read back by its version and checked against its reported hash. */
async function findingsOf(output: z.infer<typeof OutputSchema>): Promise<EngineResult> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(output.uri);
  if (!m || m[1] !== forensicsSettings().EVIDENCE_BUCKET)
    throw new ExaminationFailedError(
      `examination failed: the worker reports ${output.uri}, outside the evidence bucket`,
    );
  const got = await own()
    .s3()
    .send(
      new GetObjectCommand({
        Bucket: m[1],
        Key: m[2],
        ...(output.versionId ? { VersionId: output.versionId } : {}),
      }),
    );
  const body = Buffer.from(await got.Body!.transformToByteArray());
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== output.sha256)
    throw new ExaminationFailedError(
      `examination failed: ${output.uri} reads back with SHA-256 ${sha256}, not the ${output.sha256} the worker reported`,
    );
  const doc = JSON.parse(body.toString('utf8')) as {
    findings: EngineResult['findings'];
    summary: Omit<EngineResult, 'findings'>;
  };
  return {
    tools: doc.summary.tools,
    window: doc.summary.window,
    counts: doc.summary.counts,
    total: doc.summary.total,
    skipped: doc.summary.skipped ?? [],
    findings: doc.findings,
  };
}

export const pollWorkerExamination = defineStep({
  name: 'pollWorkerExamination',
  label: 'Evidence examined',
  input: TargetInput.extend({ worker: WorkerState }),
  async run(input): Promise<WorkerState> {
    const w = input.worker;
    if (!w.commandId) throw new ExaminationFailedError('examination failed: no command to follow');
    const polls = w.polls + 1;
    const poll = await pollCommand(clientsOf(input), {
      commandId: w.commandId,
      instanceId: w.instanceId,
      poll: polls,
      maxPolls: w.maxPolls,
      what: `The examination on ${w.instanceId}`,
    });
    if (!poll.ended) return { ...w, polls, done: false };
    if (w.purpose === 'workstation') {
      const fetched = resultLine(poll.stdout) as { ok?: boolean; message?: string } | undefined;
      if (poll.status !== 'Success' || fetched?.ok !== true)
        throw new ExaminationFailedError(
          `the evidence was not put on the workstation ${w.instanceId}: ${fetched?.message ?? (lastLine(poll.stderr) || poll.status)}`,
        );
      return { ...w, polls, done: true };
    }
    const record = await requireCase(input.caseId);
    const base = { ...examinationBase(record, WORKER), at: w.launchedAt };
    const { notExamined } = planExamination(record);
    const line = resultLine(poll.stdout);
    const failure = FailureSchema.safeParse(line);
    if (failure.success && failure.data.error === 'MissingToolError') {
      const outcome = await recordSkipped(
        input.caseId,
        base,
        `examination skipped: ${(failure.data.missing ?? []).join(', ')} not installed on the forensic AMI`,
        w.started,
      );
      return { ...w, polls, done: true, examination: await finishExamination(input.caseId, outcome) };
    }
    const result = ResultSchema.safeParse(line);
    if (poll.status !== 'Success' || !result.success) {
      const why = failure.success
        ? failure.data.message
        : lastLine(poll.stderr) || lastLine(poll.stdout) || `the command ${poll.status.toLowerCase()}`;
      const reason = `examination failed on the forensic worker ${w.instanceId}: ${why}`;
      await recordFailed(input.caseId, base, reason, notExamined, w.started);
      throw new ExaminationFailedError(reason);
    }
    const findings = result.data.outputs.find((o) => o.name === 'findings.json');
    if (!findings)
      throw new ExaminationFailedError('examination failed: the worker uploaded no findings.json');
    const lock = evidenceLock(new Date(w.launchedAt));
    let engine: EngineResult;
    try {
      engine = await findingsOf(findings);
    } catch (error) {
      const reason =
        error instanceof ExaminationFailedError ? error.message : `examination failed: ${String(error)}`;
      await recordFailed(input.caseId, base, reason, notExamined, w.started);
      throw error instanceof ExaminationFailedError
        ? error
        : new ExaminationFailedError(reason, { cause: error });
    }
    const outcome = await recordCompleted(input.caseId, base, {
      inputs: result.data.inputs.map(({ kind, ...file }) => ({ name: kind, ...file })),
      outputs: result.data.outputs.map((o) => ({ ...o, lock })),
      result: engine,
      notExamined,
      started: w.started,
      toolVersion: `${result.data.tool.name} ${result.data.tool.version}`,
    });
    return { ...w, polls, done: true, examination: await finishExamination(input.caseId, outcome) };
  },
  report: (out) =>
    out.done && out.examination
      ? examinationReport(out.examination as StepOutcome)
      : out.done && out.purpose === 'workstation'
        ? {
            outcome: 'succeeded',
            label: 'Evidence on the workstation',
            detail: `read and verified on ${out.instanceId}`,
          }
        : undefined,
});

/**
 * A worker path that failed before the examination was recorded (a launch refused, a worker that never came
 * online, a command refused): the case records the examination as failed, with the workflow's reason, so
 * it never looks complete and says why. An examination already recorded by this run stands.
 */
async function recordWorkerFailure(
  caseId: string,
  failure: { Error?: string; Cause?: string },
  launchedAt: string | undefined,
): Promise<void> {
  const record = await requireCase(caseId);
  const e = record.examination;
  if (e && (!launchedAt || e.at >= launchedAt)) return;
  let cause = failure.Cause ?? '';
  try {
    cause = (JSON.parse(cause) as { errorMessage?: string }).errorMessage ?? cause;
  } catch {
    // a Cause that is not a Lambda error's JSON is said as it is
  }
  const why = cause.startsWith('examination failed')
    ? cause
    : `examination failed on the forensic worker: ${failure.Error ?? 'error'}: ${cause}`;
  await recordFailed(
    caseId,
    { ...examinationBase(record, WORKER), ...(launchedAt ? { at: launchedAt } : {}) },
    why.slice(0, 1000),
    planExamination(record).notExamined,
    Date.parse(launchedAt ?? new Date().toISOString()),
  );
}

/** Every instance of the case's workers not yet terminated (by tag: also one whose launch step failed late). */
async function workersOf(ex: ExaminerClients, caseId: string, purposes: Purpose[]): Promise<string[]> {
  const filters: Filter[] = [
    { Name: `tag:${WORKER_NAMES.roleTag}`, Values: [WORKER_NAMES.roleTagValue] },
    { Name: 'tag:ir-case-id', Values: [caseId] },
    { Name: `tag:${PURPOSE_TAG}`, Values: purposes },
    { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
  ];
  const out = await ex.ec2().send(new DescribeInstancesCommand({ Filters: filters }));
  return (out.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
}

export const terminateExamineWorker = defineStep({
  name: 'terminateExamineWorker',
  label: 'Forensic worker terminated',
  // the clean-up after a case closed meanwhile must still run: nothing of the case is examined by it
  runsOnClosedCase: true,
  input: TargetInput.extend({
    worker: WorkerState.partial().optional(),
    /** The workflow's failure (`$.Failure`: Error, Cause) when the worker path failed. */
    failure: z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    /** Which workers: the worker's own purpose by default; `all` when the case closes. */
    purpose: z.enum(['examination', 'workstation', 'all']).optional(),
  }),
  async run(input): Promise<{ terminated: string[]; roleDeleted: boolean; purpose: string }> {
    const ex = clientsOf(input);
    const which = input.purpose ?? input.worker?.purpose ?? 'examination';
    const purposes: Purpose[] = which === 'all' ? ['examination', 'workstation'] : [which];
    // a workstation's failure is no examination's
    if (input.failure && which === 'examination')
      await recordWorkerFailure(input.caseId, input.failure, input.worker?.launchedAt);
    const ids = [
      ...new Set([
        ...(input.worker?.instanceId ? [input.worker.instanceId] : []),
        ...(await workersOf(ex, input.caseId, purposes)),
      ]),
    ];
    if (ids.length > 0)
      await tolerating(['InvalidInstanceID.NotFound'], () =>
        ex.ec2().send(new TerminateInstancesCommand({ InstanceIds: ids })),
      );
    // The role goes once its instances are terminating: their credentials stop working with it.
    const gone = ['NoSuchEntity'];
    for (const name of purposes.map((p) => workerRoleName(input.caseId, p))) {
      await tolerating(gone, () =>
        ex
          .iam()
          .send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })),
      );
      await tolerating(gone, () =>
        ex.iam().send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })),
      );
      await tolerating(gone, () =>
        ex.iam().send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: 'case' })),
      );
      await tolerating(gone, () => ex.iam().send(new DeleteRoleCommand({ RoleName: name })));
    }
    logger.info('Forensic workers terminated', { caseId: input.caseId, ids });
    return { terminated: ids, roleDeleted: true, purpose: which };
  },
  report: (out) =>
    out.terminated.length > 0
      ? {
          outcome: 'succeeded',
          ...(out.purpose === 'workstation' ? { label: 'Forensic workstation terminated' } : {}),
          detail: `${out.terminated.join(', ')} terminated; its role and profile deleted`,
        }
      : undefined,
});

/**
 * The workstation is ready (`/forensics workstation`): its line in the thread says how to open it (Session
 * Manager only: no inbound rule, no key pair, no route out) and when it is terminated.
 */
export const workstationReady = defineStep({
  name: 'workstationReady',
  label: 'Forensic workstation ready',
  input: TargetInput.extend({ worker: WorkerState }),
  async run(input): Promise<WorkerState & { until: string; caseId: string }> {
    const w = input.worker;
    const end = w.started + w.maxHours * 3_600_000;
    return {
      ...w,
      caseId: input.caseId,
      openSeconds: Math.max(0, Math.floor((end - Date.now()) / 1000)),
      until: new Date(end).toISOString(),
    };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${out.instanceId}: the case's evidence under /var/lib/forensics-bot/evidence/${out.caseId}/ (read and hashed as recorded); open it with \`aws ssm start-session --target ${out.instanceId} --region ${homeRegion()}\` (Session Manager only: no inbound rule, no key pair, no route out); terminated at ${out.until}`,
  }),
});
