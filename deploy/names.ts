import { WORKER_NAMES } from '../workflows/worker-names.js';

/**
 * Names fixed across the three stacks. Stacks in different accounts cannot reference each other's
 * resources, so each side derives the other's ARNs from these names and the account ids.
 */
export const NAMES = {
  /** The Lambda role of `handlers/steps` in the security account: the only principal member roles trust. */
  stepsRole: 'ForensicsBot-Steps',
  /** Role in every member account (and the forensics account) that the steps assume. */
  irRole: 'IRAutomation',
  /** Role in the forensics account that copies shared snapshots into it. */
  snapshotReceiverRole: 'ForensicsBot-SnapshotReceiver',
  denyAllProfile: 'ForensicsBot-DenyAll',
  quarantineProfile: 'ForensicsBot-Quarantine',
  captureMemoryDocument: 'ForensicsBot-CaptureMemory',
  liveTriageDocument: 'ForensicsBot-LiveTriage',
  /** The forensic worker (issue 12, item 4): its Command document, and where the AMI pipeline writes the newest AMI id. */
  examineDocument: WORKER_NAMES.examineDocument,
  workerAmiParameter: WORKER_NAMES.amiParameter,
  /** Role the steps assume in the forensics account to start, drive and terminate forensic workers. */
  examineLauncherRole: WORKER_NAMES.launcherRole,
  evidenceKeyAlias: 'alias/forensics-bot-evidence',
  snapshotKeyAlias: 'alias/forensics-bot-snapshots',
  /** Tag whose change to Analyze or Contain opens a case. */
  incidentTag: 'SecurityIncidentStatus',
  /** Tag the workflows put on the suspect instance and on every snapshot of a case (its case id). */
  caseTag: 'ir-case-id',
  /** Tag key prefix the workflows put on what they create (isolation groups, snapshots). */
  botTagPrefix: 'ForensicsBot',
  analyzeAction: 'ForensicsAnalyze',
  containAction: 'ForensicsContain',
  stackPrefix: 'ForensicsBot',
} as const;

/** Evidence bucket name: globally unique through account and region. */
export function evidenceBucketName(account: string, region: string): string {
  return `forensics-bot-evidence-${account}-${region}`;
}

/**
 * Tools bucket of the forensics account (home region): the pinned AVML builds the memory capture copies
 * into RAM, under `avml/`. One per account: SSE-S3, so member-account instances read it without a KMS grant.
 */
export function toolsBucketName(account: string): string {
  return `forensics-bot-tools-${account}`;
}

/** Prefix of the AVML builds in the tools bucket (`avml-x86_64`, `avml-aarch64`). */
export const AVML_PREFIX = 'avml/';

export function roleArn(account: string, name: string): string {
  return `arn:aws:iam::${account}:role/${name}`;
}

/** ARN of a state machine named `ForensicsBot-<Name>`, known before it exists (no circular references). */
export function stateMachineName(name: string): string {
  return `${NAMES.stackPrefix}-${name}`;
}
