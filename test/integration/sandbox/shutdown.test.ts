/**
 * `npm start` as a user runs it (node with tsx on sandbox/main.ts): the banner says where to go and what
 * to click, and Ctrl-C (SIGINT) or SIGTERM stops everything, even in the middle of a case, with the
 * process ending by itself with code 0 (main.ts exits 1 and names the handle when one is left open).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TARGETS } from '../../../sandbox/targets.js';
import { SandboxApi, waitFor } from '../../e2e/support/api.js';
import { askToContain } from './runbook.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface Started {
  child: ChildProcess;
  url: string;
  output: () => { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function start(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await waitFor(
    'the sandbox banner',
    () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
      return (
        stdout.includes('Ctrl-C stops everything') && /Open\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
      );
    },
    { timeoutMs: 45_000, intervalMs: 100 },
  );
  return { child, url, output: () => ({ stdout, stderr }), exited };
}

/** Resolves with the exit, or fails when the process is still there after `ms`. */
function exitWithin(started: Started, ms: number) {
  return Promise.race([
    started.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms).unref(),
    ),
  ]);
}

describe('Function: npm start', () => {
  it('prints the URL, the signing secret and what to click; Ctrl-C stops it with code 0', async () => {
    // Prepare
    const sandbox = await start();
    const { stdout } = sandbox.output();
    expect(stdout).toContain(`Open  ${sandbox.url}`);
    expect(stdout).toContain(`${sandbox.url}/slack/events`);
    expect(stdout).toMatch(/signing secret "sandbox-signing-secret".*SLACK_SIGNING_SECRET/);
    expect(stdout).toMatch(/Inject a finding.*SSH brute force/);
    expect(stdout).toMatch(/alice.*Contain/);
    expect(stdout).toMatch(/carol.*Approve/);
    expect((await fetch(sandbox.url)).status).toBe(200);

    // Act
    sandbox.child.kill('SIGINT');

    // Assess
    expect(await exitWithin(sandbox, 8_000)).toEqual({ code: 0, signal: null });
    expect(sandbox.output().stdout).toContain('stopped.');
    expect(sandbox.output().stderr).toBe('');
    await expect(fetch(sandbox.url)).rejects.toThrow();
  }, 60_000);

  it('SIGTERM in the middle of a case stops the workflow and everything else, with code 0', async () => {
    // Prepare: a case is running (approved, its steps reporting in the thread)
    const sandbox = await start();
    const api = new SandboxApi(sandbox.url);
    const { approval } = await askToContain(api, TARGETS.demo);
    await api.post('/api/interactions', {
      user: 'carol',
      channel: 'ir-commanders',
      ts: approval.ts,
      actionId: 'approval.approve',
    });
    const { cases } = await api.get('/api/cases');
    expect(cases.length).toBeGreaterThan(0);

    // Act
    sandbox.child.kill('SIGTERM');

    // Assess
    expect(await exitWithin(sandbox, 8_000)).toEqual({ code: 0, signal: null });
    const { stdout, stderr } = sandbox.output();
    expect(stdout).toContain('SIGTERM: stopping the sandbox');
    expect(stdout).toContain('stopped.');
    expect(stderr).not.toMatch(/Database is closed|Uncaught|still open after stop/);
  }, 90_000);
});
