import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleHandler, HANDLERS, type HandlerName, REPO_ROOT } from '../../../deploy/bundling.js';
import { NAMES } from '../../../deploy/names.js';
import type { DeployConfigInput } from '../../../deploy/config.js';
import { MULTI_ACCOUNT, resources, SINGLE_ACCOUNT, synth } from './synth.js';

type Json = Record<string, unknown>;
type Settings = (() => unknown) & { reset(): void };

/** A template value as the function would see it: references become plausible ARNs and names. */
function resolve(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(key, p)).join(sep);
  }
  if ('Ref' in v) {
    const ref = v.Ref as string;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return 'us-east-1';
    if (ref === 'AWS::AccountId') return '111111111111';
    if (key.endsWith('SECRET_ARN'))
      return `arn:aws:secretsmanager:us-east-1:111111111111:secret:${ref}-AbCdEf`;
    return `forensics-bot-${ref.toLowerCase()}`;
  }
  if ('Fn::GetAtt' in v)
    return `arn:aws:lambda:us-east-1:111111111111:function:${(v['Fn::GetAtt'] as string[])[0]}`;
  throw new Error(`${key}: cannot resolve ${JSON.stringify(value)}`);
}

const LOGICAL_PREFIX: Record<HandlerName, string> = {
  slack: 'BotSlack',
  findings: 'BotFindings',
  progress: 'BotProgress',
  steps: 'BotSteps',
  outbox: 'OutboxDrainer',
};

function environmentOf(
  handler: HandlerName,
  input: DeployConfigInput = MULTI_ACCOUNT,
): Record<string, string> {
  const { security } = synth(input);
  const [, fn] = resources(security, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith(LOGICAL_PREFIX[handler]),
  )!;
  const vars = ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, resolve(k, v)]));
}

/** Every source file (outside tests, the sandbox and the deploy) that declares settings. */
function settingsModules(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && /\bdefineSettings\(\s*'/.test(readFileSync(path, 'utf8')))
        found.push(relative(REPO_ROOT, path));
    }
  };
  for (const top of ['bot', 'handlers', 'workflows']) walk(join(REPO_ROOT, top));
  return found.sort();
}

/** The settings getters a module exports (what `defineSettings` returns). */
async function settingsOf(module: string): Promise<[string, Settings][]> {
  const exports = (await import(pathToFileURL(join(REPO_ROOT, module)).href)) as Json;
  return Object.entries(exports).filter(
    (e): e is [string, Settings] =>
      typeof e[1] === 'function' && typeof (e[1] as Settings).reset === 'function',
  );
}

const saved = { ...process.env };
const touched: Settings[] = [];

/** Runs a read with exactly the function's environment (plus what Lambda itself sets). */
function withEnvironment<T>(env: Record<string, string>, read: () => T): T {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, { AWS_REGION: 'us-east-1' }, env);
  for (const s of touched) s.reset();
  return read();
}

afterEach(() => {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, saved);
  for (const s of touched) s.reset();
});

describe('Function: the functions environment', () => {
  for (const [mode, input] of [
    ['multi-account', MULTI_ACCOUNT],
    ['single-account', SINGLE_ACCOUNT],
  ] as const) {
    it(`satisfies every setting each function's bundle can read (${mode})`, async () => {
      // Prepare: which settings modules went into each bundle (esbuild metafile), and what they declare
      const modules = settingsModules();
      expect(modules).toEqual(
        expect.arrayContaining(['bot/core/config.ts', 'bot/core/settings.ts', 'workflows/settings.ts']),
      );
      for (const handler of HANDLERS) {
        const inputs = bundleHandler(handler).metafile.inputs;
        const env = environmentOf(handler, input);
        for (const module of modules.filter((m) => inputs[m])) {
          for (const [name, settings] of await settingsOf(module)) {
            touched.push(settings);

            // Act
            const read = () => withEnvironment(env, () => settings());

            // Assess
            expect(read, `${handler}: ${module} ${name}`).not.toThrow();
          }
        }
      }
    });
  }

  it('names both Slack secrets to every function that resolves them', () => {
    for (const handler of HANDLERS) {
      if (!bundleHandler(handler).metafile.inputs['bot/slack/secrets.ts']) continue;
      // Act
      const env = environmentOf(handler);

      // Assess
      expect(env.SLACK_BOT_TOKEN_SECRET_ARN, handler).toMatch(/^arn:aws:secretsmanager:/);
      expect(env.SLACK_SIGNING_SECRET_SECRET_ARN, handler).toMatch(/^arn:aws:secretsmanager:/);
      expect(env.SLACK_BOT_TOKEN, handler).toBeUndefined();
      expect(env.SLACK_SIGNING_SECRET, handler).toBeUndefined();
    }
  });

  it('gives the Slack side and the workflows one approval reminder and expiry', () => {
    // Prepare
    const input = { ...MULTI_ACCOUNT, approvalRemindMinutes: '20', approvalExpireMinutes: '90' };

    // Act
    const values = HANDLERS.map((h) => environmentOf(h, input)).map((e) => [
      e.APPROVAL_REMIND_MINUTES,
      e.APPROVAL_EXPIRE_MINUTES,
      e.FOUR_EYES,
    ]);

    // Assess
    for (const v of values) expect(v).toEqual(['20', '90', 'true']);
  });

  it('tells the findings function the ids of the custom actions the stack creates', () => {
    // Prepare
    const { security } = synth(MULTI_ACCOUNT);
    const ids = resources(security, 'AWS::SecurityHub::ActionTarget').map(
      ([, r]) => (r.Properties as Json).Id,
    );

    // Act
    const env = environmentOf('findings');

    // Assess
    expect(ids.sort()).toEqual([NAMES.analyzeAction, NAMES.containAction].sort());
    expect([env.ANALYZE_ACTION_ID, env.CONTAIN_ACTION_ID]).toEqual([
      NAMES.analyzeAction,
      NAMES.containAction,
    ]);
  });

  it('points the steps at the forensics account', () => {
    // Act
    const env = environmentOf('steps');

    // Assess
    expect(env).toMatchObject({
      IR_ROLE_NAME: 'IRAutomation',
      IR_EXTERNAL_ID: 'forensics-bot-test-external-id',
      EVIDENCE_BUCKET: 'forensics-bot-evidence-222222222222-us-east-1',
      FORENSICS_ACCOUNT: '222222222222',
      SNAPSHOT_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:alias/forensics-bot-snapshots',
      FORENSICS_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:alias/forensics-bot-evidence',
      TOOLS_URI: 's3://forensics-bot-tools-222222222222/avml/',
      FORENSICS_ROLE_ARN: 'arn:aws:iam::222222222222:role/ForensicsBot-SnapshotReceiver',
      QUARANTINE_PROFILE: 'ForensicsBot-Quarantine',
      DENY_ALL_PROFILE: 'ForensicsBot-DenyAll',
      MEMORY_DOCUMENT: 'ForensicsBot-CaptureMemory',
      TRIAGE_DOCUMENT: 'ForensicsBot-LiveTriage',
      TRIAGE_COMMAND_TIMEOUT_SECONDS: '600',
    });
    // no AVML configured: the tools prefix is there, no hash is made up (the capture says which is missing)
    expect(env).not.toHaveProperty('AVML_SHA256_X86_64');
    expect(env).not.toHaveProperty('AVML_SHA256_AARCH64');
    expect(env).not.toHaveProperty('EVIDENCE_UPLOAD_ROLE_ARN');
  });

  it('tells the steps the tools prefix and the pinned AVML hashes of the configuration', () => {
    // Prepare: pinned builds put there by hand need no source (and no staging)
    const x86 = 'a'.repeat(64);
    const arm = 'B'.repeat(64);

    // Act
    const env = environmentOf('steps', { ...MULTI_ACCOUNT, avmlSha256X86_64: x86, avmlSha256Aarch64: arm });
    const onlyX86 = environmentOf('steps', { ...MULTI_ACCOUNT, avmlSha256X86_64: x86 });

    // Assess
    expect(env).toMatchObject({
      TOOLS_URI: 's3://forensics-bot-tools-222222222222/avml/',
      AVML_SHA256_X86_64: x86,
      AVML_SHA256_AARCH64: arm.toLowerCase(),
    });
    expect(onlyX86.AVML_SHA256_X86_64).toBe(x86);
    expect(onlyX86).not.toHaveProperty('AVML_SHA256_AARCH64');
    // only the steps read them
    expect(environmentOf('slack')).not.toHaveProperty('TOOLS_URI');
  });
});
