import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type DeployConfigInput, parseDeployConfig } from '../../../deploy/config.js';
import { type BuildOptions, buildForensicsBot, type ForensicsBotStacks } from '../../../deploy/stacks.js';
import { avmlConfigOf, type StagedTools, stageAvml } from '../../../deploy/tools.js';

/** The parameters of the sandbox organization (COMMON.md accounts). */
export const MULTI_ACCOUNT: DeployConfigInput = {
  securityAccount: '111111111111',
  forensicsAccount: '222222222222',
  organizationId: 'o-exampleorg1',
  externalId: 'forensics-bot-test-external-id',
  region: 'us-east-1',
  alertsMinSeverity: 'HIGH',
  alertsChannel: 'C0ALERTS',
  commandersChannel: 'C0COMMANDERS',
  respondersGroup: 'S0RESPONDERS',
  commandersGroup: 'S0COMMANDERS',
};

/** A small team: everything in one account, no organization. */
export const SINGLE_ACCOUNT: DeployConfigInput = {
  singleAccount: true,
  securityAccount: '333333333333',
  externalId: 'forensics-bot-test-external-id',
  alertsChannel: 'C0ALERTS',
  commandersChannel: 'C0COMMANDERS',
  respondersGroup: 'S0RESPONDERS',
  commandersGroup: 'S0COMMANDERS',
};

// Two pretend AVML builds in a temporary directory (removed when the test process ends).
const avmlDir = mkdtempSync(join(tmpdir(), 'forensics-bot-avml-'));
process.on('exit', () => rmSync(avmlDir, { recursive: true, force: true }));
const avmlBuild = (arch: string) => {
  const body = `\x7fELF pretend avml ${arch}`;
  writeFileSync(join(avmlDir, `avml-${arch}`), body);
  return { path: join(avmlDir, `avml-${arch}`), sha256: createHash('sha256').update(body).digest('hex') };
};
export const AVML = { x86_64: avmlBuild('x86_64'), aarch64: avmlBuild('aarch64') };

/** The multi-account parameters with both AVML builds pinned and given as local files. */
export const WITH_AVML: DeployConfigInput = {
  ...MULTI_ACCOUNT,
  avmlVersion: '0.14.0',
  avmlSha256X86_64: AVML.x86_64.sha256,
  avmlSourceX86_64: AVML.x86_64.path,
  avmlSha256Aarch64: AVML.aarch64.sha256,
  avmlSourceAarch64: AVML.aarch64.path,
};

/** Stages the AVML builds of `input` as `deploy/app.ts` does (cache in the temporary directory). */
export function stageFor(input: DeployConfigInput): Promise<StagedTools | undefined> {
  return stageAvml(avmlConfigOf(parseDeployConfig(input as Record<string, unknown>)), {
    cacheDir: join(avmlDir, 'cache'),
  });
}

export interface Synthesized {
  app: App;
  stacks: ForensicsBotStacks;
  security: Template;
  forensics: Template;
  member: Template;
  memberTriage: Template;
}

const cache = new Map<string, Synthesized>();

/** Builds and synthesizes the app once per parameter set and process (bundles are cached on disk too). */
export function synth(input: DeployConfigInput, options: BuildOptions = {}): Synthesized {
  const key = JSON.stringify({ input, options });
  const hit = cache.get(key);
  if (hit) return hit;
  const app = new App();
  const stacks = buildForensicsBot(app, parseDeployConfig(input as Record<string, unknown>), {
    nag: false,
    ...options,
  });
  const out: Synthesized = {
    app,
    stacks,
    security: Template.fromStack(stacks.security),
    forensics: Template.fromStack(stacks.forensics),
    member: Template.fromStack(stacks.member),
    memberTriage: Template.fromStack(stacks.memberTriage),
  };
  cache.set(key, out);
  return out;
}

type Json = Record<string, unknown>;

/** Every resource of a template as [logicalId, resource]. */
export function resources(template: Template, type?: string): [string, Json][] {
  const all = (template.toJSON() as { Resources: Record<string, Json> }).Resources;
  return Object.entries(all).filter(([, r]) => !type || r.Type === type);
}

/** Every policy statement anywhere in a template (identity, trust, key, bucket, queue, bus policies). */
export function statements(template: Template): { logicalId: string; type: string; statement: Json }[] {
  const found: { logicalId: string; type: string; statement: Json }[] = [];
  const visit = (node: unknown, logicalId: string, type: string) => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, logicalId, type);
    } else if (node && typeof node === 'object') {
      const o = node as Json;
      if ('Effect' in o && ('Action' in o || 'NotAction' in o)) found.push({ logicalId, type, statement: o });
      for (const v of Object.values(o)) visit(v, logicalId, type);
    }
  };
  for (const [id, r] of resources(template)) visit(r.Properties, id, String(r.Type));
  return found;
}

export function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
