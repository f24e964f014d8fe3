/**
 * SSM: managed instances (Online while the agent runs and its primary ENI's security groups let HTTPS
 * out to the SSM endpoints or, without endpoints, to the internet), and Run Command. An invocation moves
 * Pending -> InProgress -> Success|Failed over three GetCommandInvocation polls, and only while the agent
 * can reach SSM; otherwise it stays put until its timeout (TimedOut).
 *
 * `ForensicsBot-CaptureMemory` (parameters `CaseId`, `Bucket`, `Key`, `AccessKeyId`, `SecretAccessKey`,
 * `SessionToken`, optional `Tool` auto|avml|lime, `ExpectedBytes`) streams a deterministic image derived
 * from the instance id (size = the instance's simulated RAM) into the bucket as the given credentials —
 * so their session policy and expiry apply — with the SHA-256 and kernel release in the object metadata,
 * and ends its output with `{"sha256","bytes","kernel","tool"}`. The upload needs HTTPS to S3 (endpoint
 * or internet); without credentials it runs as the instance, which the evidence bucket refuses.
 */
import { createHash } from 'node:crypto';
import type * as SSM from '@aws-sdk/client-ssm';
import { resolveCaller } from '../access.js';
import type { CallContext, Caller, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { agentReachesSsm, canReach } from '../network.js';
import type { CommandInvocation, Instance } from '../world.js';
import { putObject } from './s3.js';

export const MEMORY_DOCUMENT = 'ForensicsBot-CaptureMemory';
const DOCUMENTS = new Set([MEMORY_DOCUMENT, 'AWS-RunShellScript']);
const TOOLS: Record<string, string> = { auto: 'avml 0.14.0', avml: 'avml 0.14.0', lime: 'lime 1.9.1' };

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

function uuid(ctx: CallContext): string {
  const hex = ctx.world.token(32, '0123456789abcdef');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const param = (inv: CommandInvocation, name: string) => inv.parameters[name]?.[0];

/** Runs the capture document at completion; sets status, output and exit code. */
function captureMemory(ctx: CallContext, inv: CommandInvocation, instance: Instance): void {
  const tool = TOOLS[param(inv, 'Tool') ?? 'auto'] ?? TOOLS.auto!;
  const bucket = param(inv, 'Bucket') ?? '';
  const key = param(inv, 'Key') ?? '';
  const fail = (message: string) =>
    Object.assign(inv, { status: 'Failed', responseCode: 1, stderr: `${message}\n` });
  inv.stdout = `forensics-bot capture: case ${param(inv, 'CaseId') ?? '?'}, ${tool}, kernel ${instance.kernelRelease}\n`;
  if (!canReach(ctx.here, instance, 's3'))
    return void fail(
      `upload failed: Could not connect to the endpoint URL: "https://${bucket}.s3.amazonaws.com/${key}"`,
    );
  const accessKeyId = param(inv, 'AccessKeyId');
  let uploader: Caller = {
    account: ctx.here.account,
    region: ctx.here.region,
    arn: `arn:aws:sts::${ctx.here.account}:assumed-role/instance-role/${instance.instanceId}`,
  };
  if (accessKeyId) {
    const resolved = resolveCaller(
      ctx.world,
      ctx.org,
      { accessKeyId, secretAccessKey: param(inv, 'SecretAccessKey') },
      ctx.here.region,
      ctx.clock.now(),
    );
    if ('error' in resolved)
      return void fail(
        `upload failed: An error occurred (${resolved.error}) when calling the PutObject operation`,
      );
    uploader = resolved;
  }
  const image = memoryImage(instance.instanceId, instance.memoryBytes);
  const sha256 = createHash('sha256').update(image).digest('hex');
  try {
    putObject(ctx, uploader, {
      bucket,
      key,
      body: image,
      metadata: {
        'kernel-release': instance.kernelRelease,
        sha256,
        'case-id': param(inv, 'CaseId') ?? '',
        tool,
      },
      contentType: 'application/octet-stream',
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return void fail(
      `upload failed: An error occurred (${name}) when calling the PutObject operation: ${message}`,
    );
  }
  inv.stdout += `streamed ${image.length} bytes to s3://${bucket}/${key}\n`;
  inv.stdout += `${JSON.stringify({ sha256, bytes: image.length, kernel: instance.kernelRelease, tool })}\n`;
  inv.status = 'Success';
  inv.responseCode = 0;
}

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
  else Object.assign(inv, { status: 'Success', responseCode: 0 });
}

const timeouts = new WeakMap<CommandInvocation, number>();

export const ssmHandlers: HandlerTable = {
  DescribeInstanceInformationCommand: handler<
    SSM.DescribeInstanceInformationCommandInput,
    SSM.DescribeInstanceInformationCommandOutput
  >((ctx, input) => {
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
    const commandId = uuid(ctx);
    const requestedAt = ctx.now();
    const parameters = (input.Parameters ?? {}) as Record<string, string[]>;
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

  GetCommandInvocationCommand: handler<
    SSM.GetCommandInvocationCommandInput,
    SSM.GetCommandInvocationCommandOutput
  >((ctx, input) => {
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
      PluginName: inv!.documentName === MEMORY_DOCUMENT ? 'captureMemory' : 'runShellScript',
      Status: inv!.status,
      StatusDetails: inv!.status,
      ResponseCode: inv!.responseCode,
      StandardOutputContent: inv!.stdout,
      StandardErrorContent: inv!.stderr,
      ExecutionStartDateTime: inv!.requestedAt.toISOString(),
    };
  }),
};
