import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Decision } from '../core/case-model.js';
import { CaseNotFoundError, InvalidInputError } from '../core/errors.js';
import { isIncidentId, newIncidentId } from '../core/ids.js';
import { db, isConditionFailed, tableName, updateIf } from '../core/table.js';
import { type IncidentRecord, IncidentRecordSchema, type IncidentStatus } from './model.js';

/** The incident's item in the case table (see model.ts); every state change is one conditional write. */

const key = (id: string) => ({ pk: `INCIDENT#${id}`, sk: 'INCIDENT' });
const nowIso = () => new Date().toISOString();

export type NewIncident = Omit<IncidentRecord, 'id' | 'status' | 'createdAt' | 'updatedAt'>;

/** Writes a new incident under a fresh id (a collision draws another). */
export async function createIncident(
  input: NewIncident & { id?: string },
  now = new Date(),
): Promise<IncidentRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const record = IncidentRecordSchema.parse({
      ...input,
      id: input.id ?? newIncidentId(now),
      status: 'open',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    try {
      await db().send(
        new PutCommand({
          TableName: tableName(),
          // In the table's index under `INCIDENT`, newest first, for a list of incidents (App Home).
          Item: { ...key(record.id), ...record, gsi1pk: 'INCIDENT', gsi1sk: record.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      // An id given by the caller was reserved by it (the sequence's claim): a collision is a conflict.
      if (!isConditionFailed(error) || input.id) throw error;
    }
  }
  throw new Error('Could not draw a free incident id after 5 attempts');
}

export async function getIncident(id: string): Promise<IncidentRecord | undefined> {
  if (!isIncidentId(id))
    throw new InvalidInputError(`"${id}" is not an incident id (INC-YYYYMMDD-XXXX)`, 'id');
  const out = await db().send(new GetCommand({ TableName: tableName(), Key: key(id), ConsistentRead: true }));
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = out.Item;
  return IncidentRecordSchema.parse(rest);
}

/** The newest incidents (at most `limit`), newest first: the index's `INCIDENT` partition. */
export async function listIncidents(limit = 20): Promise<IncidentRecord[]> {
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :incident',
      ExpressionAttributeValues: { ':incident': 'INCIDENT' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map(({ pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest }) =>
    IncidentRecordSchema.parse(rest),
  );
}

export async function requireIncident(id: string): Promise<IncidentRecord> {
  const found = await getIncident(id);
  if (!found) throw new CaseNotFoundError(`No incident ${id}`);
  return found;
}

/** Sets fields, never the status (see `moveIncident`). */
export async function patchIncident(
  id: string,
  patch: Partial<Pick<IncidentRecord, 'members' | 'skipped' | 'slack'>>,
  condition?: { expression: string; values?: Record<string, unknown> },
): Promise<IncidentRecord | undefined> {
  const entries = Object.entries({ ...patch, updatedAt: nowIso() }).filter(([, v]) => v !== undefined);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...condition?.values };
  const sets = entries.map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  const item = await updateIf<Record<string, unknown>>({
    Key: key(id),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition
      ? `attribute_exists(pk) AND ${condition.expression}`
      : 'attribute_exists(pk)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return IncidentRecordSchema.parse(rest);
}

/**
 * Moves the incident from exactly `from` to `to` (one conditional write: of racing callers, one wins),
 * with the decision when there is one. Undefined when it was not in `from`.
 */
export async function moveIncident(
  id: string,
  from: IncidentStatus,
  to: IncidentStatus,
  extra: { decision?: Decision; approvalRequestedAt?: string } = {},
): Promise<IncidentRecord | undefined> {
  const sets = ['#status = :to', 'updatedAt = :now'];
  const values: Record<string, unknown> = { ':to': to, ':from': from, ':now': nowIso() };
  if (extra.decision) {
    sets.push('decision = :decision');
    values[':decision'] = extra.decision;
  }
  if (extra.approvalRequestedAt) {
    sets.push('approvalRequestedAt = :requested');
    values[':requested'] = extra.approvalRequestedAt;
  }
  const item = await updateIf<Record<string, unknown>>({
    Key: key(id),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: '#status = :from',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
  });
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return IncidentRecordSchema.parse(rest);
}

/** Claims a one-time act on the incident (the approval card, the reminder): true for exactly one caller. */
export async function claimOnce(
  id: string,
  field: 'approvalClaim' | 'approvalRemindedAt' | 'summaryPostedAt',
): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(id),
        UpdateExpression: 'SET #f = :now',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#f)',
        ExpressionAttributeNames: { '#f': field },
        ExpressionAttributeValues: { ':now': nowIso() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** Gives a claim back (its act failed), so that the next caller tries again. */
export async function releaseClaim(id: string, field: 'approvalClaim' | 'summaryPostedAt'): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key(id),
      UpdateExpression: 'REMOVE #f',
      ExpressionAttributeNames: { '#f': field },
    }),
  );
}
