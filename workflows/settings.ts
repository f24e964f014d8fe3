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

/** `region=value` entries of a per-region setting (`us-east-1=a,eu-west-1=b`); checked by `regionMap`. */
export function regionEntries(setting: string | undefined): Map<string, string> {
  return new Map(
    entries(setting).map((entry) => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at).trim(), entry.slice(at + 1).trim()] as const;
    }),
  );
}

/** A comma-separated `region=value` list, each value matching `value`, at most one per region. */
const regionMap = (value: RegExp, what: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .superRefine((setting, ctx) => {
      const seen = new Set<string>();
      for (const entry of entries(setting)) {
        const at = entry.indexOf('=');
        const region = entry.slice(0, at).trim();
        const v = entry.slice(at + 1).trim();
        if (at < 0 || !REGION_RE.test(region) || !value.test(v))
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not region=${what}` });
        else if (seen.has(region))
          ctx.addIssue({ code: 'custom', message: `more than one value for ${region}: give one per region` });
        seen.add(region);
      }
    });

const S3_PREFIX_RE = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([A-Za-z0-9._-]+\/)*$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

/**
 * Settings of the forensic workflows (the steps Lambda). The approval reminder and expiry are the Slack
 * side's `APPROVAL_REMIND_MINUTES` / `APPROVAL_EXPIRE_MINUTES` (`bot/core/settings.ts`), read from there so
 * the card and the workflow agree. Only `EVIDENCE_BUCKET` and `FORENSICS_ACCOUNT`
 * are needed before any step can run; the others have defaults or are checked by the step that needs them,
 * so a missing tools prefix fails memory acquisition with a message naming the variable, not every step.
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
  /** The live-triage document (run after the memory capture, workflows/scripts/live-triage.sh). */
  TRIAGE_DOCUMENT: z
    .string()
    .regex(/^[\w.-]{3,128}$/)
    .default('ForensicsBot-LiveTriage'),
  /**
   * Evidence buckets in other regions than `EVIDENCE_BUCKET`'s (`eu-west-1=bucket,…`): a memory image goes to
   * the bucket of its instance's region, which an isolated instance reaches through its VPC's S3 endpoint (an
   * endpoint serves only its own region's buckets). A region without one uploads to `EVIDENCE_BUCKET`, which
   * only an internet path reaches: memory is then captured before isolation (`memoryPlan`).
   */
  EVIDENCE_BUCKETS: regionMap(BUCKET_RE, 'bucket'),
  /**
   * The evidence buckets' default encryption keys (key or alias ARNs, one per bucket region; the form of
   * `FORENSICS_KMS_KEY_ARN`, which is used when this is not set). The capture names it in its upload.
   */
  EVIDENCE_KMS_KEY_ARN: keyList(),
  /** Region of `EVIDENCE_BUCKET` (default: the home region, where the forensics stack deploys it). */
  EVIDENCE_BUCKET_REGION: z.string().regex(REGION_RE, 'not an AWS region').optional(),
  /**
   * The tools prefix (`s3://bucket/prefix/` holding `avml-x86_64` and `avml-aarch64`) the capture copies
   * AVML from: one prefix for every region, or `region=s3://…/` entries (the prefix must be readable
   * through the instance's VPC endpoint, so in its region). Needed by memory capture only.
   */
  TOOLS_URI: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || S3_PREFIX_RE.test(v) || entries(v).every((e) => e.includes('=')), {
      message: 'not s3://bucket/prefix/ nor region=s3://bucket/prefix/ entries',
    }),
  /** SHA-256 of the pinned AVML builds in the tools prefix (the deploy's tools delivery prints them). */
  AVML_SHA256_X86_64: z.string().regex(SHA256_RE, 'a SHA-256 is 64 lowercase hex digits').optional(),
  AVML_SHA256_AARCH64: z.string().regex(SHA256_RE, 'a SHA-256 is 64 lowercase hex digits').optional(),
  /**
   * Order of volatility when containing: `isolate-first` isolates the network at once and captures memory
   * through the VPC's SSM/S3 endpoints kept open for it (memory is still captured first where the instance
   * could not reach its bucket once isolated); `memory-first` captures memory before any containment step
   * (memory is the most volatile evidence; the attacker keeps the network meanwhile).
   */
  MEMORY_ORDER: z.enum(['isolate-first', 'memory-first']).default('isolate-first'),
  /** `approval`: Analyze ends by asking the commander to contain; `notify-only`: it only says so. */
  ANALYZE_CONTAINMENT: z.enum(['approval', 'notify-only']).default('approval'),
  /** Poll bounds: how long the workflows wait for SSM and for snapshots before giving up. */
  MEMORY_POLL_SECONDS: env.int(15, 1, 600),
  MEMORY_MAX_POLLS: env.int(240, 1, 10_000),
  SNAPSHOT_POLL_SECONDS: env.int(30, 1, 600),
  SNAPSHOT_MAX_POLLS: env.int(480, 1, 10_000),
  /** How long SSM lets the capture command run (queued and running) before it is timed out. */
  MEMORY_COMMAND_TIMEOUT_SECONDS: env.int(7200, 300, 172_800),
  /** Live triage is short (seconds): a few polls, then it is cancelled and recorded as not collected. */
  TRIAGE_MAX_POLLS: env.int(40, 1, 1000),
  TRIAGE_COMMAND_TIMEOUT_SECONDS: env.int(600, 60, 3600),
});

export type ForensicsSettings = ReturnType<typeof forensicsSettings>;
