import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../deploy/bundling.js';
import { CONTEXT_KEYS } from '../../../deploy/config.js';
import { NAMES } from '../../../deploy/names.js';

const guide = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
const source = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const quoted = (name: string) => new RegExp(`\`${name}\``);

describe('Function: the deploy guide (docs/deploy.md)', () => {
  it('documents every parameter the app reads', () => {
    for (const key of CONTEXT_KEYS) expect(guide, key).toMatch(new RegExp(`^\\| \`${key}\` \\|`, 'm'));
  });

  it('names the stacks, outputs, secrets and member parameters as the code does', () => {
    // Prepare: outputs and parameters as declared in the stacks
    const outputs = ['deploy/security-stack.ts', 'deploy/forensics-stack.ts'].flatMap((f) =>
      [...source(f).matchAll(/new CfnOutput\(this, '([A-Za-z]+)'/g)].map((m) => m[1]!),
    );
    const functionOutputs = ['Slack', 'Findings', 'Progress', 'Steps'].map((n) => `${n}FunctionName`);
    const parameters = [...source('deploy/member-stack.ts').matchAll(/new CfnParameter\(this, '(\w+)'/g)].map(
      (m) => m[1]!,
    );
    const secrets = [...source('deploy/constructs/slack-secrets.ts').matchAll(/secretName: '([^']+)'/g)].map(
      (m) => m[1]!,
    );

    // Assess
    expect(outputs.length).toBeGreaterThan(6);
    expect(parameters.length).toBeGreaterThan(4);
    expect(secrets).toHaveLength(2);
    for (const name of [
      ...outputs,
      ...functionOutputs,
      ...parameters,
      ...secrets,
      'ForensicsBot-Security',
      'ForensicsBot-Forensics',
      'ForensicsBot-Member',
      NAMES.irRole,
      NAMES.stepsRole,
      NAMES.snapshotReceiverRole,
      NAMES.denyAllProfile,
      NAMES.quarantineProfile,
      NAMES.captureMemoryDocument,
    ])
      expect(guide, name).toMatch(quoted(name));
  });

  it('tells the Slack app manifest the URL output the guide uses', () => {
    // Assess
    expect(source('manifest.yml')).toContain('SlackRequestUrl');
    expect(guide).toContain('https://SLACK_FUNCTION_URL.lambda-url.us-east-1.on.aws/slack/events');
    expect(source('manifest.yml')).toContain(
      'https://SLACK_FUNCTION_URL.lambda-url.us-east-1.on.aws/slack/events',
    );
  });
});
