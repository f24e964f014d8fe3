import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { KnownBlock } from '@slack/types';
import { findingCardBlocks, findingCardText, type FindingCardState } from '../blocks/finding-card.js';
import { sequenceCardBlocks, sequenceCardText } from '../blocks/sequence-card.js';
import { type Finding, fingerprintOfOrigin, originOf } from '../core/finding.js';
import { db, isConditionFailed, tableName } from '../core/table.js';
import { getFingerprint } from '../intake/fingerprints.js';
import { intakeSettings } from '../intake/settings.js';
import { updateMessage } from '../intake/slack-posts.js';

/**
 * Attack sequences in the case table (`pk = SEQ#<fingerprint>`, `sk = SEQ`, TTL as the fingerprint's),
 * beside the sequence finding's own fingerprint record (which intake overwrites with each delivery's
 * finding, a Security Hub copy included):
 * - `finding`: the latest native GuardDuty `AttackSequence:*` finding, with its sequence — what the card
 *   draws and "Contain all" acts on, whichever copy came last;
 * - `members`: ids of the constituent findings (their `associatedAttackSequenceArn` is this sequence)
 *   folded into the card — a string set, so a repeat or a duplicate delivery counts once;
 * - `carded`: constituents that came before the sequence and got a card of their own (they keep it);
 * - `incidentId`: the incident "Contain all" opened (at most one per sequence: a conditional write).
 */

export interface SequenceItem {
  fingerprint: string;
  finding?: Finding;
  members?: Set<string>;
  carded?: Set<string>;
  incidentId?: string;
  renderedMembers?: number;
}

const key = (fingerprint: string) => ({ pk: `SEQ#${fingerprint}`, sk: 'SEQ' });
const ttl = (now: Date) => Math.floor(now.getTime() / 1000) + intakeSettings().FINGERPRINT_TTL_DAYS * 86_400;

/** The fingerprint of the sequence a constituent names (the same rule as the sequence finding's own). */
export const sequenceFingerprintOf = (sequenceArn: string): string =>
  fingerprintOfOrigin(`aws/guardduty|${sequenceArn}`);

export async function getSequence(fingerprint: string): Promise<SequenceItem | undefined> {
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: key(fingerprint), ConsistentRead: true }),
  );
  return out.Item ? { ...(out.Item as SequenceItem), fingerprint } : undefined;
}

/** Keeps the native sequence finding (the latest delivery's: GuardDuty updates a sequence as it grows). */
export async function recordSequence(
  fingerprint: string,
  finding: Finding,
  now: Date,
): Promise<SequenceItem> {
  const out = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(fingerprint),
      UpdateExpression: 'SET finding = :f, updatedAt = :now, expiresAt = :ttl',
      ExpressionAttributeValues: { ':f': finding, ':now': now.toISOString(), ':ttl': ttl(now) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return { ...(out.Attributes as SequenceItem), fingerprint };
}

/** Marks the sequence's incident; false when another click opened one first. */
export async function claimSequenceIncident(fingerprint: string, incidentId: string): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(fingerprint),
        UpdateExpression: 'SET incidentId = :id',
        ConditionExpression: 'attribute_exists(finding) AND attribute_not_exists(incidentId)',
        ExpressionAttributeValues: { ':id': incidentId },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

const size = (set: Set<string> | undefined) => set?.size ?? 0;

/**
 * A constituent finding of a sequence: folded into the sequence's card (counted there, no card of its
 * own) when the sequence is known; otherwise it gets its own card as any finding does, and is marked
 * `carded` so that its repeats keep updating that card rather than disappearing into the sequence later.
 * A responder who sees a high-severity finding must not wait for a sequence event that may come minutes
 * later (GuardDuty correlates after the fact), and a card that vanished would be worse.
 * Returns 'counted' when folded (the caller posts nothing), undefined when the finding goes its own way.
 */
export async function foldIntoSequence(
  finding: Finding,
  now: Date,
  onIncident: (incidentId: string) => Promise<void>,
): Promise<'counted' | undefined> {
  if (!finding.attackSequenceArn) return undefined;
  const fingerprint = sequenceFingerprintOf(finding.attackSequenceArn);
  const current = await getSequence(fingerprint);
  if (current?.carded?.has(finding.id)) return undefined;
  if (!current?.finding) {
    await addTo(fingerprint, 'carded', finding.id, now);
    return undefined;
  }
  const item = await addTo(fingerprint, 'members', finding.id, now);
  if (item.incidentId) await onIncident(item.incidentId);
  else await redrawSequenceCard(item);
  return 'counted';
}

async function addTo(
  fingerprint: string,
  set: 'members' | 'carded',
  id: string,
  now: Date,
): Promise<SequenceItem> {
  const out = await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(fingerprint),
      UpdateExpression: `ADD #set :id SET expiresAt = if_not_exists(expiresAt, :ttl)`,
      ExpressionAttributeNames: { '#set': set },
      ExpressionAttributeValues: { ':id': new Set([id]), ':ttl': ttl(now) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return { ...(out.Attributes as SequenceItem), fingerprint };
}

/**
 * Redraws a posted sequence card with its constituent count, once per new count (a conditional write on
 * `renderedMembers`: concurrent folds draw it once each time the count grew). A card a responder
 * dismissed, or not posted yet (its poster draws the count it reads), is left alone.
 */
async function redrawSequenceCard(item: SequenceItem): Promise<void> {
  const posted = await getFingerprint(item.fingerprint);
  if (posted?.status !== 'posted' || !posted.ts || !posted.channel || posted.dismissedBy || posted.caseId)
    return;
  const folded = size(item.members);
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(item.fingerprint),
        UpdateExpression: 'SET renderedMembers = :n',
        ConditionExpression: 'attribute_not_exists(renderedMembers) OR renderedMembers < :n',
        ExpressionAttributeValues: { ':n': folded },
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) return;
    throw error;
  }
  const card = await sequenceCard(item.finding!, item, {
    count: posted.count,
    lastSeen: posted.lastSeen,
    fingerprint: item.fingerprint,
  });
  await updateMessage(posted.channel, posted.ts, card.text, card.blocks);
}

function sequenceCard(finding: Finding, item: SequenceItem, state: FindingCardState) {
  return {
    text: sequenceCardText(finding),
    blocks: sequenceCardBlocks(finding, {
      ...state,
      constituents: { folded: size(item.members), carded: size(item.carded) },
    }),
  };
}

/** Security Hub's copies of a GuardDuty finding: they carry no sequence, the stored native one does. */
const isGuardDutyCopy = (finding: Finding) =>
  finding.source !== 'guardduty' && originOf(finding).startsWith('aws/guardduty|');

/**
 * The card intake draws for a finding: the sequence card when the finding is an attack sequence, or a
 * Security Hub copy (ASFF, OCSF) of one already seen natively — the copies share the native finding's
 * fingerprint (`originOf`), so they fold into the same card; the finding card otherwise. A copy that
 * comes before the native sequence draws a finding card (it carries no sequence), which the native
 * sequence's delivery then redraws as the sequence card.
 */
export async function cardFor(
  finding: Finding,
  fingerprint: string,
  state: FindingCardState,
  now: Date,
): Promise<{ text: string; blocks: KnownBlock[] }> {
  if (finding.sequence) return sequenceCard(finding, await recordSequence(fingerprint, finding, now), state);
  if (isGuardDutyCopy(finding)) {
    const stored = await getSequence(fingerprint);
    if (stored?.finding?.sequence) return sequenceCard(stored.finding, stored, state);
  }
  return { text: findingCardText(finding), blocks: findingCardBlocks(finding, state) };
}
