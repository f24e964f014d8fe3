import { posix } from 'node:path';
import { clip, type NewFinding } from '../findings.js';
import type { BodyEntry } from '../sleuthkit.js';
import type { ImageView } from '../view.js';
import { suspiciousReasons } from './commands.js';

/**
 * Persistence (issue 12, question 3): cron (system, users, cron.d, periodic directories), systemd units and
 * timers with their enable links, rc and profile files, authorized_keys, /etc/ld.so.preload and kernel
 * module configuration. A mechanism is high when what it runs is suspicious, medium when it changed in
 * the window without being suspicious (someone changed how the machine starts things), otherwise silent.
 */
export function checkPersistence(view: ImageView, iocs: string[]): NewFinding[] {
  return [
    ...cron(view, iocs),
    ...systemd(view, iocs),
    ...startupFiles(view, iocs),
    ...authorizedKeys(view),
    ...ldPreload(view),
    ...kernelModules(view, iocs),
  ];
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function judgeFile(
  view: ImageView,
  e: BodyEntry,
  iocs: string[],
  what: string,
  source: string,
  linesOf: (text: string) => string[] = lines,
): NewFinding[] {
  const text = view.text(e.path, 1024 * 1024);
  if (text === undefined) return [];
  const bad = linesOf(text)
    .map((l) => ({ l, why: suspiciousReasons(l, iocs) }))
    .filter((x) => x.why.length);
  if (bad.length)
    return [
      {
        category: 'persistence',
        severity: 'high',
        title: `${what} runs a suspicious command: ${bad[0]!.why.join(', ')}`,
        path: e.path,
        time: view.time(e),
        evidence: clip(bad.map((b) => b.l).join(' ⏎ '), 500),
        source,
      },
    ];
  if (view.changedInWindow(e))
    return [
      {
        category: 'persistence',
        severity: 'medium',
        title: `${what} changed in the examination window`,
        path: e.path,
        time: view.time(e),
        evidence: clip(linesOf(text).join(' ⏎ '), 300),
        source,
      },
    ];
  return [];
}

function cron(view: ImageView, iocs: string[]): NewFinding[] {
  const out: NewFinding[] = [];
  const table = (e: BodyEntry | undefined, what: string) => {
    if (e?.type === 'r') out.push(...judgeFile(view, e, iocs, what, 'persistence:cron', cronCommands));
  };
  table(view.entry('/etc/crontab'), 'System crontab');
  table(view.entry('/etc/anacrontab'), 'anacrontab');
  for (const e of view.files('/etc/cron.d')) table(e, `cron.d job ${posix.basename(e.path)}`);
  for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron'])
    for (const e of view.files(dir)) table(e, `Crontab of user ${posix.basename(e.path)}`);
  for (const period of ['hourly', 'daily', 'weekly', 'monthly'])
    for (const e of view.files(`/etc/cron.${period}`))
      out.push(
        ...judgeFile(view, e, iocs, `cron.${period} script ${posix.basename(e.path)}`, 'persistence:cron'),
      );
  return out;
}

/** The commands of a crontab (environment assignments are not commands). */
function cronCommands(text: string): string[] {
  return lines(text).filter((l) => !/^[A-Z_]+\s*=/.test(l));
}

const UNIT_DIRS = [
  '/etc/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/run/systemd/system',
];

function systemd(view: ImageView, iocs: string[]): NewFinding[] {
  // Enable links: /etc/systemd/system/<target>.wants/<unit> -> the unit file.
  const links = new Map<string, string[]>();
  for (const e of view.under('/etc/systemd/system'))
    if (e.type === 'l' && /\.(wants|requires)$/.test(posix.dirname(e.path))) {
      const name = posix.basename(e.path);
      links.set(name, [...(links.get(name) ?? []), `${e.path} -> ${e.linkTarget ?? '?'}`]);
    }
  const units = new Map<string, BodyEntry>();
  for (const dir of UNIT_DIRS)
    for (const e of view.files(dir))
      if (/\.(service|timer|socket|path)$/.test(e.path) && !units.has(posix.basename(e.path)))
        units.set(posix.basename(e.path), e);

  const out: NewFinding[] = [];
  for (const [name, e] of units) {
    const text = view.text(e.path, 1024 * 1024) ?? '';
    const exec = lines(text).filter((l) => /^Exec(Start|StartPre|StartPost|Stop|Reload)\s*=/.test(l));
    const bad = exec.map((l) => ({ l, why: suspiciousReasons(l, iocs) })).filter((x) => x.why.length);
    // A timer or socket starts the unit of the same name (or the one in Unit=).
    const startedBy = [...units.keys()]
      .filter((other) => other !== name && /\.(timer|socket|path)$/.test(other))
      .filter((other) => {
        const t = view.text(units.get(other)!.path) ?? '';
        const unit =
          t.match(/^Unit\s*=\s*(\S+)/m)?.[1] ?? other.replace(/\.(timer|socket|path)$/, '.service');
        return unit === name;
      });
    const enabled = [...(links.get(name) ?? []), ...startedBy.flatMap((t) => links.get(t) ?? [])];
    const how = enabled.length
      ? `enabled (${enabled.join('; ')})${startedBy.length ? `, started by ${startedBy.join(', ')}` : ''}`
      : 'not enabled';
    if (bad.length)
      out.push({
        category: 'persistence',
        severity: enabled.length ? 'critical' : 'high',
        title: `systemd unit ${name} runs a suspicious command (${bad[0]!.why.join(', ')}), ${enabled.length ? 'enabled' : 'not enabled'}`,
        path: e.path,
        time: view.time(e),
        evidence: clip(`${bad.map((b) => b.l).join(' ⏎ ')} — ${how}`, 600),
        source: 'persistence:systemd',
      });
    else if (view.changedInWindow(e) && e.path.startsWith('/etc/'))
      out.push({
        category: 'persistence',
        severity: 'medium',
        title: `systemd unit ${name} added or changed in the examination window (${enabled.length ? 'enabled' : 'not enabled'})`,
        path: e.path,
        time: view.time(e),
        evidence: clip(`${exec.join(' ⏎ ') || lines(text).join(' ⏎ ')} — ${how}`, 400),
        source: 'persistence:systemd',
      });
  }
  // Enable links created in the window for units not found (dangling, or the unit was removed).
  for (const e of view.under('/etc/systemd/system'))
    if (e.type === 'l' && view.changedInWindow(e) && !units.has(posix.basename(e.path)))
      out.push({
        category: 'persistence',
        severity: 'medium',
        title: `systemd enable link created in the window for a unit that is not in the image`,
        path: e.path,
        time: view.time(e),
        evidence: `${e.path} -> ${e.linkTarget ?? '?'}`,
        source: 'persistence:systemd',
      });
  return out;
}

function startupFiles(view: ImageView, iocs: string[]): NewFinding[] {
  const paths = [
    '/etc/rc.local',
    '/etc/rc.d/rc.local',
    '/etc/profile',
    '/etc/bash.bashrc',
    '/etc/environment',
    '/etc/bashrc',
  ];
  const entries: BodyEntry[] = paths.map((p) => view.entry(p)).filter((e): e is BodyEntry => e?.type === 'r');
  entries.push(...view.files('/etc/profile.d'));
  for (const home of view.homes())
    for (const f of ['.bashrc', '.profile', '.bash_profile', '.bash_login', '.bash_logout', '.zshrc']) {
      const e = view.entry(`${home}/${f}`);
      if (e?.type === 'r') entries.push(e);
    }
  return entries.flatMap((e) => judgeFile(view, e, iocs, `Startup file ${e.path}`, 'persistence:startup'));
}

function authorizedKeys(view: ImageView): NewFinding[] {
  const out: NewFinding[] = [];
  for (const home of view.homes())
    for (const f of ['authorized_keys', 'authorized_keys2']) {
      const e = view.entry(`${home}/.ssh/${f}`);
      if (!e || e.type !== 'r') continue;
      const keys = lines(view.text(e.path) ?? '');
      const forced = keys.filter((k) => /^(command|environment)=/.test(k));
      const user = home === '/root' ? 'root' : posix.basename(home);
      const describe = keys
        .map((k) => `${k.split(/\s+/)[0]} …${k.split(/\s+/).slice(2).join(' ') || ''}`)
        .join('; ');
      if (view.changedInWindow(e))
        out.push({
          category: 'persistence',
          severity: user === 'root' ? 'high' : 'medium',
          title: `SSH authorized_keys of ${user} changed in the examination window (${keys.length} key${keys.length === 1 ? '' : 's'})`,
          path: e.path,
          time: view.time(e),
          evidence: clip(describe, 400),
          source: 'persistence:authorized_keys',
        });
      else if (forced.length)
        out.push({
          category: 'persistence',
          severity: 'medium',
          title: `SSH authorized_keys of ${user} holds keys with forced commands or environment`,
          path: e.path,
          time: view.time(e),
          evidence: clip(forced.join(' ⏎ '), 300),
          source: 'persistence:authorized_keys',
        });
    }
  return out;
}

function ldPreload(view: ImageView): NewFinding[] {
  const e = view.entry('/etc/ld.so.preload');
  if (!e || e.type !== 'r') return [];
  const libs = lines(view.text(e.path) ?? '');
  if (!libs.length) return [];
  const present = libs.map(
    (l) => `${l} (${view.entry(l) ? `in the image, ${view.entry(l)!.size} bytes` : 'not in the image'})`,
  );
  return [
    {
      category: 'persistence',
      severity: 'critical',
      title: `/etc/ld.so.preload loads ${libs.join(', ')} into every process (user-mode rootkit technique)`,
      path: e.path,
      time: view.time(e),
      evidence: clip(present.join('; '), 400),
      source: 'persistence:ld.so.preload',
    },
  ];
}

const ROOTKIT_MODULES = /\b(diamorphine|reptile|suterusu|adore|knark|rkduck|khook|nuk3gh0st)\b/i;

function kernelModules(view: ImageView, iocs: string[]): NewFinding[] {
  const out: NewFinding[] = [];
  const configs: BodyEntry[] = [];
  const modules = view.entry('/etc/modules');
  if (modules?.type === 'r') configs.push(modules);
  for (const dir of [
    '/etc/modules-load.d',
    '/usr/lib/modules-load.d',
    '/lib/modules-load.d',
    '/etc/modprobe.d',
  ])
    configs.push(...view.files(dir));
  for (const e of configs) {
    const entries = lines(view.text(e.path) ?? '');
    const rootkit = entries.filter((l) => ROOTKIT_MODULES.test(l));
    const install = entries.filter((l) => /^install\s+\S+\s+/.test(l) && suspiciousReasons(l, iocs).length);
    if (rootkit.length || install.length)
      out.push({
        category: 'persistence',
        severity: 'critical',
        title: rootkit.length
          ? 'Kernel module configuration loads a known rootkit'
          : 'modprobe runs a suspicious command when a module loads',
        path: e.path,
        time: view.time(e),
        evidence: clip([...rootkit, ...install].join(' ⏎ '), 300),
        source: 'persistence:modules',
      });
    else if (view.changedInWindow(e) && entries.length)
      out.push({
        category: 'persistence',
        severity: 'medium',
        title: 'Kernel module configuration changed in the examination window',
        path: e.path,
        time: view.time(e),
        evidence: clip(entries.join(' ⏎ '), 300),
        source: 'persistence:modules',
      });
  }
  // A module object outside the kernel's module tree is not loaded by the distribution's tooling.
  for (const e of view.entries)
    if (!e.deleted && e.type === 'r' && e.path.endsWith('.ko') && !/^\/(usr\/)?lib\/modules\//.test(e.path))
      out.push({
        category: 'persistence',
        severity: ROOTKIT_MODULES.test(e.path) ? 'critical' : 'high',
        title: 'Kernel module object outside /lib/modules',
        path: e.path,
        time: view.time(e),
        evidence: `${e.size} bytes`,
        source: 'persistence:modules',
      });
  return out;
}
