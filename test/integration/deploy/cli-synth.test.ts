import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../deploy/bundling.js';

type Manifest = {
  missing?: unknown[];
  artifacts: Record<string, { type: string; environment?: string }>;
};

const work = mkdtempSync(join(tmpdir(), 'forensics-bot-synth-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * `cdk synth` exactly as `npm run synth` runs it (the CLI, cdk.json, the app), in a process with no AWS
 * credentials, no AWS configuration and no instance metadata: what a CI runner without network has.
 */
function cdkSynth(out: string, context: string[] = []): string {
  return execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
      'synth',
      '--quiet',
      '--no-notices',
      '--output',
      out,
      // cdk.json carries no ExternalId (a copied example would be a guessable secret): the test sets one
      ...['externalId=forensics-bot-cli-test-external-id', ...context].flatMap((c) => ['--context', c]),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        AWS_CONFIG_FILE: join(work, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function templatesIn(out: string): string[] {
  return readdirSync(out)
    .filter((f) => f.endsWith('.template.json'))
    .sort();
}

describe('Function: cdk synth (the CLI, offline)', () => {
  it('writes the four templates and their bundles without credentials or context lookups', () => {
    // Prepare
    const out = join(work, 'multi');
    const contextFile = join(REPO_ROOT, 'cdk.context.json');
    const hadContextFile = existsSync(contextFile);

    // Act
    cdkSynth(out);

    // Assess
    expect(templatesIn(out)).toEqual([
      'ForensicsBot-Forensics.template.json',
      'ForensicsBot-Member.template.json',
      'ForensicsBot-MemberTriage.template.json',
      'ForensicsBot-Security.template.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.missing ?? []).toEqual([]); // a lookup would be listed here, to be answered online
    expect(existsSync(contextFile)).toBe(hadContextFile);
    expect(manifest.artifacts['ForensicsBot-Security']?.environment).toBe('aws://111111111111/us-east-1');
    expect(manifest.artifacts['ForensicsBot-Forensics']?.environment).toBe('aws://222222222222/us-east-1');
    // the member stack is environment-agnostic: one template for every account of the StackSet
    expect(manifest.artifacts['ForensicsBot-Member']?.environment).toBe(
      'aws://unknown-account/unknown-region',
    );
    expect(manifest.artifacts['ForensicsBot-MemberTriage']?.environment).toBe(
      'aws://unknown-account/unknown-region',
    );
    const bundles = readdirSync(out).filter(
      (f) => f.startsWith('asset.') && existsSync(join(out, f, 'index.mjs')),
    );
    // one per handler: slack, findings, progress, steps, outbox
    expect(bundles).toHaveLength(5);
  }, 180_000);

  it('synthesizes single-account mode from context given on the command line', () => {
    // Prepare
    const out = join(work, 'single');

    // Act
    cdkSynth(out, [
      'singleAccount=true',
      'securityAccount=333333333333',
      'forensicsAccount=',
      'organizationId=',
    ]);

    // Assess
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.artifacts['ForensicsBot-Security']?.environment).toBe('aws://333333333333/us-east-1');
    expect(manifest.artifacts['ForensicsBot-Forensics']?.environment).toBe('aws://333333333333/us-east-1');
    const security = readFileSync(join(out, 'ForensicsBot-Security.template.json'), 'utf8');
    expect(security).not.toContain('aws:PrincipalOrgID');
    expect(security).not.toContain('222222222222');
  }, 180_000);

  it('stops with the context key named when a parameter is malformed', () => {
    // Act
    const run = () => cdkSynth(join(work, 'bad'), ['securityAccount=12345']);

    // Assess
    expect(run).toThrow(/securityAccount must be a 12-digit AWS account id/);
  }, 180_000);
});
