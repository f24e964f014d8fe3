import { z } from 'zod';
import { FindingSchema, type Finding } from './finding.js';
import { ACCOUNT_ID_RE, CASE_ID_RE, INCIDENT_ID_RE, INSTANCE_ID_RE, REGION_RE } from './ids.js';

/**
 * The case: one per incident on one instance. Statuses follow DESIGN.md:
 * open -> awaiting-approval -> containing -> contained -> acquiring -> evidence-secured -> closed,
 * with denied, failed and released branches. `evidence-incomplete` is where a workflow ends when it
 * finished but some evidence it planned is missing (a failed memory capture or disk copy; the case's
 * `failure` says which and why): `evidence-secured` only when all of it is there.
 */
export const CASE_STATUSES = [
  'open',
  'awaiting-approval',
  'containing',
  'contained',
  'acquiring',
  'evidence-secured',
  'evidence-incomplete',
  'closed',
  'denied',
  'failed',
  'released',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Statuses in which the case still holds its instance (one open case per instance). */
export const ACTIVE_STATUSES: readonly CaseStatus[] = CASE_STATUSES.filter(
  (s) => s !== 'closed' && s !== 'released',
);

/**
 * Which status may follow which. Acquisition may run before containment (Analyze, or a VPC without SSM
 * endpoints), so `acquiring` and `containing` reach each other. `failed` may be retried or closed.
 */
export const TRANSITIONS: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ['awaiting-approval', 'containing', 'acquiring', 'closed', 'failed', 'denied'],
  'awaiting-approval': ['containing', 'acquiring', 'denied', 'failed', 'closed'],
  containing: ['contained', 'acquiring', 'failed'],
  contained: ['acquiring', 'evidence-secured', 'evidence-incomplete', 'released', 'closed', 'failed'],
  acquiring: [
    'awaiting-approval',
    'containing',
    'contained',
    'evidence-secured',
    'evidence-incomplete',
    'failed',
  ],
  'evidence-secured': ['awaiting-approval', 'containing', 'released', 'closed', 'failed'],
  'evidence-incomplete': ['awaiting-approval', 'containing', 'released', 'closed', 'failed'],
  closed: [],
  denied: ['closed', 'awaiting-approval'],
  // `open` again only through a retry (`/forensics retry`), which starts the case workflow anew
  failed: ['closed', 'released', 'containing', 'acquiring', 'open'],
  released: ['closed'],
};

export const canTransition = (from: CaseStatus, to: CaseStatus): boolean => TRANSITIONS[from].includes(to);

export const TargetSchema = z.object({
  account: z.string().regex(ACCOUNT_ID_RE, 'an AWS account id is 12 digits'),
  region: z.string().regex(REGION_RE, 'not an AWS region'),
  instanceId: z.string().regex(INSTANCE_ID_RE, 'not an EC2 instance id'),
});
export type Target = z.infer<typeof TargetSchema>;

export const CaseActionSchema = z.enum(['analyze', 'contain']);
export type CaseAction = z.infer<typeof CaseActionSchema>;

/** Where a case came from. */
export const TriggerSchema = z.enum([
  'slack-button',
  'slash-command',
  'tag',
  'security-hub-action',
  'console',
  /** An auto-response rule (bot/intake/auto-response.ts); the requester names the rule. */
  'auto-response',
]);
export type Trigger = z.infer<typeof TriggerSchema>;

export const ActorSchema = z.object({ userId: z.string(), name: z.string().optional() });
export type Actor = z.infer<typeof ActorSchema>;

/**
 * The one decision of an approval request: approved or denied by a commander, or expired. Written once,
 * conditionally, by the first click that finds the case awaiting approval; every surface (case card,
 * status, manifest, audit) shows this record, so a denial is never shown as an approval.
 */
export const DecisionSchema = z.object({
  outcome: z.enum(['approved', 'denied', 'expired']),
  by: ActorSchema.optional(),
  at: z.string(),
  reason: z.string().optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const ArtifactSchema = z.object({
  kind: z.enum([
    'memory',
    /** The live-triage archive (processes, sockets, users, …) uploaded beside the memory image. */
    'triage',
    'disk-snapshot',
    'disk-image',
    'examination',
    'manifest',
    'log',
    'other',
  ]),
  uri: z.string(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  bytes: z.number().int().nonnegative().optional(),
  source: z.string().optional(),
  createdAt: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/** One line of the case timeline: a workflow step, its outcome and duration. */
export const StepRecordSchema = z.object({
  step: z.string(),
  outcome: z.enum(['started', 'succeeded', 'failed', 'skipped']),
  at: z.string(),
  durationMs: z.number().nonnegative().optional(),
  detail: z.string().optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

/** Per VPC: the endpoints memory acquisition can use once the instance is isolated. */
export const VpcEndpointsSchema = z.object({
  /** Security groups of interface endpoints for SSM (ssm, ssmmessages, ec2messages) and S3. */
  interfaceGroups: z.array(z.string()),
  /** Prefix lists of S3 gateway endpoints. */
  prefixLists: z.array(z.string()),
  ssm: z.boolean(),
  s3: z.boolean(),
});
export type VpcEndpoints = z.infer<typeof VpcEndpointsSchema>;

/** The instance as it was before the bot touched it: what release restores. Written once. */
export const OriginalConfigSchema = z.object({
  recordedAt: z.string(),
  instanceId: z.string(),
  vpcId: z.string().optional(),
  networkInterfaces: z.array(
    z.object({
      id: z.string(),
      groups: z.array(z.string()),
      vpcId: z.string().optional(),
      subnetId: z.string().optional(),
      deviceIndex: z.number().optional(),
    }),
  ),
  elasticIps: z.array(
    z.object({
      allocationId: z.string(),
      publicIp: z.string().optional(),
      networkInterfaceId: z.string().optional(),
      privateIp: z.string().optional(),
    }),
  ),
  instanceProfile: z.object({ arn: z.string(), name: z.string(), roles: z.array(z.string()) }).optional(),
  autoScalingGroup: z.string().optional(),
  targetGroups: z.array(z.object({ arn: z.string(), port: z.number().optional() })),
  classicLoadBalancers: z.array(z.string()),
  /** Unknown (undefined) when it could not be read: release then leaves the preserved value. */
  terminationProtection: z.boolean().optional(),
  shutdownBehavior: z.string().optional(),
  volumes: z.array(z.object({ volumeId: z.string(), device: z.string(), deleteOnTermination: z.boolean() })),
  endpoints: VpcEndpointsSchema,
});
export type OriginalConfig = z.infer<typeof OriginalConfigSchema>;

export const GROUP_KINDS = ['allow-all', 'isolation', 'isolation-endpoints'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

/**
 * Each ENI's network state: `restored` is back in its own recorded groups after the move into isolation
 * failed; `allow-all` only while a move is under way (never at the end).
 */
export const ENI_STATES = ['unchanged', 'allow-all', 'isolated', 'restored'] as const;
export type EniState = (typeof ENI_STATES)[number];

/** What the case records about isolation while and after it happens (release and people read it). */
export const IsolationSchema = z.object({
  status: z.enum(['in-progress', 'isolated', 'isolated-with-endpoints', 'partial', 'released']),
  groups: z.partialRecord(z.enum(GROUP_KINDS), z.string().optional()),
  enis: z.record(z.string(), z.enum(ENI_STATES)),
  elasticIpsDisassociated: z.array(z.string()),
  updatedAt: z.string(),
  error: z.string().optional(),
});
export type IsolationRecord = z.infer<typeof IsolationSchema>;

/**
 * How memory is captured (issue 15): the order of volatility the case followed and where the image goes.
 * `regional`: the bucket is in the instance's region, reachable through its VPC's S3 endpoint once isolated.
 */
export const MemoryPlanSchema = z.object({
  order: z.enum(['isolate-first', 'memory-first']),
  memoryFirst: z.boolean(),
  reason: z.string(),
  bucket: z.string(),
  bucketRegion: z.string(),
  regional: z.boolean(),
});
export type MemoryPlan = z.infer<typeof MemoryPlanSchema>;

/**
 * The AWS principal behind a tag-triggered case, from CloudTrail's CreateTags of SecurityIncidentStatus on
 * the instance (the tag event names nobody); `arn` absent when CloudTrail did not name one, `note` says why.
 */
export const TriggeredBySchema = z.object({
  arn: z.string().max(2048).optional(),
  eventId: z.string().max(128).optional(),
  /** When the principal tagged the instance (CloudTrail's eventTime). */
  at: z.string().optional(),
  lookedUpAt: z.string(),
  note: z.string().max(500).optional(),
});
export type TriggeredBy = z.infer<typeof TriggeredBySchema>;

/** A file the examination read (an image it verified) or wrote (findings, timeline, report), with its hash. */
export const ExaminationFileSchema = z.object({
  name: z.string(),
  uri: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  versionId: z.string().optional(),
});
export type ExaminationFile = z.infer<typeof ExaminationFileSchema>;

/** One finding of the examination as the case keeps it (findings.json has them all, unclipped). */
export const ExaminationFindingSchema = z.object({
  id: z.string(),
  category: z.string(),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  title: z.string(),
  path: z.string().optional(),
  time: z.string().optional(),
  evidence: z.string(),
  source: z.string(),
});
export type ExaminationFinding = z.infer<typeof ExaminationFindingSchema>;

/**
 * The examination of the case's evidence (issue 12): `completed` (it ran, whatever it found), `skipped`
 * (it could not run here, `reason` says why: tools not installed, no raw image), or `failed` (`reason`).
 * Written by the examine step only; the thread summary, the card and `/forensics report` render from it.
 */
export const ExaminationSchema = z.object({
  status: z.enum(['completed', 'skipped', 'failed']),
  at: z.string(),
  reason: z.string().optional(),
  /** Where it ran, e.g. `local machine (sandbox)`. */
  worker: z.string(),
  iocs: z.array(z.string()),
  window: z.object({ since: z.string(), until: z.string().optional() }).optional(),
  tools: z.record(z.string(), z.string()).optional(),
  inputs: z.array(ExaminationFileSchema),
  outputs: z.array(ExaminationFileSchema),
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  total: z.number().int().nonnegative().optional(),
  /** The most severe findings (at most `EXAMINATION_FINDINGS_KEPT`), evidence clipped. */
  findings: z.array(ExaminationFindingSchema),
  /** What the examination could not look at, in its words. */
  notExamined: z.array(z.string()),
  durationMs: z.number().nonnegative().optional(),
});
export type ExaminationRecord = z.infer<typeof ExaminationSchema>;

/** How many findings the case record keeps (an item holds 400 KB; findings.json keeps every one). */
export const EXAMINATION_FINDINGS_KEPT = 80;

export const CaseRecordSchema = z.looseObject({
  id: z.string().regex(CASE_ID_RE),
  status: z.enum(CASE_STATUSES),
  severity: z.object({ label: z.string(), score: z.number() }),
  title: z.string(),
  findingIds: z.array(z.string()),
  target: TargetSchema,
  actions: z.array(CaseActionSchema),
  trigger: TriggerSchema,
  requester: ActorSchema,
  /** A case id from elsewhere (a console start's `CaseId` that is not ours, e.g. a ticket number). */
  externalRef: z.string().optional(),
  /** The step AWS throttled last, and with which error (throttled attempts are retried without a line). */
  throttled: z.object({ step: z.string(), error: z.string(), at: z.string() }).optional(),
  /** Whether its containment waits for a commander (the workflow's `Approval`), as the case was opened. */
  approval: z.enum(['required', 'not-required']).optional(),
  /**
   * The incident the case belongs to (bot/incidents/): its approval is the incident's one decision, and
   * it has no card or thread of its own — its line on the incident card shows its progress.
   */
  incidentId: z.string().regex(INCIDENT_ID_RE).optional(),
  /** The normalized finding the case grew from (the case card renders from it), and its intake fingerprint. */
  finding: FindingSchema.optional(),
  fingerprint: z.string().optional(),
  /** The decision of the case's approval request (absent until one is decided). */
  decision: DecisionSchema.optional(),
  slack: z.object({
    channel: z.string().optional(),
    cardTs: z.string().optional(),
    threadTs: z.string().optional(),
    approvalChannel: z.string().optional(),
    approvalTs: z.string().optional(),
  }),
  executionArn: z.string().optional(),
  /** The approval step's task token; never shown in Slack or logged. */
  taskToken: z.string().optional(),
  /** When approval was first asked for; reminders keep it, so expiry counts from the first request. */
  approvalRequestedAt: z.string().optional(),
  /** The instance's original configuration, recorded before containment (release restores it). */
  originalConfig: OriginalConfigSchema.optional(),
  /** Isolation as it happens and as it ended (written by the isolation step only). */
  isolation: IsolationSchema.optional(),
  /** When containment completed (the mark-contained step). */
  containedAt: z.string().optional(),
  /** Roles whose older sessions were revoked, and when (the IAM restriction step). */
  sessionsRevokedAt: z.string().optional(),
  sessionsRevokedRoles: z.array(z.string()).optional(),
  /** How each planned acquisition ended ("succeeded", "skipped", "failed: …"), and the case's outcome in words. */
  evidence: z.record(z.string(), z.string()).optional(),
  /** The memory capture's order of volatility and destination (the memory step writes it). */
  memoryPlan: MemoryPlanSchema.optional(),
  /** Tag-triggered cases: who tagged the instance, as CloudTrail says (finishCase looks it up). */
  triggeredBy: TriggeredBySchema.optional(),
  outcome: z.string().optional(),
  /** Retries of the case workflow after a failure: who asked, why, when, and the execution (`-retry-<n>`). */
  retries: z
    .array(z.object({ by: ActorSchema, at: z.string(), reason: z.string(), execution: z.string() }))
    .optional(),
  /**
   * Containment asked for after the case's workflow ended without it (an analysis' "Contain now"): who,
   * when, and the case workflow run that asks the commanders (`<caseId>-contain-<n>`).
   */
  containRequests: z.array(z.object({ by: ActorSchema, at: z.string(), execution: z.string() })).optional(),
  /** Releases: how many were started, the one running now (one at a time), the last one's execution. */
  releaseCount: z.number().int().nonnegative().optional(),
  releaseInFlight: z.string().optional(),
  releaseExecutionArn: z.string().optional(),
  artifacts: z.array(ArtifactSchema),
  manifest: z.object({ uri: z.string(), sha256: z.string(), versionId: z.string().optional() }).optional(),
  /** The examination of the evidence (the examine step writes it). */
  examination: ExaminationSchema.optional(),
  steps: z.array(StepRecordSchema),
  failure: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().optional(),
  /** How the case was closed when someone said so: as a false positive (with the reason), by whom, when. */
  closure: z
    .object({ as: z.enum(['false-positive']), reason: z.string(), by: ActorSchema, at: z.string() })
    .optional(),
});
export type CaseRecord = z.infer<typeof CaseRecordSchema>;

/** What a caller gives to open a case; the store fills in the rest. */
export interface NewCase {
  id?: string;
  severity: { label: string; score: number };
  title: string;
  findingIds: string[];
  target: Target;
  actions: CaseAction[];
  trigger: Trigger;
  requester: Actor;
  slack?: CaseRecord['slack'];
  externalRef?: string;
  approval?: 'required' | 'not-required';
  finding?: Finding;
  fingerprint?: string;
  incidentId?: string;
}

/** An audit event: who did what, when, with what outcome. Written once, never updated or deleted. */
export interface AuditEvent {
  caseId?: string;
  actor: string;
  action: string;
  outcome: 'ok' | 'refused' | 'failed' | 'duplicate';
  detail?: string;
  at?: string;
}
