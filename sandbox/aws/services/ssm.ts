/**
 * SSM: managed instances (Online while the agent runs and its primary ENI's security groups let HTTPS
 * out to the SSM endpoints or, without endpoints, to the internet), and Run Command. An invocation moves
 * Pending -> InProgress -> Success|Failed over three GetCommandInvocation polls, and only while the agent
 * can reach SSM; otherwise it stays put until its timeout (TimedOut). CancelCommand cancels it.
 *
 * `ForensicsBot-CaptureMemory` takes the memory capture contract's parameters (shared/DESIGN.md; SSM refuses
 * any other, as it refuses parameters a document does not declare, and values outside their pattern) and
 * does what `workflows/scripts/capture-memory.sh` does, as the instance would: it picks the AVML of the
 * instance's architecture from `ToolsUri`, checks it against `AvmlSha256`, and streams a deterministic image
 * derived from the instance id (size = the instance's simulated RAM) to `s3://Bucket/Key` **as the instance's
 * own instance profile role** (no credential travels in the command), naming `KmsKeyId` for SSE-KMS — so the
 * bucket's policy (the deploy's, `s3-policy.ts`) decides. The upload must reach the bucket's region: an S3
 * endpoint serves only buckets of its own region, and another region needs an internet path. Beside the image
 * it uploads the examination context (`<Key>.system.tar`). Its output ends as the script's does:
 * `{"sha256","bytes","kernel","arch","tool","toolVersion","toolSha256","source","banner","system"}`. A failed capture (the faults'
 * `memoryCapture` failures or a refusal) leaves nothing under `Key`: the script aborts its multipart upload.
 *
 * `ForensicsBot-LiveTriage` takes the triage parameters (workflows/triage-parameters.ts) and uploads a real
 * tar of the script's JSON members **simulated from the instance's fixtures** (`sandbox/aws/triage-fixture.ts`:
 * what its disk tree says would run), as the instance profile role, like the capture.
 */
import { createHash } from 'node:crypto';
import type * as SSM from '@aws-sdk/client-ssm';
import type { CallContext, Caller, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { agentReachesSsm, canReach } from '../network.js';
import type { CommandInvocation, Instance, RegionState } from '../world.js';
import { CAPTURE_PARAMETERS as DOCUMENT_PARAMETERS } from '../../../workflows/capture-parameters.js';
import { TRIAGE_PARAMETERS } from '../../../workflows/triage-parameters.js';
import { SANDBOX_AVML_BYTES } from '../tools.js';
import { SIMULATED_TRIAGE_NOTE, triageArchive } from '../triage-fixture.js';
import { EXAMINE_PARAMETERS } from '../../../workflows/examine-parameters.js';
import { checkLauncherCommand, EXAMINE_DOCUMENT, examineOnWorker, shutDownDue } from './forensic-worker.js';
import { putObject } from './s3.js';

export const MEMORY_DOCUMENT = 'ForensicsBot-CaptureMemory';
/** Live triage (`workflows/scripts/live-triage.sh`), simulated from the instance's fixtures. */
export const TRIAGE_DOCUMENT = 'ForensicsBot-LiveTriage';
const DOCUMENTS = new Set([MEMORY_DOCUMENT, TRIAGE_DOCUMENT, EXAMINE_DOCUMENT, 'AWS-RunShellScript']);

/**
 * The pinned AVML builds the sandbox's tools prefix holds (what the deploy's tools delivery puts there):
 * the capture refuses a binary whose SHA-256 is not the one the command names.
 */
export const SANDBOX_AVML = {
  version: '0.14.0',
  x86_64: createHash('sha256').update(SANDBOX_AVML_BYTES.x86_64).digest('hex'),
  aarch64: createHash('sha256').update(SANDBOX_AVML_BYTES.aarch64).digest('hex'),
} as const;

/** The documents' parameters as the deploy declares them (workflows/capture-parameters.ts, triage-parameters.ts). */
const compiled = (params: typeof DOCUMENT_PARAMETERS) =>
  Object.fromEntries(
    Object.entries(params).map(([name, p]) => [
      name,
      { pattern: new RegExp(p.pattern), optional: p.optional },
    ]),
  );
const PARAMETERS_OF: Record<string, ReturnType<typeof compiled>> = {
  [MEMORY_DOCUMENT]: compiled(DOCUMENT_PARAMETERS),
  [TRIAGE_DOCUMENT]: compiled(TRIAGE_PARAMETERS),
  [EXAMINE_DOCUMENT]: compiled(EXAMINE_PARAMETERS),
};

/** The SSM errors SendCommand answers for parameters the document would refuse. */
function checkDocumentParameters(
  ctx: CallContext,
  document: string,
  parameters: Record<string, string[]>,
): void {
  const declared = PARAMETERS_OF[document]!;
  for (const name of Object.keys(parameters))
    if (!declared[name])
      ctx.fail('InvalidParameters', `Parameter "${name}" is not defined in the document ${document}.`);
  for (const [name, spec] of Object.entries(declared)) {
    const values = parameters[name];
    if (!values) {
      if (!spec.optional) ctx.fail('InvalidParameters', `Parameter "${name}" is required.`);
      continue;
    }
    if (values.length !== 1 || !spec.pattern.test(values[0]!))
      ctx.fail(
        'InvalidParameters',
        `Parameter "${name}" "${values.join(',')}" failed to satisfy constraint: the value does not match its allowed pattern.`,
      );
  }
}

/** The simulated memory image of an instance: `bytes` deterministic bytes derived from its id. */
export function memoryImage(instanceId: string, bytes: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i * 32 < bytes; i += 1)
    blocks.push(createHash('sha256').update(`${instanceId}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, bytes);
}

/** Whether the instance's SSM agent is online now. */
export function agentOnline(ctx: CallContext, instance: Instance): boolean {
  return (
    instance.ssmManaged &&
    instance.state === 'running' &&
    !(ctx.faults.ssmOffline ?? []).includes(instance.instanceId) &&
    agentReachesSsm(ctx.here, instance)
  );
}

/**
 * Whether the instance can open HTTPS to a bucket in `bucketRegion`. An S3 endpoint (gateway or
 * interface) serves only buckets of its own region; a bucket elsewhere is reached over the internet, which
 * the simulated VPCs with S3 endpoints do not have (they have no NAT).
 */
export function reachesBucket(region: RegionState, instance: Instance, bucketRegion: string): boolean {
  if (bucketRegion === region.region) return canReach(region, instance, 's3');
  const hasS3Endpoint = [...region.endpoints.values()].some(
    (e) => e.vpcId === instance.vpcId && e.serviceName.endsWith('.s3'),
  );
  return !hasS3Endpoint && canReach(region, instance, 's3');
}

/** The role of the instance profile associated with the instance now (what its credentials are). */
function instanceRole(ctx: CallContext, instance: Instance): string | undefined {
  const association = [...ctx.here.associations.values()].find(
    (a) => a.instanceId === instance.instanceId && a.state === 'associated',
  );
  const profileName = association?.profileArn.split('/').pop();
  const profile = profileName
    ? ctx.world.account(ctx.here.account).instanceProfiles.get(profileName)
    : undefined;
  return profile?.roleNames[0];
}

function uuid(ctx: CallContext): string {
  const hex = ctx.world.token(32, '0123456789abcdef');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const param = (inv: CommandInvocation, name: string) => inv.parameters[name]?.[0];

/** The failure the faults ask of this instance's capture, if any. */
function injectedFailure(ctx: CallContext, instanceId: string) {
  return (ctx.faults.memoryCapture ?? []).find((f) => !f.instanceId || f.instanceId === instanceId)?.failure;
}

/** Runs the capture document at completion; sets status, output and exit code. */
function captureMemory(ctx: CallContext, inv: CommandInvocation, instance: Instance): void {
  const bucketName = param(inv, 'Bucket') ?? '';
  const key = param(inv, 'Key') ?? '';
  const arch = instance.architecture === 'arm64' ? 'aarch64' : 'x86_64';
  const toolsUri = param(inv, 'ToolsUri') ?? '';
  const fail = (code: number, message: string) =>
    Object.assign(inv, { status: 'Failed', responseCode: code, stderr: `${inv.stderr}${message}\n` });
  const fault = injectedFailure(ctx, instance.instanceId);
  inv.stdout = `forensics-bot capture: case ${param(inv, 'CaseId') ?? '?'}, ${arch}, kernel ${instance.kernelRelease}\n`;
  const wanted = param(inv, 'Tool') || 'auto';
  if (wanted === 'lime' && !param(inv, 'LimeModuleUri'))
    return void fail(2, 'lime requested but no LimeModuleUri given');
  if (fault === 'tool-missing')
    return void fail(
      2,
      `fetch failed: ${toolsUri}avml-${arch}: An error occurred (404) when calling the HeadObject operation: Not Found`,
    );
  const toolSha256 = SANDBOX_AVML[arch];
  if (param(inv, 'AvmlSha256') !== toolSha256)
    return void fail(
      3,
      `avml-${arch}: SHA-256 ${toolSha256} is not the expected ${param(inv, 'AvmlSha256')}; refusing to run it`,
    );
  const tool = 'avml';
  const toolVersion = `avml ${SANDBOX_AVML.version} (current CLI)`;
  const bucket = ctx.world.buckets.get(bucketName);
  const bucketRegion = bucket?.region ?? param(inv, 'Region') ?? ctx.here.region;
  if (fault === 'region-unreachable' || !reachesBucket(ctx.here, instance, bucketRegion))
    return void fail(
      4,
      `upload failed: Could not connect to the endpoint URL: "https://${bucketName}.s3.${bucketRegion}.amazonaws.com/${key}?uploads"`,
    );
  const image = memoryImage(instance.instanceId, instance.memoryBytes);
  if (fault === 'tool-fails')
    return void fail(
      5,
      `avml failed after ${Math.floor(image.length / 2)} of ${image.length} bytes; multipart upload aborted, nothing kept under ${key}`,
    );
  const role = instanceRole(ctx, instance);
  if (!role) return void fail(4, 'upload failed: Unable to locate credentials');
  const uploader: Caller = {
    account: ctx.here.account,
    region: bucketRegion,
    roleName: role,
    arn: `arn:aws:sts::${ctx.here.account}:assumed-role/${role}/${instance.instanceId}`,
  };
  const sha256 = createHash('sha256').update(image).digest('hex');
  // The upload is an S3 call: its errors carry S3's codes (as the AWS CLI prints them), not SSM's.
  const s3 = {
    ...ctx,
    service: 's3' as const,
    fail: (code: string, message: string): never => {
      throw Object.assign(new Error(message), { name: code });
    },
  };
  try {
    if (fault === 'upload-refused') s3.fail('AccessDenied', 'Access Denied (injected by the sandbox faults)');
    putObject(s3, uploader, {
      bucket: bucketName,
      key,
      body: image,
      metadata: { 'case-id': param(inv, 'CaseId') ?? '', tool, 'tool-sha256': toolSha256 },
      contentType: 'application/octet-stream',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: param(inv, 'KmsKeyId'),
      ifNoneMatch: '*',
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return void fail(
      4,
      `upload failed: An error occurred (${name}) when calling the CreateMultipartUpload operation: ${message}; nothing kept under ${key}`,
    );
  }
  inv.stdout += `streamed ${image.length} bytes to s3://${bucketName}/${key}\n`;
  // Beside the image: what examination needs, as the script uploads it (`<Key>.system.tar`).
  const context = systemContext(instance, arch);
  const systemKey = `${key}.system.tar`;
  let system: Record<string, unknown> | null = null;
  try {
    putObject(s3, uploader, {
      bucket: bucketName,
      key: systemKey,
      body: context.archive,
      metadata: { 'case-id': param(inv, 'CaseId') ?? '', 'kernel-release': instance.kernelRelease, arch },
      serverSideEncryption: 'aws:kms',
      kmsKeyId: param(inv, 'KmsKeyId'),
    });
    system = {
      key: systemKey,
      sha256: createHash('sha256').update(context.archive).digest('hex'),
      bytes: context.archive.length,
      files: context.files,
    };
  } catch (error) {
    inv.stderr += `the image is complete, but its examination context was not uploaded: ${error instanceof Error ? error.message : String(error)}\n`;
  }
  const banner = context.banner;
  inv.stdout += `${JSON.stringify({ sha256, bytes: image.length, kernel: instance.kernelRelease, arch, tool, toolVersion, toolSha256, source: '/proc/kcore', banner, system })}\n`;
  // Exit 7: the image is complete, its context is not (SSM reports Failed with that code).
  inv.status = system ? 'Success' : 'Failed';
  inv.responseCode = system ? 0 : 7;
}

/**
 * The examination context of a simulated instance: the files the script collects (the kernel banner,
 * `uname -m`, os-release, System.map, kallsyms), each hashed, and one archive of them standing for the
 * script's tar (the simulation does not write the tar format; its bytes are hashed and verified the same).
 */
function systemContext(instance: Instance, arch: string) {
  const banner = `Linux version ${instance.kernelRelease} (mockbuild@sandbox) #1 SMP`;
  const contents: [string, string][] = [
    ['proc-version', `${banner}\n`],
    ['uname-m', `${arch}\n`],
    ['os-release', 'NAME="Amazon Linux"\nVERSION="2023"\n'],
    [`System.map-${instance.kernelRelease}`, 'ffffffff81000000 T _text\n'],
    ['kallsyms', 'ffffffff81000000 T _text\n'],
  ];
  const files = contents.map(([name, text]) => ({
    name,
    sha256: createHash('sha256').update(text).digest('hex'),
    bytes: Buffer.byteLength(text),
  }));
  const archive = Buffer.from(contents.map(([name, text]) => `${name}\n${text}`).join(''));
  return { banner, files, archive };
}

/**
 * Runs the live-triage document at completion, as `live-triage.sh` would: the archive is simulated from the
 * instance's fixtures (`sandbox/aws/triage-fixture.ts`, said in the output), uploaded to `s3://Bucket/Key`
 * as the instance's own instance profile role with SSE-KMS; the result line is the script's.
 */
function liveTriage(ctx: CallContext, inv: CommandInvocation, instance: Instance): void {
  const bucketName = param(inv, 'Bucket') ?? '';
  const key = param(inv, 'Key') ?? '';
  const fail = (code: number, message: string) =>
    Object.assign(inv, {
      status: 'Failed',
      responseCode: code,
      stderr: `${inv.stderr}live-triage: ${message}\n`,
    });
  inv.stdout = `forensics-bot live triage: case ${param(inv, 'CaseId') ?? '?'}, ${SIMULATED_TRIAGE_NOTE}\n`;
  if (!key.startsWith(`${param(inv, 'CaseId')}/memory/`)) return void fail(2, 'parameter Key is not valid');
  const bucket = ctx.world.buckets.get(bucketName);
  const bucketRegion = bucket?.region ?? param(inv, 'Region') ?? ctx.here.region;
  if (!reachesBucket(ctx.here, instance, bucketRegion))
    return void fail(
      5,
      `upload to s3://${bucketName}/${key} failed: Could not connect to the endpoint URL: "https://${bucketName}.s3.${bucketRegion}.amazonaws.com/${key}"`,
    );
  const role = instanceRole(ctx, instance);
  if (!role) return void fail(5, `upload to s3://${bucketName}/${key} failed: Unable to locate credentials`);
  const privateIp = ctx.here.enis.get(instance.eniIds[0] ?? '')?.privateIp ?? '10.0.1.10';
  const triage = triageArchive(instance, privateIp, ctx.now());
  const uploader: Caller = {
    account: ctx.here.account,
    region: bucketRegion,
    roleName: role,
    arn: `arn:aws:sts::${ctx.here.account}:assumed-role/${role}/${instance.instanceId}`,
  };
  const sha256 = createHash('sha256').update(triage.archive).digest('hex');
  const s3 = {
    ...ctx,
    service: 's3' as const,
    fail: (code: string, message: string): never => {
      throw Object.assign(new Error(message), { name: code });
    },
  };
  try {
    putObject(s3, uploader, {
      bucket: bucketName,
      key,
      body: triage.archive,
      metadata: { 'case-id': param(inv, 'CaseId') ?? '', sha256 },
      contentType: 'application/x-tar',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: param(inv, 'KmsKeyId'),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return void fail(
      5,
      `upload to s3://${bucketName}/${key} failed: An error occurred (${name}) when calling the PutObject operation: ${message}`,
    );
  }
  inv.stdout += `${JSON.stringify({ sha256, bytes: triage.archive.length, key, members: triage.members, processes: triage.processes, collectedAt: triage.collectedAt, simulated: `live triage ${SIMULATED_TRIAGE_NOTE}` })}\n`;
  Object.assign(inv, { status: 'Success', responseCode: 0 });
}

const PLUGIN: Record<string, string> = {
  [MEMORY_DOCUMENT]: 'captureMemory',
  [TRIAGE_DOCUMENT]: 'liveTriage',
  [EXAMINE_DOCUMENT]: 'examine',
};

/** One poll: progress when the agent is reachable, time out when the command's time is up. */
function advance(ctx: CallContext, inv: CommandInvocation, timeoutSeconds: number): void {
  if (inv.status !== 'Pending' && inv.status !== 'InProgress') return;
  inv.polls += 1;
  const instance = ctx.here.instances.get(inv.instanceId);
  if (!instance || instance.state === 'terminated') {
    Object.assign(inv, { status: 'Failed', responseCode: -1, stderr: 'The instance was terminated.\n' });
    return;
  }
  if (!agentOnline(ctx, instance)) {
    if (ctx.clock.now() - inv.requestedAt.getTime() >= timeoutSeconds * 1000) inv.status = 'TimedOut';
    return;
  }
  if (inv.polls === 1) return;
  if (inv.status === 'Pending') {
    inv.status = 'InProgress';
    return;
  }
  if (inv.documentName === MEMORY_DOCUMENT) captureMemory(ctx, inv, instance);
  else if (inv.documentName === TRIAGE_DOCUMENT) liveTriage(ctx, inv, instance);
  else if (inv.documentName === EXAMINE_DOCUMENT) examineOnWorker(ctx, inv, instance);
  else Object.assign(inv, { status: 'Success', responseCode: 0 });
}

const timeouts = new WeakMap<CommandInvocation, number>();

export const ssmHandlers: HandlerTable = {
  DescribeInstanceInformationCommand: handler<
    SSM.DescribeInstanceInformationCommandInput,
    SSM.DescribeInstanceInformationCommandOutput
  >((ctx, input) => {
    shutDownDue(ctx);
    const wanted = [
      ...(input.Filters ?? []).filter((f) => f.Key === 'InstanceIds').flatMap((f) => f.Values ?? []),
      ...(input.InstanceInformationFilterList ?? [])
        .filter((f) => f.key === 'InstanceIds')
        .flatMap((f) => f.valueSet ?? []),
    ];
    const instances = [...ctx.here.instances.values()].filter(
      (i) =>
        i.ssmManaged && i.state !== 'terminated' && (wanted.length === 0 || wanted.includes(i.instanceId)),
    );
    return {
      InstanceInformationList: instances.map((i) => ({
        InstanceId: i.instanceId,
        PingStatus: agentOnline(ctx, i) ? 'Online' : 'ConnectionLost',
        LastPingDateTime: ctx.now(),
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: 'EC2Instance',
        IPAddress: ctx.here.enis.get(i.eniIds[0] ?? '')?.privateIp,
        ComputerName: `ip-${(ctx.here.enis.get(i.eniIds[0] ?? '')?.privateIp ?? '').replace(/\./g, '-')}.ec2.internal`,
      })),
    };
  }),

  SendCommandCommand: handler<SSM.SendCommandCommandInput, SSM.SendCommandCommandOutput>((ctx, input) => {
    shutDownDue(ctx);
    if (!input.DocumentName || !DOCUMENTS.has(input.DocumentName))
      ctx.fail(
        'InvalidDocument',
        `Document ${input.DocumentName} does not exist in account ${ctx.caller.account}`,
      );
    if (input.Targets?.length) ctx.fail('InvalidParameters', 'Targets are not simulated: pass InstanceIds');
    const ids = input.InstanceIds ?? [];
    if (ids.length === 0) ctx.fail('InvalidInstanceId', 'No instance ids given');
    for (const id of ids) {
      const instance = ctx.here.instances.get(id);
      // SSM refuses instances that are unknown, not managed, not running, or whose agent is offline.
      if (!instance || !agentOnline(ctx, instance))
        ctx.fail(
          'InvalidInstanceId',
          `Instances [[${id}]] not in a valid state for account ${ctx.caller.account}`,
        );
    }
    checkLauncherCommand(
      ctx,
      input.DocumentName!,
      ids.map((id) => ctx.here.instances.get(id)!),
    );
    const parameters = (input.Parameters ?? {}) as Record<string, string[]>;
    if (PARAMETERS_OF[input.DocumentName!]) checkDocumentParameters(ctx, input.DocumentName!, parameters);
    const commandId = uuid(ctx);
    const requestedAt = ctx.now();
    for (const instanceId of ids) {
      const inv: CommandInvocation = {
        commandId,
        instanceId,
        documentName: input.DocumentName!,
        parameters,
        requestedAt,
        status: 'Pending',
        polls: 0,
        stdout: '',
        stderr: '',
        responseCode: -1,
      };
      timeouts.set(inv, input.TimeoutSeconds ?? 3600);
      ctx.here.invocations.set(`${commandId}/${instanceId}`, inv);
    }
    return {
      Command: {
        CommandId: commandId,
        DocumentName: input.DocumentName,
        InstanceIds: ids,
        Status: 'Pending',
        RequestedDateTime: requestedAt,
        Comment: input.Comment,
        TimeoutSeconds: input.TimeoutSeconds,
        TargetCount: ids.length,
      },
    };
  }),

  CancelCommandCommand: handler<SSM.CancelCommandCommandInput, SSM.CancelCommandCommandOutput>(
    (ctx, input) => {
      const invocations = [...ctx.here.invocations.values()].filter(
        (inv) =>
          inv.commandId === input.CommandId &&
          (!input.InstanceIds?.length || input.InstanceIds.includes(inv.instanceId)),
      );
      if (invocations.length === 0) ctx.fail('InvalidCommandId', 'The command ID is not valid.');
      for (const inv of invocations)
        if (inv.status === 'Pending' || inv.status === 'InProgress') {
          inv.status = 'Cancelled';
          inv.stderr += 'Command cancelled: the agent stopped the script (its traps cleaned up).\n';
        }
      return {};
    },
  ),

  ListCommandsCommand: handler<SSM.ListCommandsCommandInput, SSM.ListCommandsCommandOutput>((ctx, input) => {
    const byId = new Map<string, CommandInvocation[]>();
    for (const inv of ctx.here.invocations.values())
      if (!input.CommandId || inv.commandId === input.CommandId)
        byId.set(inv.commandId, [...(byId.get(inv.commandId) ?? []), inv]);
    return {
      Commands: [...byId.values()].map((invs) => ({
        CommandId: invs[0]!.commandId,
        DocumentName: invs[0]!.documentName,
        InstanceIds: invs.map((i) => i.instanceId),
        // What anyone with ssm:ListCommands in the member account reads: the parameters as sent.
        Parameters: invs[0]!.parameters,
        RequestedDateTime: invs[0]!.requestedAt,
        Status: invs.every((i) => i.status === 'Success') ? 'Success' : invs[0]!.status,
      })),
    };
  }),

  GetCommandInvocationCommand: handler<
    SSM.GetCommandInvocationCommandInput,
    SSM.GetCommandInvocationCommandOutput
  >((ctx, input) => {
    shutDownDue(ctx);
    const inv = ctx.here.invocations.get(`${input.CommandId}/${input.InstanceId}`);
    if (!inv)
      ctx.fail(
        'InvocationDoesNotExist',
        'The command ID and instance ID you specified did not match any invocations.',
      );
    advance(ctx, inv!, timeouts.get(inv!) ?? 3600);
    return {
      CommandId: inv!.commandId,
      InstanceId: inv!.instanceId,
      DocumentName: inv!.documentName,
      PluginName: PLUGIN[inv!.documentName] ?? 'runShellScript',
      Status: inv!.status,
      StatusDetails: inv!.status,
      ResponseCode: inv!.responseCode,
      StandardOutputContent: inv!.stdout,
      StandardErrorContent: inv!.stderr,
      ExecutionStartDateTime: inv!.requestedAt.toISOString(),
    };
  }),
};
