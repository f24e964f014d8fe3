import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { clip, type NewFinding } from '../findings.js';
import type { ImageView } from '../view.js';

/**
 * Package verification where the package database is in the image (issue 12): every file listed in
 * /var/lib/dpkg/info/*.md5sums is hashed and compared (dpkg leaves configuration files out of md5sums, so
 * edited configuration is not reported here). A replaced binary is high. An RPM database cannot be read
 * without rpm: that is said, not skipped silently.
 */
export interface PackageCheck {
  findings: NewFinding[];
  verified: number;
  missing: number;
  skipped?: string;
}

export function checkPackages(view: ImageView): PackageCheck {
  const findings: NewFinding[] = [];
  let verified = 0;
  let missing = 0;
  const mismatched: { pkg: string; path: string; expected: string; actual: string }[] = [];
  for (const e of view.files('/var/lib/dpkg/info').filter((f) => f.path.endsWith('.md5sums'))) {
    const pkg = posix.basename(e.path).replace(/\.md5sums$/, '');
    for (const line of (view.text(e.path) ?? '').split('\n')) {
      const m = line.match(/^([0-9a-f]{32})\s+(.+)$/);
      if (!m) continue;
      const path = `/${m[2]!.replace(/^\//, '')}`;
      const data = view.read(path, 512 * 1024 * 1024);
      if (!data) {
        missing++;
        continue;
      }
      verified++;
      const actual = createHash('md5').update(data).digest('hex');
      if (actual !== m[1]) mismatched.push({ pkg, path, expected: m[1]!, actual });
    }
  }
  for (const x of mismatched) {
    const e = view.entry(x.path);
    findings.push({
      category: 'integrity',
      severity: /\/(s?bin|lib|lib64|libexec)\//.test(x.path) ? 'high' : 'medium',
      title: `File of package ${x.pkg} differs from what dpkg installed`,
      path: x.path,
      time: view.time(e),
      evidence: clip(`md5 ${x.actual}, dpkg recorded ${x.expected}; ${e?.size ?? '?'} bytes`, 300),
      source: 'packages:dpkg',
    });
  }
  const rpm = view.entry('/var/lib/rpm') ?? view.entry('/usr/lib/sysimage/rpm');
  return {
    findings,
    verified,
    missing,
    ...(rpm
      ? { skipped: 'RPM database present: rpm verification was not run (no rpm tooling in the engine)' }
      : {}),
  };
}
