import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledPackages, bundleHandler, HANDLERS, REPO_ROOT } from '../../../deploy/bundling.js';
import { NAMED_ERRORS } from '../../../workflows/definitions/states.js';

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

  it("leaves out Bolt's receivers other than AwsLambdaReceiver, and what they pull", () => {
    // Act
    const packages = bundledPackages(bundleHandler('slack'));

    // Assess
    for (const unused of ['express', '@slack/socket-mode', '@slack/oauth', 'undici', 'jsonwebtoken', 'ws'])
      expect(packages, unused).not.toContain(unused);
  });

  it('bundles zod with its English messages only', () => {
    for (const handler of HANDLERS) {
      // Act
      const inputs = Object.keys(bundleHandler(handler).metafile.inputs);

      // Assess
      expect(
        inputs.filter((i) => /^node_modules\/(.+\/)?zod\/v4\/locales\/(?!en\.js)[^/]+\.js$/.test(i)),
        handler,
      ).toEqual([]);
    }
  });

  it('bundles every handler in handlers/', () => {
    // Prepare
    const files = readdirSync(join(REPO_ROOT, 'handlers'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => basename(f, '.ts'));

    // Assess
    expect([...HANDLERS].sort()).toEqual(files.sort());
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

  it('answers a signed Slack request from the bundled Slack handler, and refuses an unsigned one', () => {
    // Prepare: url_verification changes nothing, so it needs neither the replay record (DynamoDB) nor a Slack API call
    const file = join(bundleHandler('slack').dir, 'index.mjs');
    const secret = 'bundle-test-signing-secret';
    const body = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const event = (headers: Record<string, string>) => ({
      headers: { 'content-type': 'application/json', ...headers },
      body,
      isBase64Encoded: false,
    });
    const script = `const { handler } = await import(${JSON.stringify(file)});
const signed = await handler(${JSON.stringify(event({ 'x-slack-signature': signature, 'x-slack-request-timestamp': ts }))});
const unsigned = await handler(${JSON.stringify(event({}))});
console.log(JSON.stringify({ signed, unsigned: unsigned.statusCode }));`;

    // Act: a fresh process with only the Slack function's own settings
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        LOG_LEVEL: 'ERROR',
        SLACK_SIGNING_SECRET: secret,
        SLACK_BOT_TOKEN: 'xoxb-bundle-test',
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        CASE_TABLE: 'bundle-test',
        ALERTS_CHANNEL: 'C0ALERTS',
        COMMANDERS_CHANNEL: 'C0COMMANDERS',
        RESPONDERS_GROUP: 'S0RESPONDERS',
        COMMANDERS_GROUP: 'S0COMMANDERS',
        CASE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:ForensicsBot-Case',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });

    // Assess
    const result = JSON.parse(out.trim().split('\n').pop()!) as {
      signed: { statusCode: number; body: string };
      unsigned: number;
    };
    expect(result.signed.statusCode).toBe(200);
    expect(result.signed.body).toContain('c-123');
    expect(result.unsigned).toBe(401);
  });
});
