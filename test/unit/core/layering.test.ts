import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Every import of a file: relative ones resolved to repository paths (prefixed `./`), packages as written. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [
    ...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm),
  ].map((m) => (m[1] ?? m[2] ?? m[3])!);
  return specs.map((spec) =>
    spec.startsWith('.')
      ? `./${path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec)).replace(/\.js$/, '.ts')}`
      : spec,
  );
}

describe('Layering: the case core is the ground floor', () => {
  it('bot/core imports only bot/core and packages, never Slack', () => {
    for (const file of sources('bot/core')) {
      for (const dep of importsOf(file)) {
        if (dep.startsWith('./')) expect(dep, `${file} imports ${dep}`).toMatch(/^\.\/bot\/core\//);
        else expect(dep, `${file} imports ${dep}`).not.toMatch(/^@slack\//);
      }
    }
  });

  it('workflows reach bot/ only through bot/core and the notifier', () => {
    for (const file of sources('workflows').filter((f) => f !== 'workflows/notifier.ts')) {
      for (const dep of importsOf(file).filter((d) => d.startsWith('./bot/')))
        expect(dep, `${file} imports ${dep}`).toMatch(/^\.\/bot\/core\//);
    }
  });
});
