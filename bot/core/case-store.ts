import { GetCommand, PutCommand, QueryCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { CaseConflictError, CaseNotFoundError, InvalidInputError } from './errors.js';
import { isCaseId, newCaseId } from './ids.js';
import { db, isConditionFailed, tableName, updateIf } from './table.js';
import {
  type Actor,
  type Artifact,
  type AuditEvent,
  type CaseRecord,
  CaseRecordSchema,
  type CaseStatus,
  canTransition,
  type ExaminationRecord,
  ExaminationSchema,
  type IsolationRecord,
  type MemoryPlan,
  MemoryPlanSchema,
  IsolationSchema,
  type NewCase,
  type OriginalConfig,
  OriginalConfigSchema,
  type StepRecord,
  type Target,
  TargetSchema,
  type TriggeredBy,
  TriggeredBySchema,
} from './case-model.js';

/**
 * The case store. Opening a case is two conditional writes (dynalite, like the sandbox, has no
 * transactions): first the instance guard, which makes "one open case per instance" true under any
 * concurrency, then the case record. A crash between the two is healed by the next open of the same
 * instance, which finds the guard and writes the record it names.
 */

const caseKey = (id: string) => ({ pk: `CASE#${id}`, sk: 'CASE' });
const guardKey = (t: Target) => ({ pk: `INSTANCE#${t.account}#${t.region}#${t.instanceId}`, sk: 'OPEN' });
const nowIso = () => new Date().toISOString();
let auditSeq = 0;

export interface OpenCaseResult {
  record: CaseRecord;
  /** false when the instance already had an open case, which is returned instead. */
  created: boolean;
}

export async function openCase(input: NewCase, now: Date = new Date()): Promise<OpenCaseResult> {
  const target = TargetSchema.parse(input.target);
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = input.id ?? newCaseId(now);
    if (!isCaseId(id)) throw new InvalidInputError(`"${id}" is not a case id (CASE-YYYYMMDD-XXXX)`, 'id');
    const record: CaseRecord = {
      ...input,
      id,
      target,
      status: 'open',
      slack: input.slack ?? {},
      artifacts: [],
      steps: [],
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    try {
      await db().send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...guardKey(target), caseId: id, record, createdAt: record.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return { record: await existingCaseOf(target), created: false };
    }
    try {
      await putNewCase(record);
      return { record, created: true };
    } catch (error) {
      // A case id collision (same day, same four characters): free the guard and draw another id.
      if (!isConditionFailed(error) || input.id) throw error;
      await db().send(new DeleteCommand({ TableName: tableName(), Key: guardKey(target) }));
    }
  }
  throw new CaseConflictError('Could not draw a free case id after 5 attempts');
}

async function putNewCase(record: CaseRecord): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...caseKey(record.id), ...record, gsi1pk: 'OPEN', gsi1sk: record.createdAt },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

async function existingCaseOf(target: Target): Promise<CaseRecord> {
  const guard = await db().send(
    new GetCommand({ TableName: tableName(), Key: guardKey(target), ConsistentRead: true }),
  );
  if (!guard.Item)
    throw new CaseConflictError('The open case of this instance was closed meanwhile; try again');
  const found = await getCase(guard.Item.caseId as string);
  if (found) return found;
  // Heal a half-open case: the guard was written, the record was not.
  const record = CaseRecordSchema.parse(guard.Item.record);
  try {
    await putNewCase(record);
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  return (await getCase(record.id)) ?? record;
}

export async function getCase(id: string): Promise<CaseRecord | undefined> {
  if (!isCaseId(id)) throw new InvalidInputError(`"${id}" is not a case id (CASE-YYYYMMDD-XXXX)`, 'caseId');
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: caseKey(id), ConsistentRead: true }),
  );
  return out.Item ? fromItem(out.Item) : undefined;
}

export async function requireCase(id: string): Promise<CaseRecord> {
  const found = await getCase(id);
  if (!found) throw new CaseNotFoundError(`No case ${id}`);
  return found;
}

/** The open case of an instance, if any. */
export async function openCaseOf(target: Target): Promise<CaseRecord | undefined> {
  const guard = await db().send(
    new GetCommand({ TableName: tableName(), Key: guardKey(target), ConsistentRead: true }),
  );
  return guard.Item ? getCase(guard.Item.caseId as string) : undefined;
}

type Patch = Partial<Omit<CaseRecord, 'id' | 'status' | 'steps' | 'artifacts' | 'createdAt'>>;

/** Sets fields of a case (never its status: see `transition`). */
export async function updateCase(id: string, patch: Patch): Promise<CaseRecord> {
  const entries = Object.entries({ ...patch, updatedAt: nowIso() }).filter(([, v]) => v !== undefined);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = entries.map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  return update(id, `SET ${sets.join(', ')}`, names, values);
}

/** The instance's original configuration; written once (a re-run keeps the first). */
export async function recordConfiguration(id: string, config: OriginalConfig): Promise<CaseRecord> {
  return updateCase(id, { originalConfig: OriginalConfigSchema.parse(config) });
}

/** Isolation as it stands now (before the first move, after each, and at the end). */
export async function recordIsolation(id: string, isolation: IsolationRecord): Promise<CaseRecord> {
  return updateCase(id, { isolation: IsolationSchema.parse(isolation) });
}

/** Containment completed at `at` (kept by the manifest and the outcome). */
export async function recordContained(id: string, at: string): Promise<CaseRecord> {
  return updateCase(id, { containedAt: at });
}

/** The roles whose older sessions were revoked. */
export async function recordSessionsRevoked(id: string, at: string, roles: string[]): Promise<CaseRecord> {
  return updateCase(id, { sessionsRevokedAt: at, sessionsRevokedRoles: roles });
}

/** How each acquisition ended and the outcome in words (the workflow's last step, through the case story). */
export async function recordOutcome(
  id: string,
  outcome: { evidence: Record<string, string>; outcome: string; failure?: string },
): Promise<CaseRecord> {
  return updateCase(id, outcome);
}

/** The memory capture's plan: order of volatility, destination bucket and why (issue 15). */
export async function recordMemoryPlan(id: string, plan: MemoryPlan): Promise<CaseRecord> {
  return updateCase(id, { memoryPlan: MemoryPlanSchema.parse(plan) });
}

/** Who triggered a tag case, as CloudTrail says (or why it does not say). */
export async function recordTriggeredBy(id: string, triggeredBy: TriggeredBy): Promise<CaseRecord> {
  return updateCase(id, { triggeredBy: TriggeredBySchema.parse(triggeredBy) });
}

/** The execution that runs the case's workflow. */
export async function recordExecution(id: string, executionArn: string): Promise<CaseRecord> {
  return updateCase(id, { executionArn });
}

/** A step AWS throttled (it will be retried): where a failure after every retry happened. */
export async function recordThrottled(id: string, step: string, error: string): Promise<CaseRecord> {
  return updateCase(id, { throttled: { step, error, at: nowIso() } });
}

/** The release execution that is running now (or ran last). */
export async function recordReleaseExecution(id: string, executionArn: string): Promise<CaseRecord> {
  return updateCase(id, { releaseExecutionArn: executionArn });
}

/** The manifest as written: where, and its SHA-256. */
export async function recordManifest(
  id: string,
  manifest: { uri: string; sha256: string },
): Promise<CaseRecord> {
  return updateCase(id, { manifest });
}

/** Records the examination of the case's evidence (one section, replaced whole by a later examination). */
export async function recordExamination(id: string, examination: ExaminationRecord): Promise<CaseRecord> {
  return updateCase(id, { examination: ExaminationSchema.parse(examination) });
}

/**
 * Stores an approval request's task token. A fresh request (the case is not awaiting approval yet)
 * starts the clock and clears an earlier cycle's decision; a repeated one (a reminder round, a retried
 * step) only replaces the token, so `approvalRequestedAt` stays the first request's time.
 */
export async function recordApprovalRequest(
  id: string,
  taskToken: string,
  fresh: boolean,
  requestedAt: string = nowIso(),
): Promise<CaseRecord> {
  const names: Record<string, string> = { '#t': 'taskToken', '#r': 'approvalRequestedAt', '#u': 'updatedAt' };
  const values: Record<string, unknown> = { ':t': taskToken, ':r': requestedAt, ':u': nowIso() };
  if (fresh) {
    names['#d'] = 'decision';
    return update(id, 'SET #t = :t, #r = :r, #u = :u REMOVE #d', names, values);
  }
  return update(id, 'SET #t = :t, #r = if_not_exists(#r, :r), #u = :u', names, values);
}

/**
 * Claims the case's next release: one release execution per case at a time. A conditional write sets
 * `releaseInFlight` to the execution's name and counts the attempt; a second claim while one runs (or
 * one that raced this one to the same count) gets undefined. The progress handler frees it at the end.
 */
export async function claimRelease(
  id: string,
  previousCount: number,
  executionName: string,
): Promise<CaseRecord | undefined> {
  const item = await updateIf<Record<string, unknown>>({
    Key: caseKey(id),
    UpdateExpression: 'SET #f = :name, #n = :n, #u = :u',
    ConditionExpression:
      'attribute_exists(pk) AND attribute_not_exists(#f) AND (attribute_not_exists(#n) OR #n = :prev)',
    ExpressionAttributeNames: { '#f': 'releaseInFlight', '#n': 'releaseCount', '#u': 'updatedAt' },
    ExpressionAttributeValues: {
      ':name': executionName,
      ':n': previousCount + 1,
      ':prev': previousCount,
      ':u': nowIso(),
    },
  });
  return item ? fromItem(item) : undefined;
}

/**
 * Claims a containment request of a case whose workflow ended uncontained, as one decision: only while
 * the case is still `from` and no other request got in first (`previousCount` requests before this one).
 * The case's actions gain `contain`. Undefined when the claim lost.
 */
export async function claimContainRequest(
  id: string,
  from: CaseStatus,
  previousCount: number,
  request: { by: Actor; execution: string },
): Promise<CaseRecord | undefined> {
  const at = nowIso();
  const current = await requireCase(id);
  const actions = current.actions.includes('contain') ? current.actions : [...current.actions, 'contain'];
  const item = await updateIf<Record<string, unknown>>({
    Key: caseKey(id),
    UpdateExpression: 'SET #r = list_append(if_not_exists(#r, :none), :req), #a = :actions, #u = :u',
    ConditionExpression: `attribute_exists(pk) AND #s = :from AND ${previousCount === 0 ? 'attribute_not_exists(#r)' : 'size(#r) = :prev'}`,
    ExpressionAttributeNames: { '#r': 'containRequests', '#a': 'actions', '#s': 'status', '#u': 'updatedAt' },
    ExpressionAttributeValues: {
      ':none': [],
      ':req': [{ ...request, at }],
      ':actions': actions,
      ':from': from,
      ':u': at,
      ...(previousCount === 0 ? {} : { ':prev': previousCount }),
    },
  });
  return item ? fromItem(item) : undefined;
}

/** Frees the release claim of that execution (no-op when another claim holds it, or none). */
export async function endRelease(id: string, executionName: string): Promise<void> {
  await updateIf({
    Key: caseKey(id),
    UpdateExpression: 'REMOVE #f',
    ConditionExpression: '#f = :name',
    ExpressionAttributeNames: { '#f': 'releaseInFlight' },
    ExpressionAttributeValues: { ':name': executionName },
  });
}

/**
 * Reopens a failed case for a retry of its workflow, as one decision: only a case that is `failed` now
 * moves (two racing retries: one wins, the other is a conflict), the retry is appended with its reason,
 * and the failed run's failure and outcome words are cleared (the new run writes its own).
 */
export async function reopenForRetry(
  id: string,
  retry: { by: Actor; reason: string; execution: string },
): Promise<CaseRecord | undefined> {
  const at = nowIso();
  const item = await updateIf<Record<string, unknown>>({
    Key: caseKey(id),
    UpdateExpression:
      'SET #s = :open, #r = list_append(if_not_exists(#r, :none), :retry), #u = :u REMOVE #f, #o',
    ConditionExpression: 'attribute_exists(pk) AND #s = :failed',
    ExpressionAttributeNames: {
      '#s': 'status',
      '#r': 'retries',
      '#u': 'updatedAt',
      '#f': 'failure',
      '#o': 'outcome',
    },
    ExpressionAttributeValues: {
      ':open': 'open',
      ':failed': 'failed',
      ':none': [],
      ':retry': [{ ...retry, at }],
      ':u': at,
    },
  });
  return item ? fromItem(item) : undefined;
}

/**
 * Links an execution to its case when its name is not the case id (a start from the Step Functions
 * console under any name), so the progress handler can report its start, end, abort and timeout.
 */
export async function linkExecution(executionArn: string, caseId: string): Promise<void> {
  await db().send(
    new PutCommand({ TableName: tableName(), Item: { pk: `EXEC#${executionArn}`, sk: 'EXEC', caseId } }),
  );
}

/** The case an execution was linked to (undefined when none was). */
export async function caseOfExecution(executionArn: string): Promise<string | undefined> {
  const out = await db().send(
    new GetCommand({ TableName: tableName(), Key: { pk: `EXEC#${executionArn}`, sk: 'EXEC' } }),
  );
  const caseId = out.Item?.caseId;
  return typeof caseId === 'string' && isCaseId(caseId) ? caseId : undefined;
}

/** Sets nested Slack coordinates without overwriting the others. */
export async function setSlackRefs(id: string, refs: CaseRecord['slack']): Promise<CaseRecord> {
  const entries = Object.entries(refs).filter(([, v]) => v !== undefined);
  const names: Record<string, string> = { '#slack': 'slack', '#u': 'updatedAt' };
  const values: Record<string, unknown> = { ':u': nowIso() };
  const sets = entries.map(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    return `#slack.#s${i} = :s${i}`;
  });
  return update(id, `SET ${[...sets, '#u = :u'].join(', ')}`, names, values);
}

/**
 * Moves a case to a new status if the move is allowed from the status it has now (checked in the write
 * itself, so two racing moves cannot both win). Returns the record after the move.
 */
export async function transition(
  id: string,
  to: CaseStatus,
  extra: Patch = {},
  options: { from?: CaseStatus } = {},
): Promise<CaseRecord> {
  const current = await requireCase(id);
  // With `from`, the move is one decision: only a case in exactly that status moves, and a case that
  // is already `to` (someone else moved it first) is a conflict, not a quiet success.
  if (options.from && current.status !== options.from)
    throw new CaseConflictError(`${id} is ${current.status}, not ${options.from}`);
  if (current.status === to) return current;
  if (!canTransition(current.status, to)) {
    throw new CaseConflictError(`${id} is ${current.status}; it cannot become ${to}`);
  }
  const closing = to === 'closed' || to === 'released';
  const entries = Object.entries({ ...extra, status: to, updatedAt: nowIso() }).filter(
    ([, v]) => v !== undefined,
  );
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':from': current.status };
  const sets = entries.map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  if (to === 'closed') {
    names['#closedAt'] = 'closedAt';
    values[':closedAt'] = nowIso();
    sets.push('#closedAt = :closedAt');
  }
  const expression = `SET ${sets.join(', ')}${closing ? ' REMOVE gsi1pk, gsi1sk' : ''}`;
  let record: CaseRecord;
  try {
    record = await update(id, expression, names, values, '#status = :from');
  } catch (error) {
    if (isConditionFailed(error))
      throw new CaseConflictError(`${id} changed meanwhile; it was ${current.status}`);
    throw error;
  }
  if (closing) await releaseGuard(record);
  return record;
}

/** Appends a line to the case timeline. */
export async function appendStep(id: string, step: StepRecord): Promise<CaseRecord> {
  return update(
    id,
    'SET #steps = list_append(#steps, :s), #u = :u',
    { '#steps': 'steps', '#u': 'updatedAt' },
    {
      ':s': [step],
      ':u': nowIso(),
    },
  );
}

/** Records an evidence artifact (idempotent by uri: a retried step does not record it twice). */
export async function addArtifact(id: string, artifact: Artifact): Promise<CaseRecord> {
  const current = await requireCase(id);
  if (current.artifacts.some((a) => a.uri === artifact.uri)) return current;
  return update(
    id,
    'SET #a = list_append(#a, :a), #u = :u',
    { '#a': 'artifacts', '#u': 'updatedAt' },
    {
      ':a': [artifact],
      ':u': nowIso(),
    },
  );
}

/** Open cases, newest first (the sparse index holds only open ones). */
export async function listOpenCases(limit = 50): Promise<CaseRecord[]> {
  return (await openCasesPage({ limit })).records;
}

export interface OpenCasesPage {
  records: CaseRecord[];
  /** The last case shown when more open cases follow: the next page starts after it. */
  next?: string;
}

/**
 * One page of open cases, newest first: `after` is the last case of the previous page (its id, as the
 * list's "Next" button and `/forensics list after CASE-ID` carry it). The page continues after that case's
 * place in the index even when it has closed since; an unknown id starts from the top.
 */
export async function openCasesPage({
  limit = 15,
  after,
}: {
  limit?: number;
  after?: string;
}): Promise<OpenCasesPage> {
  const from = after ? await getCase(after) : undefined;
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :open',
      ExpressionAttributeValues: { ':open': 'OPEN' },
      ScanIndexForward: false,
      // One more than shown: whether a next page exists is then known without a second query.
      Limit: limit + 1,
      ...(from ? { ExclusiveStartKey: { ...caseKey(from.id), gsi1pk: 'OPEN', gsi1sk: from.createdAt } } : {}),
    }),
  );
  const records = (out.Items ?? []).map(fromItem);
  const shown = records.slice(0, limit);
  return records.length > limit ? { records: shown, next: shown.at(-1)!.id } : { records: shown };
}

/** Writes an audit event. Audit events are only ever put (never updated or deleted). */
export async function audit(event: AuditEvent): Promise<void> {
  const at = event.at ?? nowIso();
  const seq = `${at}#${process.pid}-${++auditSeq}-${Math.random().toString(36).slice(2, 8)}`;
  const key = event.caseId
    ? // A partition of its own (not the case's), so IAM can refuse updates and deletes of audit items
      // by their leading key while the case record stays writable.
      { pk: `AUDIT#${event.caseId}`, sk: `AUDIT#${seq}` }
    : { pk: `AUDIT#${at.slice(0, 10)}`, sk: seq };
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...key, ...event, at },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/** The audit trail of a case, oldest first. */
export async function listAudit(caseId: string): Promise<AuditEvent[]> {
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
      ExpressionAttributeValues: { ':pk': `AUDIT#${caseId}`, ':audit': 'AUDIT#' },
    }),
  );
  return (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...rest }) => rest as AuditEvent);
}

/** Audit events not tied to a case (refusals on finding cards), for one UTC day. */
export async function listDayAudit(day: string): Promise<AuditEvent[]> {
  const out = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `AUDIT#${day}` },
    }),
  );
  return (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...rest }) => rest as AuditEvent);
}

async function releaseGuard(record: CaseRecord): Promise<void> {
  try {
    await db().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: guardKey(record.target),
        ConditionExpression: 'caseId = :id',
        ExpressionAttributeValues: { ':id': record.id },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error; // another case holds the guard now: leave it
  }
}

async function update(
  id: string,
  expression: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
  condition?: string,
): Promise<CaseRecord> {
  try {
    const out = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: caseKey(id),
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ConditionExpression: condition ? `attribute_exists(pk) AND ${condition}` : 'attribute_exists(pk)',
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(out.Attributes ?? {});
  } catch (error) {
    if (isConditionFailed(error) && !condition) throw new CaseNotFoundError(`No case ${id}`);
    throw error;
  }
}

function fromItem(item: Record<string, unknown>): CaseRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return CaseRecordSchema.parse(rest);
}
