import { CreateTagsCommand, DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { MemberClients } from '../aws/member.js';
import { InstanceNotFoundError, isInstanceGone } from '../errors.js';

/** The instance's tags that say where it stands. Values are written by the workflows only. */
export const STATUS_TAG = 'SecurityIncidentStatus';
export const CASE_TAG = 'ir-case-id';

/**
 * Values the workflows write into `SecurityIncidentStatus`. `Analyze` and `Contain` are the triggers
 * people set (intake reacts to them); these are never one of those, so writing them starts nothing.
 */
export const INSTANCE_STATUS = {
  preserved: 'Preserved',
  containing: 'Containing',
  contained: 'Contained',
  analyzed: 'Analyzed',
  containmentDenied: 'ContainmentDenied',
  failed: 'Failed',
  failedContained: 'FailedContained',
  released: 'Released',
} as const;

/** Describes the instance; a missing or terminated instance is `InstanceNotFoundError`. */
export async function describeInstance(
  clients: MemberClients,
  instanceId: string,
  account: string,
  region: string,
): Promise<Instance> {
  let instance: Instance | undefined;
  try {
    const out = await clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  } catch (error) {
    if (isInstanceGone(error)) throw notFound(instanceId, account, region, error);
    throw error;
  }
  if (!instance) throw notFound(instanceId, account, region);
  const state = instance.State?.Name;
  if (state === 'terminated' || state === 'shutting-down')
    throw new InstanceNotFoundError(`${instanceId} in ${account}/${region} is ${state}`);
  return instance;
}

const notFound = (instanceId: string, account: string, region: string, cause?: unknown) =>
  new InstanceNotFoundError(`${instanceId} does not exist in ${account}/${region} (terminated?)`, { cause });

/** Sets `SecurityIncidentStatus` (and the case id tag) on the instance. */
export async function tagInstance(
  clients: MemberClients,
  instanceId: string,
  status: string,
  caseId: string,
): Promise<void> {
  try {
    await clients.ec2().send(
      new CreateTagsCommand({
        Resources: [instanceId],
        Tags: [
          { Key: STATUS_TAG, Value: status },
          { Key: CASE_TAG, Value: caseId },
        ],
      }),
    );
  } catch (error) {
    if (isInstanceGone(error)) throw notFound(instanceId, 'its account', 'region', error);
    throw error;
  }
}
