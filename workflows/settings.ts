import { z } from 'zod';
import { defineSettings, env } from '../bot/core/config.js';
import { ACCOUNT_ID_RE, BUCKET_RE, REGION_RE } from '../bot/core/ids.js';

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

/** `arn:aws:kms:<region>:<account>:key/<id>` or `…:alias/<name>`; groups: region, account, kind, name. */
const KMS_ARN_RE = /^(arn:aws[a-z-]*:kms:)([a-z0-9-]+):(\d{12}):(key|alias)\/([\w/.+=,@-]{1,256})$/;

const entries = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * KMS keys are regional, and a case runs in its instance's region, so a key setting is a comma-separated
 * list of key (or alias) ARNs, at most one per region. See `kmsKeyForRegion` for how a case picks one.
 */
const keyList = () =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .superRefine((value, ctx) => {
      const regions = new Set<string>();
      for (const entry of entries(value)) {
        const m = KMS_ARN_RE.exec(entry);
        if (!m || !REGION_RE.test(m[2]!)) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not a KMS key or alias ARN` });
          continue;
        }
        if (regions.has(m[2]!))
          ctx.addIssue({ code: 'custom', message: `more than one key for ${m[2]}: give one per region` });
        regions.add(m[2]!);
      }
    });

/**
 * The key of a key-list setting to use in `region`:
 * 1. the entry whose ARN is in `region`;
 * 2. otherwise the first multi-region key (`key/mrk-…`) of the list, its ARN rewritten to `region` (a
 *    multi-region key's replicas share its id, so the replica in `region` must exist);
 * 3. otherwise none: the caller decides (the forensics copy falls back to the forensics account's default
 *    EBS encryption in that region; re-encrypting an `aws/ebs` snapshot for sharing cannot, and fails
 *    naming the region and the setting).
 * A key of another region is never used: EC2 refuses a key outside the snapshot's region.
 */
export function kmsKeyForRegion(setting: string | undefined, region: string): string | undefined {
  const parsed = entries(setting).flatMap((entry) => {
    const m = KMS_ARN_RE.exec(entry);
    return m ? [{ entry, prefix: m[1]!, region: m[2]!, rest: entry.slice(m[1]!.length + m[2]!.length) }] : [];
  });
  const here = parsed.find((k) => k.region === region);
  if (here) return here.entry;
  const multiRegion = parsed.find((k) => /^:\d{12}:key\/mrk-/.test(k.rest));
  return multiRegion ? `${multiRegion.prefix}${region}${multiRegion.rest}` : undefined;
}

/**
 * Settings of the forensic workflows (the steps Lambda). The approval reminder and expiry are the Slack
 * side's `APPROVAL_REMIND_MINUTES` / `APPROVAL_EXPIRE_MINUTES` (`bot/core/settings.ts`), read from there so
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
  /**
   * Customer-managed KMS keys (usable by the member accounts and the forensics account) that re-encrypt
   * snapshots under `aws/ebs`, which cannot be shared. Comma-separated ARNs, one per region where cases
   * run, or a multi-region key (`kmsKeyForRegion`). A case with such a snapshot in a region without a key
   * here fails its disk acquisition, naming the region and this setting.
   */
  SNAPSHOT_KMS_KEY_ARN: keyList(),
  /**
   * KMS keys of the forensics account under which the evidence copies are encrypted; same form. In a
   * region without one, the `SNAPSHOT_KMS_KEY_ARN` key of that region is used, and without that either,
   * the forensics account's default EBS encryption key there.
   */
  FORENSICS_KMS_KEY_ARN: keyList(),
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
