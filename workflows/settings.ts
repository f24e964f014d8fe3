import { z } from 'zod';
import { defineSettings, env } from '../bot/config.js';
import { ACCOUNT_ID_RE, BUCKET_RE } from '../bot/ids.js';

const arn = (what: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .pipe(
      z
        .string()
        .regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/, `not ${what}`)
        .optional(),
    );

/**
 * Settings of the forensic workflows (the steps Lambda). The approval reminder and expiry are the Slack
 * side's `APPROVAL_REMIND_MINUTES` / `APPROVAL_EXPIRE_MINUTES` (`bot/cases/settings.ts`), read from there so
 * the card and the workflow agree. Only `EVIDENCE_BUCKET` and `FORENSICS_ACCOUNT`
 * are needed before any step can run; the others have defaults or are checked by the step that needs them,
 * so a missing upload role fails memory acquisition with a message naming the variable, not every step.
 */
export const forensicsSettings = defineSettings('Forensic workflows', {
  /** The role each member account trusts the security account to assume. */
  IR_ROLE_NAME: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/)
    .default('IRAutomation'),
  /** ExternalId the member roles require (confused-deputy guard). */
  IR_EXTERNAL_ID: env.optional(),
  /** Evidence bucket in the forensics account (memory images and manifests go under `<caseId>/`). */
  EVIDENCE_BUCKET: z.string().regex(BUCKET_RE, 'not an S3 bucket name'),
  /** The forensics account, with which snapshots are shared and into which they are copied. */
  FORENSICS_ACCOUNT: z.string().regex(ACCOUNT_ID_RE, 'an AWS account id is 12 digits'),
  /** Customer-managed KMS key (usable by the forensics account) that re-encrypts `aws/ebs` snapshots. */
  SNAPSHOT_KMS_KEY_ARN: arn('a KMS key ARN'),
  /** KMS key of the forensics account under which the copies in that account are encrypted. */
  FORENSICS_KMS_KEY_ARN: arn('a KMS key ARN'),
  /**
   * Role in the forensics account whose short-lived sessions upload memory images (PutObject only).
   * Default `arn:aws:iam::<FORENSICS_ACCOUNT>:role/ForensicsBot-EvidenceUpload`.
   */
  EVIDENCE_UPLOAD_ROLE_ARN: arn('an IAM role ARN'),
  /** Role in the forensics account the bot assumes to copy shared snapshots there (default: its IR role). */
  FORENSICS_ROLE_ARN: arn('an IAM role ARN'),
  /** S3 prefix (`s3://bucket/prefix`) holding LiME modules keyed by `uname -r`, the fallback to AVML. */
  LIME_MODULE_PREFIX: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .pipe(
      z
        .string()
        .regex(/^s3:\/\/[a-z0-9][a-z0-9-]{1,61}[a-z0-9](\/[A-Za-z0-9._/-]*)?$/)
        .optional(),
    ),
  QUARANTINE_PROFILE: z
    .string()
    .regex(/^[\w+=,.@-]{1,128}$/)
    .default('ForensicsBot-Quarantine'),
  DENY_ALL_PROFILE: z
    .string()
    .regex(/^[\w+=,.@-]{1,128}$/)
    .default('ForensicsBot-DenyAll'),
  MEMORY_DOCUMENT: z
    .string()
    .regex(/^[\w.-]{3,128}$/)
    .default('ForensicsBot-CaptureMemory'),
  /** `approval`: Analyze ends by asking the commander to contain; `notify-only`: it only says so. */
  ANALYZE_CONTAINMENT: z.enum(['approval', 'notify-only']).default('approval'),
  /** Poll bounds: how long the workflows wait for SSM and for snapshots before giving up. */
  MEMORY_POLL_SECONDS: env.int(15, 1, 600),
  MEMORY_MAX_POLLS: env.int(240, 1, 10_000),
  SNAPSHOT_POLL_SECONDS: env.int(30, 1, 600),
  SNAPSHOT_MAX_POLLS: env.int(480, 1, 10_000),
  /** Lifetime of the upload credentials handed to the capture script: STS allows 900 s to 3600 s for a chained role session, and a large image must finish uploading within it. */
  UPLOAD_CREDENTIALS_SECONDS: env.int(3600, 900, 3600),
});

export type ForensicsSettings = ReturnType<typeof forensicsSettings>;
