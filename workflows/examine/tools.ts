import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingToolError } from './errors.js';
import { run } from './exec.js';

/**
 * The external tools, found on PATH as a shell would find them (so a test can take them away by PATH).
 * The Sleuth Kit reads the images without mounting them; YARA scans what it extracts.
 */
const REQUIRED = [
  'fls',
  'mmls',
  'fsstat',
  'mactime',
  'tsk_recover',
  'blkls',
  'blkcalc',
  'yara',
  'yarac',
] as const;
/** Volatility 3's command names; it is optional (and not installable on the CI machine). */
const VOLATILITY = ['vol', 'vol3', 'volatility3'] as const;

export interface Tools {
  fls: string;
  mmls: string;
  fsstat: string;
  mactime: string;
  tsk_recover: string;
  blkls: string;
  blkcalc: string;
  yara: string;
  yarac: string;
  /** Volatility 3, when installed. */
  vol?: string;
  versions: { sleuthkit: string; yara: string; volatility?: string };
}

export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Finds every required tool or throws `MissingToolError` naming the missing ones. */
export async function findTools(): Promise<Tools> {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of REQUIRED) {
    const at = which(name);
    if (at) found[name] = at;
    else missing.push(name);
  }
  if (missing.length) throw new MissingToolError(missing);
  const vol = VOLATILITY.map((n) => which(n)).find(Boolean);
  const sleuthkit = (await run(found.fls!, ['-V']).catch(() => 'unknown'))
    .trim()
    .replace(/^The Sleuth Kit ver /, '');
  const yara = (await run(found.yara!, ['-v']).catch(() => 'unknown')).trim();
  const volatility = vol
    ? ((await run(vol, ['--help'], { okCodes: [0, 1, 2] }).catch(() => '')).match(
        /Volatility 3 Framework ([\d.]+)/,
      )?.[1] ?? 'unknown')
    : undefined;
  return {
    ...(found as Omit<Tools, 'vol' | 'versions'>),
    ...(vol ? { vol } : {}),
    versions: { sleuthkit, yara, ...(volatility ? { volatility } : {}) },
  };
}
