import { randomUUID } from 'node:crypto';
import type { CaseRecord } from '../../../bot/core/case-model.js';
import { getCase } from '../../../bot/core/case-store.js';
import { isIncidentId } from '../../../bot/core/ids.js';
import { listOpenCases } from '../../../bot/core/case-store.js';
import type { IncidentRecord } from '../../../bot/incidents/model.js';
import { getIncident } from '../../../bot/incidents/store.js';
import { handler as findingsHandler } from '../../../handlers/findings.js';
import { SEEDED } from '../../../sandbox/aws/index.js';
import { loadEvent } from '../../support/events.js';

/**
 * The composed `AttackSequence:EC2/CompromisedInstanceGroup` event (test/events/guardduty/SOURCES.md),
 * fresh (new finding id and ARN, so each test's sequence is a new card), over three seeded instances of
 * 333333333333/us-east-1 — or those given.
 */
export const SEQUENCE_INSTANCES = [
  SEEDED.instances.demo,
  SEEDED.instances.multiEni,
  SEEDED.instances.autoScaled,
];

export function sequenceEvent(instances: string[] = SEQUENCE_INSTANCES) {
  const event = loadEvent(
    'guardduty',
    'guardduty-finding-attacksequence-ec2-compromisedinstancegroup.composed',
  );
  const id = randomUUID().replaceAll('-', '');
  const arn = event.detail.arn.replace(/finding\/\w+$/, `finding/${id}`);
  Object.assign(event, { id: randomUUID(), time: new Date().toISOString() });
  Object.assign(event.detail, { id, arn });
  const sequence = event.detail.service.detection.sequence;
  sequence.uid = id;
  const template = sequence.resources.find((r: any) => r.resourceType === 'EC2_INSTANCE');
  sequence.resources = [
    ...instances.map((uid, n) => ({ ...structuredClone(template), uid, name: `web-${n + 1}` })),
    ...sequence.resources.filter((r: any) => r.resourceType !== 'EC2_INSTANCE'),
  ];
  return { event, arn, id };
}

/** A constituent finding of that sequence (GuardDuty's `associatedAttackSequenceArn`), on `instanceId`. */
export function constituentEvent(sequenceArn: string, instanceId: string) {
  const event = loadEvent(
    'guardduty',
    'guardduty-finding-ec2-sshbruteforce-constituent-of-attacksequence.composed',
  );
  const id = randomUUID().replaceAll('-', '');
  Object.assign(event, { id: randomUUID(), time: new Date().toISOString() });
  Object.assign(event.detail, {
    id,
    arn: event.detail.arn.replace(/finding\/\w+$/, `finding/${id}`),
    associatedAttackSequenceArn: sequenceArn,
  });
  event.detail.resource.instanceDetails.instanceId = instanceId;
  return event;
}

export const deliverFinding = (event: unknown) => findingsHandler(event as never);

/** The incident whose card is the message `ts`: its id is in the card's header. */
export async function incidentOfCard(blocks: unknown): Promise<IncidentRecord> {
  const id = /INC-\d{8}-[0-9A-Z]{4}/.exec(JSON.stringify(blocks))?.[0];
  if (!isIncidentId(id)) throw new Error('the card names no incident');
  return (await getIncident(id))!;
}

export async function memberCases(incident: IncidentRecord): Promise<CaseRecord[]> {
  return Promise.all(incident.members.map(async (m) => (await getCase(m.caseId))!));
}

export { listOpenCases };
