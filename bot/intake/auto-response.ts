import { z } from 'zod';
import { type Finding, RESOURCE_KINDS, type ResourceKind } from '../core/finding.js';
import { ACCOUNT_ID_RE } from '../core/ids.js';
import { isSeverityLabel, meetsThreshold, SEVERITY_LABELS, type SeverityLabel } from '../core/severity.js';
import { matchesGlob } from './glob.js';

/**
 * Auto-response rules (issue 14, item 3): what the bot does with a finding nobody has clicked yet.
 * Ordered; the first rule whose every criterion holds acts, the rest are not consulted. One schema for
 * both edges: `deploy/config.ts` validates the `autoResponse` context key with it at synth, and the
 * findings and Slack functions validate `AUTO_RESPONSE` (the same JSON) with it at cold start. CDK-free.
 *
 * Actions:
 * - `notify`: the card only (what every finding gets without a rule; a `notify` rule stops later rules).
 * - `analyze`: the bot opens the case and runs Analyze (acquisition, no containment before it).
 * - `request-containment`: the bot opens a containment case that asks the commanders, as a Contain click does.
 * - `contain`: containment with nobody asked. Refused unless `allowUnattendedContainment` is explicitly true.
 */
export const AUTO_RESPONSE_ACTIONS = ['notify', 'analyze', 'request-containment', 'contain'] as const;
export type AutoResponseAction = (typeof AUTO_RESPONSE_ACTIONS)[number];

/**
 * The resources each action can act on. `notify` is the card, which every finding has; the others open a
 * case about an EC2 instance (isolate it, capture its memory, snapshot its disks): for an IAM access key,
 * an S3 bucket or an account there is nothing they can do, and the card says so when such a rule matches.
 */
export const ACTION_RESOURCES: Record<AutoResponseAction, readonly ResourceKind[]> = {
  notify: RESOURCE_KINDS,
  analyze: ['ec2-instance'],
  'request-containment': ['ec2-instance'],
  contain: ['ec2-instance'],
};

/** True when the action can act on a finding about this kind of resource. */
export const canActOn = (action: AutoResponseAction, kind: ResourceKind): boolean =>
  ACTION_RESOURCES[action].includes(kind);

/** "EC2 instances", "any resource": what `/forensics rules` and the card say an action acts on. */
export function actionScope(action: AutoResponseAction): string {
  const kinds = ACTION_RESOURCES[action];
  if (kinds.length === RESOURCE_KINDS.length) return 'any resource';
  return kinds.map((k) => RESOURCE_WORDS[k].plural).join(', ');
}

/** A resource kind in words, for cards and logs. */
export const RESOURCE_WORDS: Record<ResourceKind, { one: string; plural: string }> = {
  'ec2-instance': { one: 'an EC2 instance', plural: 'EC2 instances' },
  'iam-access-key': { one: 'an IAM access key', plural: 'IAM access keys' },
  's3-bucket': { one: 'an S3 bucket', plural: 'S3 buckets' },
  'aws-account': { one: 'an AWS account', plural: 'AWS accounts' },
  other: { one: 'a resource that is not an EC2 instance', plural: 'other resources' },
};

/**
 * GuardDuty names the resource a finding type is about (`ThreatPurpose:ResourceTypeAffected/…`): types
 * about these can never name an EC2 instance (a pattern with `*` in that part may).
 */
const NON_EC2_TYPE_RESOURCES = new Set(['IAMUser', 'S3', 'Kubernetes', 'Lambda', 'RDS', 'EKS', 'ECS']);

/**
 * What the deployment should know but may keep: a rule whose action acts on EC2 instances only, yet whose
 * criteria let it match findings about other resources (resourceTypes naming them too), or only ever
 * about other resources (every type pattern names an IAM user, S3, …). Such a finding gets its card and a
 * line saying the rule could not act. Logged at cold start, annotated at synth.
 */
export function autoResponseWarnings(config: AutoResponseConfig): string[] {
  const warnings: string[] = [];
  config.rules.forEach((rule, i) => {
    const label = `rule ${i + 1} "${rule.name}"`;
    const kinds = ACTION_RESOURCES[rule.action];
    if (kinds.length === RESOURCE_KINDS.length) return;
    const outside = (rule.resourceTypes ?? []).filter((k) => !kinds.includes(k));
    if (outside.length && outside.length < (rule.resourceTypes?.length ?? 0))
      warnings.push(
        `${label}: ${rule.action} acts on ${actionScope(rule.action)} only; on findings about ${outside.join(', ')} it can only say it could not act`,
      );
    const affected = (rule.types ?? []).map((t) => /^[^:*]+:([^/*]+)\//.exec(t)?.[1]);
    if (affected.length && affected.every((r) => r !== undefined && NON_EC2_TYPE_RESOURCES.has(r)))
      warnings.push(
        `${label}: ${rule.action} acts on ${actionScope(rule.action)} only, and every type it matches (${rule.types!.join(', ')}) is about another resource: it can never act`,
      );
  });
  return warnings;
}

/** AWS Lambda allows 4 KB of environment in all; the rules get at most this much of it. */
export const AUTO_RESPONSE_MAX_BYTES = 2048;

const severityFloor = z.union([z.string(), z.number()]).transform((v, ctx): SeverityLabel | number => {
  if (typeof v === 'string' && isSeverityLabel(v.trim())) return v.trim().toUpperCase() as SeverityLabel;
  const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  if (Number.isFinite(n) && n >= 0 && n <= 10) return n;
  ctx.addIssue({ code: 'custom', message: `expected one of ${SEVERITY_LABELS.join(', ')} or a score 0-10` });
  return z.NEVER;
});

const tagCondition = z
  .string()
  .regex(/^[^=]+=.*$/, 'a tag condition is key=value (the value may use *)')
  .transform((v) => {
    const at = v.indexOf('=');
    return { key: v.slice(0, at).trim(), value: v.slice(at + 1).trim() };
  });

export const AutoResponseRuleSchema = z.strictObject({
  /** Shown on cards, in the case thread, as the case's requester and in `/forensics rules`. */
  name: z
    .string()
    .trim()
    .regex(/^[\w][\w .:/-]{0,63}$/, 'a rule name is 1-64 letters, digits, spaces and _ . : / -'),
  /** Finding types; `*` matches any run of characters (e.g. `CryptoCurrency:EC2/*`). Any one matches. */
  types: z.array(z.string().trim().min(1)).min(1).optional(),
  /** The finding's severity is at least this label or score. */
  minSeverity: severityFloor.optional(),
  /** The finding's account is one of these. */
  accounts: z
    .array(z.string().regex(ACCOUNT_ID_RE, 'an account is a 12-digit AWS account id'))
    .min(1)
    .optional(),
  /** The instance carries every one of these tags (`key=value`, the value may use `*`). */
  tags: z.array(tagCondition).min(1).optional(),
  /** The finding's resource is one of these kinds. */
  resourceTypes: z.array(z.enum(RESOURCE_KINDS)).min(1).optional(),
  action: z.enum(AUTO_RESPONSE_ACTIONS),
  /** Say what the rule would have done, do nothing. */
  dryRun: z.boolean().default(false),
});
export type AutoResponseRule = z.output<typeof AutoResponseRuleSchema>;
export type AutoResponseRuleInput = z.input<typeof AutoResponseRuleSchema>;

const CRITERIA = ['types', 'minSeverity', 'accounts', 'tags', 'resourceTypes'] as const;

export const AutoResponseConfigSchema = z.strictObject({
  rules: z.array(AutoResponseRuleSchema).max(50).default([]),
  /** Every rule only says what it would have done. */
  dryRun: z.boolean().default(false),
  /** Automatic cases (and dry-run notes of them) per clock hour; beyond it one summary line per hour. */
  maxCasesPerHour: z.number().int().min(1).max(1000).default(10),
});
export type AutoResponseConfig = z.output<typeof AutoResponseConfigSchema>;
export type AutoResponseConfigInput = z.input<typeof AutoResponseConfigSchema>;

/**
 * Problems no schema sees: duplicate names, a rule that could never act on an instance, a rule that
 * matches everything, and `contain` without the deployment's explicit permission. Each names its rule.
 */
export function autoResponseProblems(
  config: AutoResponseConfig,
  allowUnattendedContainment: boolean,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.rules.forEach((rule, i) => {
    const label = `rule ${i + 1} "${rule.name}"`;
    if (seen.has(rule.name.toLowerCase())) problems.push(`${label}: another rule has this name`);
    seen.add(rule.name.toLowerCase());
    if (rule.action === 'notify') return;
    if (!CRITERIA.some((c) => rule[c] !== undefined))
      problems.push(
        `${label}: ${rule.action} needs at least one of ${CRITERIA.join(', ')} (it would match every finding)`,
      );
    if (rule.resourceTypes && !rule.resourceTypes.some((k) => canActOn(rule.action, k)))
      problems.push(
        `${label}: ${rule.action} acts on ${actionScope(rule.action)} only, and resourceTypes excludes ec2-instance`,
      );
    if (rule.action === 'contain' && !allowUnattendedContainment)
      problems.push(
        `${label}: action contain isolates instances with no human asked; it is refused (dry run or not) unless the deployment also sets allowUnattendedContainment: true`,
      );
  });
  return problems;
}

/**
 * Parses and checks the configuration (a JSON text or a value); throws an Error naming every problem,
 * with the path of each schema issue (`rules.0.action: …`).
 */
export function parseAutoResponse(raw: unknown, allowUnattendedContainment: boolean): AutoResponseConfig {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = raw.trim() ? JSON.parse(raw) : {};
    } catch (error) {
      throw new Error(`not JSON (${(error as Error).message})`);
    }
  }
  const parsed = AutoResponseConfigSchema.safeParse(value ?? {});
  if (!parsed.success)
    throw new Error(
      parsed.error.issues
        .map((i) => `${describePath(value, i.path)}${i.path.length ? ': ' : ''}${i.message}`)
        .join('; '),
    );
  const problems = autoResponseProblems(parsed.data, allowUnattendedContainment);
  if (problems.length) throw new Error(problems.join('; '));
  return parsed.data;
}

/** `rules.2 ("crypto").action` rather than a bare index: the reader finds the rule by its name. */
function describePath(value: unknown, path: PropertyKey[]): string {
  const name = path[0] === 'rules' && typeof path[1] === 'number' ? ruleName(value, path[1]) : undefined;
  return path.map((p, i) => (i === 1 && name ? `${String(p)} ("${name}")` : String(p))).join('.');
}

function ruleName(value: unknown, index: number): string | undefined {
  const rule = (value as { rules?: unknown[] } | undefined)?.rules?.[index] as { name?: unknown } | undefined;
  return typeof rule?.name === 'string' ? rule.name.slice(0, 64) : undefined;
}

/** The configuration as the functions receive it (compact JSON of the normalized input). */
export function autoResponseEnvironment(config: AutoResponseConfig): string {
  return JSON.stringify({
    ...config,
    rules: config.rules.map((r) => ({
      ...r,
      ...(r.tags ? { tags: r.tags.map((t) => `${t.key}=${t.value}`) } : {}),
    })),
  });
}

/** True when every criterion of the rule holds for the finding (an absent criterion holds). */
export function ruleMatches(rule: AutoResponseRule, finding: Finding): boolean {
  if (rule.types && !rule.types.some((p) => matchesGlob(finding.type, p))) return false;
  if (rule.minSeverity !== undefined && !meetsThreshold(finding.severity, rule.minSeverity)) return false;
  if (rule.accounts && !rule.accounts.includes(finding.account)) return false;
  if (rule.resourceTypes && !rule.resourceTypes.includes(finding.resource.kind)) return false;
  if (rule.tags) {
    const tags = finding.resource.instance?.tags ?? {};
    for (const { key, value } of rule.tags) {
      const actual = tags[key];
      if (actual === undefined || !matchesGlob(actual, value)) return false;
    }
  }
  return true;
}

/** The first rule that matches, with its position (1-based), or undefined. */
export function firstMatch(
  rules: readonly AutoResponseRule[],
  finding: Finding,
): { rule: AutoResponseRule; position: number } | undefined {
  const index = rules.findIndex((r) => ruleMatches(r, finding));
  return index < 0 ? undefined : { rule: rules[index]!, position: index + 1 };
}

/** What a rule's action does, in words (cards, thread, `/forensics rules`). */
export const ACTION_WORDS: Record<AutoResponseAction, string> = {
  notify: 'post the card only',
  analyze: 'open a case and analyze (acquire evidence, no containment)',
  'request-containment': 'open a case and ask the commanders to approve containment',
  contain: 'open a case and contain without approval',
};

/** How the rule appears as a case's requester: never a Slack user id. */
export function ruleRequester(rule: Pick<AutoResponseRule, 'name'>): { userId: string; name: string } {
  // the audit trail's actor names the rule too (audit events carry the user id only)
  return { userId: `auto-response:${rule.name}`, name: `auto-response rule "${rule.name}"` };
}
