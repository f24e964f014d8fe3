import { z } from 'zod';
import { ConfigurationError } from './errors.js';

/**
 * Configuration comes only from environment variables, validated with zod once per cold start.
 * Each area declares its own settings with `defineSettings`; the first call validates and caches,
 * and a missing or malformed variable throws a `ConfigurationError` naming it.
 */
export function defineSettings<Shape extends z.ZodRawShape>(
  area: string,
  shape: Shape,
  refine?: (value: z.infer<z.ZodObject<Shape>>) => string | undefined,
): { (): z.infer<z.ZodObject<Shape>>; reset(): void } {
  const schema = z.object(shape);
  let cached: z.infer<z.ZodObject<Shape>> | undefined;
  const load = () => {
    if (cached) return cached;
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const missing = process.env[name] === undefined || process.env[name] === '';
        return missing ? `${name} is missing` : `${name} is malformed: ${issue.message}`;
      });
      throw new ConfigurationError(`${area} configuration: ${problems.join('; ')}`);
    }
    const problem = refine?.(parsed.data);
    if (problem) throw new ConfigurationError(`${area} configuration: ${problem}`);
    cached = parsed.data;
    return cached;
  };
  load.reset = () => {
    cached = undefined;
  };
  return load;
}

/** Helpers for common variable kinds. Empty strings count as absent. */
export const env = {
  required: (description: string) => z.string({ error: description }).trim().min(1, description),
  optional: () =>
    z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : undefined)),
  url: () =>
    z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : undefined))
      .pipe(z.url().optional()),
  // Environment variables are strings; CDK context from cdk.json may be JSON booleans, numbers and arrays
  // (deploy/config.ts reads it with these same helpers).
  bool: (fallback: boolean) =>
    z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
      .optional()
      .transform((v) =>
        v === undefined || v === '' ? fallback : v === true || ['true', '1', 'yes'].includes(String(v)),
      ),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z
      .union([z.number(), z.string()])
      .optional()
      .transform((v) => (v === undefined || v === '' ? fallback : Number(v)))
      .pipe(z.number().int().min(min).max(max)),
  /** A decimal number (minutes may be fractional, so tests can drive real timeouts in seconds). */
  number: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z
      .string()
      .optional()
      .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
      .transform(Number)
      .pipe(z.number().min(min).max(max)),
  list: () =>
    z
      .union([z.array(z.string()), z.string()])
      .optional()
      .transform((v) => (Array.isArray(v) ? v : (v ?? '').split(',')).map((s) => s.trim()).filter(Boolean)),
};

/** The case table (cases, audit events, instance guards, alert fingerprints). */
export const tableSettings = defineSettings('Case table', {
  CASE_TABLE: env.required('the DynamoDB table name'),
});

/**
 * Slack credentials: either the value itself (sandbox, tests) or a Secrets Manager ARN (AWS), resolved
 * once per cold start by `bot/slack/secrets.ts`.
 */
export const slackSettings = defineSettings(
  'Slack',
  {
    SLACK_API_URL: env.url(),
    SLACK_BOT_TOKEN: env.optional(),
    SLACK_BOT_TOKEN_SECRET_ARN: env.optional(),
    SLACK_SIGNING_SECRET: env.optional(),
    SLACK_SIGNING_SECRET_SECRET_ARN: env.optional(),
    // The app's own ids, for Bolt's ignore-self filter on events. Optional and without a default: a made-up
    // id would be wrong in every real workspace; the bot takes no Events API deliveries, so unset is safe.
    SLACK_BOT_ID: z
      .string()
      .regex(/^B[A-Z0-9]{2,}$/, 'a bot id is B…')
      .optional(),
    SLACK_BOT_USER_ID: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,}$/, 'a bot user id is U…')
      .optional(),
  },
  (s) => {
    if (!s.SLACK_BOT_TOKEN && !s.SLACK_BOT_TOKEN_SECRET_ARN)
      return 'SLACK_BOT_TOKEN is missing (or set SLACK_BOT_TOKEN_SECRET_ARN)';
    return undefined;
  },
);

/** Channels and roles: Slack channel ids and user group ids (or handles in the sandbox). */
export const workspaceSettings = defineSettings('Slack workspace', {
  ALERTS_CHANNEL: env.required('the channel id where finding cards are posted'),
  COMMANDERS_CHANNEL: env.required('the channel id where approval cards are posted'),
  RESPONDERS_GROUP: env.required('the Slack user group id of responders'),
  COMMANDERS_GROUP: env.required('the Slack user group id of incident commanders'),
});
