import { z } from 'zod';
import { env } from '../bot/core/config.js';
import { ACCOUNT_ID_RE, REGION_RE } from '../bot/core/ids.js';
import {
  AUTO_RESPONSE_MAX_BYTES,
  type AutoResponseConfig,
  autoResponseEnvironment,
  autoResponseProblems,
  parseAutoResponse,
} from '../bot/intake/auto-response.js';

/**
 * The deployment's parameters, read from CDK context (`cdk.json` or `-c key=value`) and validated with
 * zod, so a missing or malformed value stops the synth with a message naming the context key.
 *
 * Every value has a documented meaning in the README's deploy guide; the defaults in `cdk.json` are the
 * sandbox's example accounts, so `npm run synth` works offline out of the box.
 */

const accountId = (what: string) =>
  z.string().regex(ACCOUNT_ID_RE, `${what} must be a 12-digit AWS account id`);
const severityLabel = z.enum(['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
// The same helpers as the functions' settings (bot/core/config.ts): context values arrive as strings from
// `-c key=value` and as JSON values from cdk.json, and both read the same.
const flag = env.bool;
const int = env.int;
const optionalText = env.optional();
const list = env.list();
const sha256 = (key: string) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, `${key} must be a SHA-256 (64 hex digits)`)
      .transform((v) => v.toLowerCase())
      .optional(),
  );
// A local file (absolute, or relative to the directory cdk runs in) or an https URL; plain http only on the
// loopback interface (a local mirror, the tests): the SHA-256 is checked either way.
const toolSource = (key: string) =>
  optionalText.pipe(
    z
      .string()
      .refine(
        (v) =>
          !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ||
          /^https:\/\/[^/\s]+\/\S*$/.test(v) ||
          /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/\S*$/.test(v),
        `${key} must be a local file path or an https:// URL`,
      )
      .optional(),
  );

export const deployConfigSchema = z
  .object({
    /** All three roles in one account (security = forensics = member). */
    singleAccount: flag(false),
    /** The account running the bot, the case table, the state machines and the intake rules. */
    securityAccount: accountId('securityAccount'),
    /** The account holding the evidence bucket and the analysis VPC (defaults to the security account in single-account mode). */
    forensicsAccount: accountId('forensicsAccount').optional(),
    /** `o-…`: member roles, key and bus policies admit only principals of this organization. */
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'organizationId must look like o-abc123def4')
      .optional(),
    /** ExternalId every `IRAutomation` role requires (STS: 2–1224 characters of [\w+=,.@:/-]). */
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, 'externalId must be 2–1224 characters of [\\w+=,.@:/-]')
      .refine((v) => !/example/i.test(v), 'externalId must be your own value, not an example'),
    /** Home region of the security and forensics stacks. */
    region: z.string().regex(REGION_RE, 'region must be a region name like us-east-1').default('us-east-1'),
    /** Findings below this severity never reach Slack (filtered by the EventBridge rules already). */
    alertsMinSeverity: severityLabel.default('HIGH'),
    alertsChannel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'alertsChannel must be a Slack channel id (C…)'),
    commandersChannel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, 'commandersChannel must be a Slack channel id (C…)'),
    respondersGroup: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'respondersGroup must be a Slack user group id (S…)'),
    commandersGroup: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'commandersGroup must be a Slack user group id (S…)'),
    /** `<account>=<channel>` / `<LABEL>=<channel>` routes of finding cards (comma-separated, optional). */
    channelRoutes: optionalText,
    /** Default account of `/forensics analyze <instance-id>` when none is given. */
    defaultAccount: accountId('defaultAccount').optional(),
    /** Minutes before a pending approval reminds the commanders (the Slack side and the workflow both read it). */
    approvalRemindMinutes: int(15, 1, 24 * 60),
    /** Minutes after which a pending approval expires (the card and the workflow agree through this one value). */
    approvalExpireMinutes: int(60, 1, 7 * 24 * 60),
    /** Four-eyes rule: whoever requested a containment may not approve it. */
    fourEyes: flag(true),
    /** A `SecurityIncidentStatus=Contain` tag needs a commander's approval (default: the tag is the decision). */
    containTagApproval: flag(false),
    /** Reserved concurrency of the Slack function (keeps a flood of clicks from starving the other functions). */
    slackConcurrency: int(10, 1, 1000),
    /**
     * Take GuardDuty findings from GuardDuty's own events (home region). Turn it off when Security Hub
     * imports GuardDuty and aggregates every region into the home region: each finding then arrives once,
     * through Security Hub, from every region.
     */
    guardDutyDirect: flag(true),
    /** Create the Security Hub custom actions (needs Security Hub enabled in the security account). */
    securityHubActions: flag(true),
    /** Evidence retention under Object Lock. */
    evidenceRetentionDays: int(365, 1, 36500),
    evidenceRetentionMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
    /** Days after which evidence moves to Glacier Flexible Retrieval. */
    glacierAfterDays: int(30, 0, 3650),
    /** CIDR and availability zones of the analysis VPC (given explicitly so synth needs no lookup). */
    analysisVpcCidr: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/)
      .default('10.250.0.0/16'),
    analysisAzs: list,
    /** E-mail address subscribed to the alarm topic (optional). */
    alarmEmail: z.email().optional(),
    /** Log level of the Lambda functions (Powertools). */
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** `s3://bucket/prefix` of LiME kernel modules, the memory capture's fallback to AVML (optional). */
    limeModulePrefix: optionalText.pipe(
      z
        .string()
        .regex(
          /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._/-]*)?$/,
          'limeModulePrefix must be s3://bucket/prefix',
        )
        .optional(),
    ),
    /**
     * Snapshot keys of the forensics account in regions other than the home region (the stack makes the
     * home region's): key or alias ARNs, one per region, comma-separated. Without one, a case in that
     * region cannot share an encrypted volume's snapshot.
     */
    extraSnapshotKeyArns: list,
    /**
     * The pinned AVML the deploy puts into the tools bucket (`deploy/tools.ts`): its version, and per
     * architecture the SHA-256 and where to take the binary from (a local file or an https URL). A hash
     * without a source: the build is pinned, but you put it under the prefix yourself.
     */
    avmlVersion: optionalText.pipe(
      z
        .string()
        .regex(/^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, 'avmlVersion must be a version like 0.14.0')
        .optional(),
    ),
    avmlSha256X86_64: sha256('avmlSha256X86_64'),
    avmlSourceX86_64: toolSource('avmlSourceX86_64'),
    avmlSha256Aarch64: sha256('avmlSha256Aarch64'),
    avmlSourceAarch64: toolSource('avmlSourceAarch64'),
    /**
     * The forensic worker's AMI pipeline (issue 12, item 4; deploy/constructs/forensic-ami.ts): the Debian 12
     * AMI the image is built from (required to deploy: the stack's rule names this key when it is unset),
     * the pinned volatility3 (its wheel's SHA-256) and dwarf2json (its linux-amd64 binary's SHA-256) — a
     * tool without both its version and hash is not installed, and the AMI says so — the build VPC's CIDR,
     * and the worker's instance type, scratch volume and maximum lifetime.
     */
    workerParentImage: optionalText.pipe(
      z
        .string()
        .regex(/^ami-[0-9a-f]{8,17}$/, 'workerParentImage must be an AMI id (ami-…) of Debian 12')
        .optional(),
    ),
    workerVolatility3Version: optionalText.pipe(
      z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, 'workerVolatility3Version must be a version like 2.26.0')
        .optional(),
    ),
    workerVolatility3Sha256: sha256('workerVolatility3Sha256'),
    workerDwarf2jsonVersion: optionalText.pipe(
      z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, 'workerDwarf2jsonVersion must be a version like 0.8.0')
        .optional(),
    ),
    workerDwarf2jsonSha256: sha256('workerDwarf2jsonSha256'),
    workerInstanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'workerInstanceType must be an instance type like m6i.xlarge')
      .default('m6i.xlarge'),
    workerVolumeGiB: int(200, 20, 16384),
    workerMaxHours: int(6, 1, 24),
    maintenanceVpcCidr: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'maintenanceVpcCidr must be a CIDR like 10.251.0.0/24')
      .default('10.251.0.0/24'),
    /**
     * Auto-response rules (bot/intake/auto-response.ts): `{ rules, dryRun, maxCasesPerHour }`, an object in
     * cdk.json or its JSON with `-c`. Given to the findings and Slack functions as `AUTO_RESPONSE`.
     */
    autoResponse: z
      .unknown()
      .optional()
      .transform((v, ctx): AutoResponseConfig => {
        try {
          // `contain` is checked below, with allowUnattendedContainment in view
          return parseAutoResponse(v ?? {}, true);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    /** Exactly true lets auto-response rules contain with nobody asked (action `contain`). */
    allowUnattendedContainment: z
      .union([z.boolean(), z.enum(['true', 'false'])])
      .optional()
      .transform((v) => v === true || v === 'true'),
  })
  .superRefine((c, ctx) => {
    if (c.approvalRemindMinutes >= c.approvalExpireMinutes)
      ctx.addIssue({
        code: 'custom',
        path: ['approvalRemindMinutes'],
        message: 'approvalRemindMinutes must be less than approvalExpireMinutes',
      });
    const forensics = c.singleAccount ? c.securityAccount : c.forensicsAccount;
    const regions = new Set([c.region]);
    for (const arn of c.extraSnapshotKeyArns) {
      const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/[\w/.+=,@-]+$/.exec(arn);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          path: ['extraSnapshotKeyArns'],
          message: `"${arn}" is not a KMS key or alias ARN`,
        });
      } else if (forensics && m[2] !== forensics) {
        ctx.addIssue({
          code: 'custom',
          path: ['extraSnapshotKeyArns'],
          message: `${arn} is not a key of the forensics account ${forensics}`,
        });
      } else if (regions.has(m[1]!)) {
        ctx.addIssue({
          code: 'custom',
          path: ['extraSnapshotKeyArns'],
          message: `more than one snapshot key for ${m[1]} (the home region's is the stack's own)`,
        });
      } else regions.add(m[1]!);
    }
    for (const [source, hash] of [
      ['avmlSourceX86_64', 'avmlSha256X86_64'],
      ['avmlSourceAarch64', 'avmlSha256Aarch64'],
    ] as const) {
      if (c[source] && !c[hash])
        ctx.addIssue({
          code: 'custom',
          path: [hash],
          message: `${hash} is missing: ${source} is set, and an AVML without its pinned SHA-256 is never deployed`,
        });
    }
    for (const [version, hash] of [
      ['workerVolatility3Version', 'workerVolatility3Sha256'],
      ['workerDwarf2jsonVersion', 'workerDwarf2jsonSha256'],
    ] as const) {
      if (!c[version] !== !c[hash])
        ctx.addIssue({
          code: 'custom',
          path: [c[version] ? hash : version],
          message: `${c[version] ? hash : version} is missing: ${c[version] ? version : hash} is set, and a tool is pinned by its version and its SHA-256 together`,
        });
    }
    if ((c.avmlSourceX86_64 || c.avmlSourceAarch64) && !c.avmlVersion)
      ctx.addIssue({
        code: 'custom',
        path: ['avmlVersion'],
        message: 'avmlVersion is missing: an AVML source is set (the version is recorded with the binaries)',
      });
    for (const problem of autoResponseProblems(c.autoResponse, c.allowUnattendedContainment))
      ctx.addIssue({ code: 'custom', path: ['autoResponse'], message: problem });
    if (Buffer.byteLength(autoResponseEnvironment(c.autoResponse)) > AUTO_RESPONSE_MAX_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: ['autoResponse'],
        message: `the rules take more than ${AUTO_RESPONSE_MAX_BYTES} bytes of JSON (Lambda allows 4 KB of environment in all)`,
      });
    if (!c.singleAccount && !c.forensicsAccount)
      ctx.addIssue({ code: 'custom', path: ['forensicsAccount'], message: 'forensicsAccount is missing' });
    if (!c.singleAccount && !c.organizationId)
      ctx.addIssue({
        code: 'custom',
        path: ['organizationId'],
        message: 'organizationId is missing (required unless singleAccount=true)',
      });
  });

export type DeployConfigInput = z.input<typeof deployConfigSchema>;

/** The validated parameters, with single-account defaults applied. */
export interface DeployConfig
  extends Omit<z.output<typeof deployConfigSchema>, 'forensicsAccount' | 'analysisAzs'> {
  readonly forensicsAccount: string;
  readonly analysisAzs: string[];
}

/** The context keys the app reads (documented in the README). */
export const CONTEXT_KEYS = Object.keys(deployConfigSchema.shape) as (keyof DeployConfigInput)[];

/** Validates raw parameters; throws an Error listing every problem by context key. */
export function parseDeployConfig(raw: Record<string, unknown>): DeployConfig {
  const parsed = deployConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '?');
      return raw[key] === undefined && i.code !== 'custom' ? `${key} is missing` : `${key}: ${i.message}`;
    });
    throw new Error(`forensics-bot deploy configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  return {
    ...c,
    forensicsAccount: c.singleAccount ? c.securityAccount : (c.forensicsAccount as string),
    analysisAzs: c.analysisAzs.length > 0 ? c.analysisAzs : [`${c.region}a`, `${c.region}b`],
  };
}

/** Reads every known key from a context getter (the App's `node.tryGetContext`). */
export function readDeployConfig(get: (key: string) => unknown): DeployConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = get(key);
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return parseDeployConfig(raw);
}
