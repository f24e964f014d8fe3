import { z } from 'zod';
import { ActorSchema, DecisionSchema, TargetSchema } from '../core/case-model.js';
import { CASE_ID_RE, INCIDENT_ID_RE } from '../core/ids.js';

/**
 * An incident: one attack (a GuardDuty attack sequence) over many instances, contained with one approval.
 * Each instance is a case of its own (record, workflow, evidence, manifest, `/forensics status`); the
 * incident holds the one decision and the Slack surface — one card and one thread with a line per
 * instance — in the case table (`pk = INCIDENT#<id>`, `sk = INCIDENT`).
 *
 * Statuses: `open` (cases starting) -> `awaiting-approval` (the approval card is posted) -> `approved` |
 * `denied` | `expired`. The decision is written once, conditionally; each member case copies it through
 * the case approval path (bot/cases/approval.ts) when its workflow reaches its approval gate.
 */

export const INCIDENT_STATUSES = ['open', 'awaiting-approval', 'approved', 'denied', 'expired'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const IncidentMemberSchema = z.object({
  caseId: z.string().regex(CASE_ID_RE),
  target: TargetSchema,
  name: z.string().optional(),
  /** `existing`: the instance already had an open case; it keeps its own card, thread and approval. */
  joined: z.enum(['new', 'existing']),
});
export type IncidentMember = z.infer<typeof IncidentMemberSchema>;

export const IncidentRecordSchema = z.looseObject({
  id: z.string().regex(INCIDENT_ID_RE),
  status: z.enum(INCIDENT_STATUSES),
  title: z.string(),
  severity: z.object({ label: z.string(), score: z.number() }),
  findingType: z.string(),
  findingId: z.string(),
  /** The sequence's fingerprint (its card became the incident card). */
  fingerprint: z.string(),
  requester: ActorSchema,
  members: z.array(IncidentMemberSchema),
  /** Instances named by the sequence that got no case, and why (e.g. the case could not be opened). */
  skipped: z.array(z.object({ target: TargetSchema, reason: z.string() })),
  decision: DecisionSchema.optional(),
  approvalRequestedAt: z.string().optional(),
  approvalRemindedAt: z.string().optional(),
  slack: z.object({
    channel: z.string(),
    cardTs: z.string(),
    threadTs: z.string(),
    approvalChannel: z.string().optional(),
    approvalTs: z.string().optional(),
  }),
  /** When the thread's closing summary was posted (once, when every member's workflow ended). */
  summaryPostedAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;
