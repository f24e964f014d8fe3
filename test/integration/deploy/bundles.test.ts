import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledPackages, bundleHandler, HANDLERS } from '../../../deploy/bundling.js';
import { NAMED_ERRORS } from '../../../workflows/definitions/build.js';

/** Clients only the workflow steps need: no other function should pay for loading them. */
const STEPS_ONLY = [
  '@aws-sdk/client-ec2',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-iam',
  '@aws-sdk/client-auto-scaling',
  '@aws-sdk/client-elastic-load-balancing',
  '@aws-sdk/client-elastic-load-balancing-v2',
  '@aws-sdk/client-sts',
];

describe('Function: bundleHandler', () => {
  it('keeps the EC2 and SSM clients (and every other steps-only client) out of the Slack bundle', () => {
    // Act
    const packages = bundledPackages(bundleHandler('slack'));

    // Assess
    expect(packages).toContain('@slack/bolt');
    for (const client of STEPS_ONLY) expect(packages, client).not.toContain(client);
  });

  it('keeps Bolt and the steps-only clients out of the findings and progress bundles', () => {
    for (const handler of ['findings', 'progress'] as const) {
      // Act
      const packages = bundledPackages(bundleHandler(handler));

      // Assess
      expect(packages, handler).not.toContain('@slack/bolt');
      expect(packages, handler).not.toContain('express');
      for (const client of STEPS_ONLY) expect(packages, `${handler} ${client}`).not.toContain(client);
    }
  });

  it('gives the steps bundle the member-account clients and no Bolt', () => {
    // Act
    const packages = bundledPackages(bundleHandler('steps'));

    // Assess
    expect(packages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-ec2', '@aws-sdk/client-ssm', '@aws-sdk/client-sts']),
    );
    expect(packages).not.toContain('@slack/bolt');
  });

  it('keeps the error class names the state machines catch by (minified, but with names)', () => {
    // Prepare
    const dir = bundleHandler('steps').dir;
    const text = [
      join(dir, 'index.mjs'),
      ...readdirSync(join(dir, 'chunks')).map((f) => join(dir, 'chunks', f)),
    ]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');

    // Assess: ForensicsBotError sets name = new.target.name, so the class name is the ErrorEquals contract
    for (const name of NAMED_ERRORS) expect(text, name).toMatch(new RegExp(`["']${name}["']`));
  });

  it('writes ES modules that Node loads and that export a handler', () => {
    for (const handler of HANDLERS) {
      // Prepare
      const file = join(bundleHandler(handler).dir, 'index.mjs');

      // Act: a fresh process, no configuration: loading must not need any (settings are read on first use)
      const out = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`,
        ],
        { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 20_000 },
      );

      // Assess
      expect(out.trim(), handler).toBe('function');
    }
  });
});
