/**
 * An outbreak in the simulated organization (issue 13): copies of a seeded instance (same subnet,
 * groups, instance profile; their own ENIs and volumes), and the GuardDuty attack sequence naming them —
 * the composed `AttackSequence:EC2/CompromisedInstanceGroup` event of test/events/guardduty/ (see its
 * SOURCES.md: composed from the GuardDuty API Reference, not a real event), fresh ids and times.
 * The sandbox page's "Outbreak" button and the outbreak benchmark use it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEEDED } from './aws/index.js';
import { guardDutyFindingArn } from './aws/services/guardduty.js';
import type { World } from './aws/world.js';

type Json = Record<string, any>;

export interface OutbreakTarget {
  account: string;
  region: string;
  instanceId: string;
  name: string;
}

/** The member accounts and the seeded instance each copies (both in us-east-1). */
export const OUTBREAK_TEMPLATES = [
  { account: '333333333333', instanceId: SEEDED.instances.autoScaledPeer },
  { account: '444444444444', instanceId: SEEDED.instances.secondAccount },
] as const;
export const OUTBREAK_REGION = 'us-east-1';

/** Copies of a seeded instance; `base` makes the ids distinct between calls (ids are hex of base + n). */
export function cloneInstances(
  world: World,
  account: string,
  templateId: string,
  count: number,
  base: number,
  region = OUTBREAK_REGION,
): OutbreakTarget[] {
  const r = world.region(account, region);
  const template = r.instances.get(templateId);
  if (!template) throw new Error(`no seeded ${templateId} in ${account}`);
  const association = [...r.associations.values()].find(
    (a) => a.instanceId === templateId && a.state === 'associated',
  );
  const out: OutbreakTarget[] = [];
  for (let n = 0; n < count; n++) {
    const instanceId = `i-${(base + n).toString(16).padStart(17, '0')}`;
    if (r.instances.has(instanceId)) throw new Error(`${instanceId} exists already in ${account}`);
    const eniIds = template.eniIds.map((id) => {
      const eni = r.enis.get(id)!;
      const eniId = world.id('eni');
      r.enis.set(eniId, {
        ...eni,
        groupIds: [...eni.groupIds],
        connections: { ...eni.connections },
        tags: {},
        eniId,
        instanceId,
        attachmentId: world.id('eni-attach'),
        privateIp: eni.privateIp.replace(/\.\d+$/, `.${100 + (n % 150)}`),
        autoPublicIp: undefined,
      });
      return eniId;
    });
    const blockDevices = template.blockDevices.map((d) => {
      const volume = r.volumes.get(d.volumeId)!;
      const volumeId = world.id('vol');
      // The content object is shared: it is only ever read (snapshots copy it).
      r.volumes.set(volumeId, { ...volume, volumeId, instanceId, tags: { ...volume.tags } });
      return { ...d, volumeId };
    });
    const name = `outbreak-${account.slice(0, 3)}-${(base & 0xfff).toString(16)}-${n + 1}`;
    const tags: Record<string, string> = { ...template.tags, Name: name };
    delete tags['aws:autoscaling:groupName'];
    r.instances.set(instanceId, { ...template, instanceId, eniIds, blockDevices, tags });
    if (association) {
      const associationId = world.id('iip-assoc');
      r.associations.set(associationId, { ...association, associationId, instanceId });
    }
    out.push({ account, region, instanceId, name });
  }
  return out;
}

let outbreaks = 0;

/** `count` new instances over the member accounts (the first gets the extra one), for one outbreak. */
export function outbreakInstances(world: World, count: number): OutbreakTarget[] {
  const base = 0xc00000 + ++outbreaks * 0x1000 + Math.floor(Math.random() * 0x800);
  const first = Math.ceil(count / 2);
  return OUTBREAK_TEMPLATES.flatMap((t, i) =>
    cloneInstances(world, t.account, t.instanceId, i === 0 ? first : count - first, base + i * 0x800),
  );
}

const EVENT = join(
  import.meta.dirname,
  '..',
  'test',
  'events',
  'guardduty',
  'guardduty-finding-attacksequence-ec2-compromisedinstancegroup.composed.json',
);

/**
 * The attack sequence over these instances, as the security account's event bus receives it: GuardDuty
 * (the delegated administrator) reports it in the first target's account; every instance is a resource
 * with its own account.
 */
export function attackSequenceEvent(
  targets: OutbreakTarget[],
  securityAccount: string,
  now = new Date(),
): Json {
  const event = JSON.parse(readFileSync(EVENT, 'utf8')) as Json;
  const detail = event.detail as Json;
  const id = randomUUID().replaceAll('-', '');
  const account = targets[0]?.account ?? detail.accountId;
  const iso = now.toISOString();
  Object.assign(event, { id: randomUUID(), time: iso, account: securityAccount, region: OUTBREAK_REGION });
  Object.assign(detail, {
    id,
    arn: guardDutyFindingArn(account, OUTBREAK_REGION, id),
    accountId: account,
    region: OUTBREAK_REGION,
    createdAt: iso,
    updatedAt: iso,
    title: `Potential compromise of a group of ${targets.length} EC2 instances indicated by a sequence of actions.`,
  });
  detail.service.eventFirstSeen = new Date(now.getTime() - 40 * 60_000).toISOString();
  detail.service.eventLastSeen = iso;
  const sequence = detail.service.detection.sequence as Json;
  sequence.uid = id;
  sequence.description = `A group of ${targets.length} EC2 instances across ${new Set(targets.map((t) => t.account)).size} accounts shows a sequence of cryptomining, command-and-control and credential misuse activity.`;
  const template = (sequence.resources as Json[]).find((r) => r.resourceType === 'EC2_INSTANCE')!;
  sequence.resources = [
    ...targets.map((t) => ({
      ...structuredClone(template),
      uid: t.instanceId,
      name: t.name,
      accountId: t.account,
      region: t.region,
      tags: [{ key: 'Name', value: t.name }],
    })),
    ...(sequence.resources as Json[]).filter((r) => r.resourceType !== 'EC2_INSTANCE'),
  ];
  for (const signal of sequence.signals as Json[])
    if (signal.type === 'FINDING') signal.resourceUids = targets.slice(0, 3).map((t) => t.instanceId);
  return event;
}
