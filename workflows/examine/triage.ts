import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { suspiciousReasons } from './checks/commands.js';
import { ExaminationInputError } from './errors.js';
import { clip, type NewFinding } from './findings.js';

/**
 * The live-triage archive (`--triage`), as the collection over SSM is to write it (issue 12, item 2; the
 * collection side is another module's). The contract:
 *
 * - a tar archive (optionally gzip-compressed) holding JSON members, each optional:
 *   `meta.json` `{instanceId?, collectedAt (ISO-8601), hostname?, tool?}`,
 *   `processes.json` `[{pid, ppid, user?, comm, exe?, exeDeleted?, cmdline?, cwd?, startTime?, hidden?}]`,
 *   `sockets.json` `[{proto, local, remote?, state?, pid?}]` (addresses as `ip:port`),
 *   `users.json` `{loggedIn: [{user, tty?, from?, since?}], recent?: [...]}`,
 *   `modules.json` `[{name, size?, taint?}]`, `mounts.json` `[{source, target, fstype, options?}]`,
 *   `crontabs.json` `[{user, path?, content}]`;
 * - or one JSON document with those keys (`meta`, `processes`, `sockets`, `users`, `modules`, `mounts`,
 *   `crontabs`).
 * Unknown keys are tolerated; a member that does not match its schema is an error naming it.
 */
const Process = z.looseObject({
  pid: z.number().int(),
  ppid: z.number().int(),
  user: z.string().optional(),
  comm: z.string(),
  exe: z.string().optional(),
  exeDeleted: z.boolean().optional(),
  cmdline: z.string().optional(),
  cwd: z.string().optional(),
  startTime: z.string().optional(),
  /** Found by looking its pid up, missing from listings of /proc: hidden by a userland rootkit. */
  hidden: z.boolean().optional(),
});
const Socket = z.looseObject({
  proto: z.string(),
  local: z.string(),
  remote: z.string().optional(),
  state: z.string().optional(),
  pid: z.number().int().optional(),
});
const Login = z.looseObject({
  user: z.string(),
  tty: z.string().optional(),
  from: z.string().optional(),
  since: z.string().optional(),
});
export const TriageSchema = z.looseObject({
  meta: z
    .looseObject({
      instanceId: z.string().optional(),
      collectedAt: z.string().optional(),
      hostname: z.string().optional(),
    })
    .optional(),
  processes: z.array(Process).default([]),
  sockets: z.array(Socket).default([]),
  users: z
    .looseObject({ loggedIn: z.array(Login).default([]), recent: z.array(Login).optional() })
    .optional(),
  modules: z
    .array(z.looseObject({ name: z.string(), size: z.number().optional(), taint: z.string().optional() }))
    .default([]),
  mounts: z
    .array(
      z.looseObject({
        source: z.string(),
        target: z.string(),
        fstype: z.string(),
        options: z.string().optional(),
      }),
    )
    .default([]),
  crontabs: z
    .array(z.looseObject({ user: z.string(), path: z.string().optional(), content: z.string() }))
    .default([]),
});
export type Triage = z.infer<typeof TriageSchema>;

const MAX_ARCHIVE = 256 * 1024 * 1024;

/** The members of a ustar archive (regular files only). */
export function untar(data: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let at = 0;
  while (at + 512 <= data.length) {
    const header = data.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number) =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? field(345, 155) : '';
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    if (!Number.isFinite(size))
      throw new ExaminationInputError('the triage archive has a malformed tar header');
    at += 512;
    if (type === '0' || type === '\0')
      files.set((prefix ? `${prefix}/${name}` : name).replace(/^\.\//, ''), data.subarray(at, at + size));
    at += Math.ceil(size / 512) * 512;
  }
  return files;
}

export function readTriage(path: string): Triage {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ExaminationInputError(`--triage ${path}: no such file`);
  }
  if (size > MAX_ARCHIVE)
    throw new ExaminationInputError(`--triage ${path}: larger than ${MAX_ARCHIVE} bytes`);
  let data = readFileSync(path);
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  const text = data.subarray(0, 1).toString();
  let doc: Record<string, unknown>;
  if (text === '{') doc = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  else {
    doc = {};
    for (const [name, body] of untar(data)) {
      const key = name
        .split('/')
        .pop()!
        .replace(/\.json$/, '');
      try {
        doc[key] = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ExaminationInputError(`--triage ${path}: member ${name} is not JSON`);
      }
    }
  }
  const parsed = TriageSchema.safeParse(doc);
  if (!parsed.success)
    throw new ExaminationInputError(
      `--triage ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

const TEMP = /^\/(tmp|var\/tmp|dev\/shm|run\/shm)\//;
const WEB = /^(nginx|apache2|httpd|php-fpm.*|php\d*(\.\d+)?|lighttpd|caddy|java|node|tomcat.*)$/;
const SHELL = /^(sh|bash|dash|zsh|ksh|python\d?(\.\d+)?|perl|ruby|nc|ncat|socat)$/;
const MINER = /xmrig|kdevtmpfsi|kinsing|minerd|cpuminer|stratum\+(tcp|ssl)/i;
const ROOTKIT_MODULES = /^(diamorphine|reptile|suterusu|adore|rkduck|khook)/i;

/** Findings from the live state (issue 12, question 1: is the actor still active?). */
export function checkTriage(t: Triage, iocs: string[]): NewFinding[] {
  const out: NewFinding[] = [];
  const time = t.meta?.collectedAt;
  const byPid = new Map(t.processes.map((p) => [p.pid, p]));
  const chain = (pid: number) => {
    const names: string[] = [];
    for (let p = byPid.get(pid), n = 0; p && n < 20; p = byPid.get(p.ppid), n++)
      names.push(`${p.comm}(${p.pid})`);
    return names;
  };
  const socketsOf = (pid: number) =>
    t.sockets
      .filter((s) => s.pid === pid)
      .map((s) => `${s.proto} ${s.local}${s.remote ? ` → ${s.remote}` : ''} ${s.state ?? ''}`.trim());
  const add = (f: Omit<NewFinding, 'time' | 'source'> & { source?: string }) =>
    out.push({ source: 'triage', ...(time ? { time } : {}), ...f });

  for (const p of t.processes) {
    const exe = p.exe ?? '';
    const deleted = p.exeDeleted || exe.endsWith(' (deleted)');
    const reasons: string[] = [];
    if (p.hidden) reasons.push('hidden from listings of /proc (a userland rootkit hides it)');
    if (deleted) reasons.push('its executable was deleted');
    if (TEMP.test(exe) || /\/\.[^/]+\//.test(exe)) reasons.push('runs from a temporary or hidden directory');
    if (MINER.test(`${p.comm} ${p.cmdline ?? ''} ${exe}`)) reasons.push('looks like a cryptocurrency miner');
    const parents = chain(p.ppid).map((n) => n.replace(/\(\d+\)$/, ''));
    if (SHELL.test(p.comm) && parents.some((n) => WEB.test(n)))
      reasons.push(`a shell spawned by the web server (${parents.join(' ← ')})`);
    for (const ioc of iocs)
      if ((p.cmdline ?? '').includes(ioc))
        reasons.push(`its command line names the finding's indicator ${ioc}`);
    for (const s of t.sockets)
      if (s.pid === p.pid && iocs.includes(remoteIp(s.remote) ?? ''))
        reasons.push(`holds a connection to the finding's indicator ${remoteIp(s.remote)}`);
    if (!reasons.length) continue;
    const socks = socketsOf(p.pid);
    add({
      category: 'activity',
      severity:
        reasons.length > 1 || deleted || p.hidden || /miner|web server/.test(reasons.join())
          ? 'critical'
          : 'high',
      title: `Running process ${p.comm} (pid ${p.pid}): ${reasons.join('; ')}`,
      ...(exe ? { path: exe.replace(/ \(deleted\)$/, '') } : {}),
      evidence: clip(
        `exe ${exe || '?'}; cmdline ${p.cmdline ?? '?'}; user ${p.user ?? '?'}; parents ${chain(p.ppid).join(' ← ') || '?'}; sockets: ${socks.join(', ') || 'none'}`,
        600,
      ),
      source: 'triage:processes',
    });
  }
  for (const s of t.sockets) {
    const ip = remoteIp(s.remote);
    if (ip && iocs.includes(ip)) {
      const owner = s.pid === undefined ? undefined : byPid.get(s.pid);
      add({
        category: 'ioc',
        severity: 'critical',
        title: `Live connection to the finding's indicator ${ip}${owner ? ` by ${owner.comm} (pid ${owner.pid})` : ''}`,
        evidence: clip(
          `${s.proto} ${s.local} → ${s.remote} ${s.state ?? ''}; ${owner ? `exe ${owner.exe ?? '?'}, cmdline ${owner.cmdline ?? '?'}` : 'no owning process'}`,
          400,
        ),
        source: 'triage:sockets',
      });
    }
  }
  for (const u of t.users?.loggedIn ?? [])
    if (u.from && iocs.includes(u.from))
      add({
        category: 'activity',
        severity: 'critical',
        title: `${u.user} is logged in from the finding's indicator ${u.from}`,
        evidence: clip(JSON.stringify(u), 300),
        source: 'triage:users',
      });
  for (const m of t.modules) {
    if (ROOTKIT_MODULES.test(m.name))
      add({
        category: 'persistence',
        severity: 'critical',
        title: `Kernel module ${m.name} loaded (a known rootkit)`,
        evidence: clip(JSON.stringify(m), 200),
        source: 'triage:modules',
      });
    else if (m.taint && /[OE]/.test(m.taint))
      add({
        category: 'persistence',
        severity: 'medium',
        title: `Out-of-tree or unsigned kernel module ${m.name} loaded`,
        evidence: clip(JSON.stringify(m), 200),
        source: 'triage:modules',
      });
  }
  for (const c of t.crontabs)
    for (const line of c.content.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))) {
      const why = suspiciousReasons(line, iocs);
      if (why.length)
        add({
          category: 'persistence',
          severity: 'high',
          title: `Live crontab of ${c.user} runs a suspicious command: ${why.join(', ')}`,
          ...(c.path ? { path: c.path } : {}),
          evidence: clip(line, 300),
          source: 'triage:crontabs',
        });
    }
  return out;
}

/** The address of `ip:port` or `[v6]:port`. */
function remoteIp(remote: string | undefined): string | undefined {
  return remote?.replace(/^\[?([^\]]+?)\]?:\d+$/, '$1');
}
