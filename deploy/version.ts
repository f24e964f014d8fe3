import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the manifest names as the tool that took the evidence: the package version and the commit the
 * stack was synthesized from. The commit comes from CDK context `commit` (CI sets it), else from git; a
 * synth outside a git checkout says so instead of inventing one.
 */
export function buildIdentity(contextCommit?: string): { version: string; commit: string } {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return { version: pkg.version, commit: contextCommit?.trim() || gitCommit() };
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}+uncommitted-changes` : head;
  } catch (error) {
    return `unknown (not a git checkout: ${(error as Error).message.split('\n')[0]})`.slice(0, 200);
  }
}
