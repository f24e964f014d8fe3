import {
  DescribeAddressesCommand,
  DisassociateAddressCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { EniState, GroupKind, IsolationRecord } from '../../bot/core/case-model.js';
import { recordIsolation, requireCase } from '../../bot/core/case-store.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import { type MemberClients, member } from '../aws/member.js';
import { describeInstance } from './instance.js';
import { ensureGroups } from './security-groups.js';
import { count, defineStep, scopeOf, TargetInput } from './step.js';
import { ignore } from './detach-instance.js';

export type { EniState, IsolationRecord } from '../../bot/core/case-model.js';

/**
 * Isolates every network interface of the instance in two moves — first the allow-all group (tracked
 * connections become untracked), then the isolation group (untracked flows stop at once) — and
 * disassociates its Elastic IPs. With `keepEndpoints` the isolation group keeps HTTPS to the VPC's SSM
 * and S3 endpoints, for memory acquisition; run again without it to tighten.
 *
 * The case records the isolation before the first move and after each, so a failure half-way (access
 * denied, throttling past retries, the instance gone) leaves a record of exactly which ENIs moved.
 */
export const isolateNetwork = defineStep({
  name: 'isolateNetwork',
  label: 'Network isolated',
  input: TargetInput.extend({ keepEndpoints: z.boolean().default(false) }),
  async run(input) {
    const clients = member(scopeOf(input));
    const record = await requireCase(input.caseId);
    const config = record.originalConfig;
    const endpoints = config?.endpoints;
    const keep = input.keepEndpoints && !!endpoints && endpoints.ssm && endpoints.s3;
    const instance = await describeInstance(clients, input.instanceId, input.account, input.region);
    const enis = (instance.NetworkInterfaces ?? []).map((n) => ({
      id: n.NetworkInterfaceId ?? '',
      vpcId: n.VpcId ?? instance.VpcId ?? '',
      groups: (n.Groups ?? []).map((g) => g.GroupId ?? ''),
    }));
    const target: GroupKind = keep ? 'isolation-endpoints' : 'isolation';
    const iso: IsolationRecord = {
      status: 'in-progress',
      groups: {},
      enis: Object.fromEntries(enis.map((e) => [e.id, 'unchanged'])),
      elasticIpsDisassociated: [],
      updatedAt: new Date().toISOString(),
    };
    const save = () => recordIsolation(input.caseId, { ...iso, updatedAt: new Date().toISOString() });
    try {
      const vpcs = [...new Set(enis.map((e) => e.vpcId))];
      const groupsByVpc = new Map(
        await Promise.all(
          vpcs.map(
            async (vpc) => [vpc, await ensureGroups(clients, vpc, ['allow-all', target], endpoints)] as const,
          ),
        ),
      );
      iso.groups = groupsByVpc.get(vpcs[0] ?? '') ?? {};
      const previous = record.isolation?.groups ?? {};
      const botIsolationGroups = new Set(
        [previous.isolation, previous['isolation-endpoints']].filter((g): g is string => !!g),
      );
      await save();
      // Every ENI runs to its end (isolated, or back in its own groups) before a failure is thrown, so
      // no ENI is left in the allow-all group behind a failed sibling.
      const settled = await Promise.allSettled([
        ...enis.map(async (eni) => {
          const groups = groupsByVpc.get(eni.vpcId);
          const allowAll = groups?.['allow-all'];
          const isolation = groups?.[target];
          if (!allowAll || !isolation) throw new Error(`No isolation groups in ${eni.vpcId}`);
          if (eni.groups.length === 1 && eni.groups[0] === isolation) {
            iso.enis[eni.id] = 'isolated';
            return;
          }
          // Already in the other isolation group (tightening after memory capture): one move, never
          // through allow-all, which would open the network again for a moment.
          const isolatedAlready = eni.groups.length === 1 && botIsolationGroups.has(eni.groups[0] ?? '');
          // Back to where it was before the case touched it (the recorded configuration), never to allow-all.
          const own = (config?.networkInterfaces?.find((n) => n.id === eni.id)?.groups ?? eni.groups).filter(
            (g) => g !== allowAll,
          );
          await isolateEni(
            clients,
            { id: eni.id, groups: own },
            isolatedAlready ? undefined : allowAll,
            isolation,
            (state) => {
              iso.enis[eni.id] = state;
            },
          );
        }),
        disassociateElasticIps(clients, input.instanceId, iso),
      ]);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      iso.status = keep ? 'isolated-with-endpoints' : 'isolated';
      await save();
    } catch (error) {
      iso.status = 'partial';
      iso.error = describeError(error);
      try {
        await save();
      } catch (saveError) {
        logger.error('Could not record the partial isolation', {
          caseId: input.caseId,
          error: saveError as Error,
        });
      }
      throw error;
    }
    return {
      mode: iso.status,
      enis: enis.length,
      elasticIps: iso.elasticIpsDisassociated.length,
      groups: iso.groups,
    };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${count(out.enis, 'ENI')} moved to ${out.mode === 'isolated-with-endpoints' ? 'isolation (HTTPS to SSM/S3 endpoints kept for memory capture)' : 'full isolation'}${out.elasticIps ? `, ${count(out.elasticIps, 'Elastic IP')} disassociated` : ''}`,
  }),
});

/** How often the move into isolation is tried before the ENI is put back into its own groups. */
const ISOLATION_ATTEMPTS = 3;

/**
 * Moves one ENI through allow-all (when given) into isolation. If the move into isolation fails after
 * the ENI reached allow-all, it is tried again, then the ENI is put back into its recorded groups: an
 * ENI never stays open to everything because a later call failed. Throws the first error after that.
 */
async function isolateEni(
  clients: MemberClients,
  eni: { id: string; groups: string[] },
  allowAll: string | undefined,
  isolation: string,
  state: (s: EniState) => void,
): Promise<void> {
  if (allowAll) {
    await moveEni(clients, eni.id, allowAll);
    state('allow-all');
  }
  let failure: unknown;
  for (let attempt = 1; attempt <= (allowAll ? ISOLATION_ATTEMPTS : 1); attempt++) {
    try {
      await moveEni(clients, eni.id, isolation);
      state('isolated');
      return;
    } catch (error) {
      failure ??= error;
      logger.warn('Move into isolation failed', { eniId: eni.id, attempt, error: error as Error });
    }
  }
  if (allowAll && eni.groups.length) {
    for (let attempt = 1; attempt <= ISOLATION_ATTEMPTS; attempt++) {
      try {
        await moveEni(clients, eni.id, ...eni.groups);
        state('restored');
        break;
      } catch (error) {
        logger.error('Could not put the ENI back into its own groups', {
          eniId: eni.id,
          attempt,
          error: error as Error,
        });
      }
    }
  }
  throw failure;
}

async function moveEni(clients: MemberClients, eniId: string, ...groupIds: string[]) {
  await clients
    .ec2()
    .send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: groupIds }));
}

async function disassociateElasticIps(clients: MemberClients, instanceId: string, iso: IsolationRecord) {
  const out = await clients
    .ec2()
    .send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
  await Promise.all(
    (out.Addresses ?? [])
      .filter((a) => a.AssociationId)
      .map(async (a) => {
        await clients
          .ec2()
          .send(new DisassociateAddressCommand({ AssociationId: a.AssociationId }))
          .catch(ignore('InvalidAssociationID.NotFound'));
        iso.elasticIpsDisassociated.push(a.PublicIp ?? a.AllocationId ?? '');
      }),
  );
}
