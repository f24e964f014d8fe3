/**
 * The live state of a simulated instance, as `workflows/scripts/live-triage.sh` would read it from /proc —
 * simulated from the sandbox's fixtures, never collected: the instance's root filesystem tree
 * (`sandbox/disks/trees.ts`) says what would be running. An executable under /tmp, /var/tmp or /dev/shm
 * (kept or deleted from the disk) runs, with its `config.json` beside it when there is one, and holds a
 * connection to the pool its configuration names; a systemd unit opening `/dev/tcp/<ip>/<port>` runs as
 * an interactive bash holding that connection; a process an /etc/ld.so.preload library names is found by
 * look-up only (hidden); the crontabs, accounts and host name are the tree's. The
 * rest is an ordinary Debian server (systemd, sshd, cron, the SSM agent, nginx when it is enabled).
 * The archive is a real ustar of the script's JSON members, so the examination engine reads it as it reads
 * a real one.
 */
import type { DiskTree, TreeFile } from '../disks/build.js';
import { treeForInstance } from '../disks/trees.js';
import type { Instance } from './world.js';

/** Where the simulated miner's pool resolves (documentation range, like the trees' indicators). */
export const SIMULATED_POOL_ADDRESS = '203.0.113.80';

export const SIMULATED_TRIAGE_NOTE =
  "simulated from the sandbox's fixtures (the instance's disk tree), not collected from a running system";

interface Process {
  hidden?: boolean;
  pid: number;
  ppid: number;
  comm: string;
  user: string;
  exe?: string;
  exeDeleted?: boolean;
  cmdline?: string;
  cwd?: string;
  startTime?: string;
}
interface Socket {
  proto: string;
  local: string;
  remote: string;
  state: string;
  pid?: number;
}

const text = (f: string | TreeFile | undefined) =>
  f === undefined ? undefined : typeof f === 'string' ? f : f.content.toString('latin1');
const mode = (f: string | TreeFile) => (typeof f === 'string' ? 0o644 : (f.mode ?? 0o644));
const isElf = (f: string | TreeFile) => text(f)?.startsWith('\x7fELF') ?? false;
const TEMP = /^(tmp|var\/tmp|dev\/shm)\//;

/** The members of the triage archive of `instance`, collected (simulated) at `now`. */
export function triageMembers(
  instance: Instance,
  privateIp: string,
  now: Date,
  tree = treeForInstance(instance.instanceId),
) {
  const boot = instance.launchTime.toISOString().replace(/\.\d+Z$/, 'Z');
  const files = tree.files;
  const hostname = text(files['etc/hostname'])?.trim() || `ip-${privateIp.replace(/\./g, '-')}`;
  const processes: Process[] = [];
  const sockets: Socket[] = [];
  let pid = 1;
  const run = (p: Omit<Process, 'pid' | 'startTime'> & { startTime?: string }) => {
    const entry = { pid: pid === 1 ? 1 : pid, startTime: boot, ...p };
    processes.push(entry);
    pid = pid === 1 ? 300 : pid + 17;
    return entry.pid;
  };
  const init = run({
    ppid: 0,
    comm: 'systemd',
    user: 'root',
    exe: '/usr/lib/systemd/systemd',
    cmdline: '/sbin/init',
  });
  const sshd = run({
    ppid: init,
    comm: 'sshd',
    user: 'root',
    exe: '/usr/sbin/sshd',
    cmdline: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
  });
  sockets.push({ proto: 'tcp', local: '0.0.0.0:22', remote: '0.0.0.0:0', state: 'LISTEN', pid: sshd });
  run({ ppid: init, comm: 'cron', user: 'root', exe: '/usr/sbin/cron', cmdline: '/usr/sbin/cron -f' });
  const agent = run({
    ppid: init,
    comm: 'amazon-ssm-agen',
    user: 'root',
    exe: '/usr/bin/amazon-ssm-agent',
    cmdline: '/usr/bin/amazon-ssm-agent',
  });
  if (tree.symlinks?.['etc/systemd/system/multi-user.target.wants/nginx.service']) {
    const master = run({
      ppid: init,
      comm: 'nginx',
      user: 'root',
      exe: '/usr/sbin/nginx',
      cmdline: 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;',
    });
    sockets.push({ proto: 'tcp', local: '0.0.0.0:80', remote: '0.0.0.0:0', state: 'LISTEN', pid: master });
    run({
      ppid: master,
      comm: 'nginx',
      user: 'www-data',
      exe: '/usr/sbin/nginx',
      cmdline: 'nginx: worker process',
    });
  }

  // What the tree says is running: executables in temporary directories, reverse shells in units.
  const owners = ownersByCrontab(files);
  const executables = [...Object.entries(files), ...Object.entries(tree.deleted ?? {})].filter(
    ([path, f]) => TEMP.test(path) && isElf(f) && (mode(f) & 0o111) !== 0,
  );
  // An /etc/ld.so.preload library naming a process (libprocesshider's process_to_filter) hides it from
  // listings of /proc: the script finds it by looking its pid up and marks it hidden.
  const preloaded = (text(files['etc/ld.so.preload']) ?? '')
    .split('\n')
    .map((l) => text(files[l.trim().replace(/^\//, '')]) ?? '')
    .join('\0');
  let port = 41_822;
  for (const [path, f] of executables) {
    const deleted = tree.deleted?.[path] === f;
    const dir = path.slice(0, path.lastIndexOf('/'));
    const config = text(files[`${dir}/config.json`] ?? tree.deleted?.[`${dir}/config.json`]);
    const exe = `/${path}`;
    const miner = run({
      ppid: init,
      comm: path.split('/').pop()!.slice(0, 15),
      user: owners.get(exe) ?? 'root',
      exe,
      exeDeleted: deleted,
      cmdline: config ? `${exe} -c /${dir}/config.json` : exe,
      cwd: `/${dir}`,
      startTime: mtimeOf(f) ?? boot,
      ...(preloaded.includes(`\0${path.split('/').pop()}\0`) ? { hidden: true } : {}),
    });
    const pool = config && /stratum\+(tcp|ssl):\/\/[^:"]+:(\d+)/.exec(config);
    if (pool)
      sockets.push({
        proto: 'tcp',
        local: `${privateIp}:${port++}`,
        remote: `${SIMULATED_POOL_ADDRESS}:${pool[2]}`,
        state: 'ESTABLISHED',
        pid: miner,
      });
  }
  for (const [path, f] of Object.entries(files)) {
    if (!path.startsWith('etc/systemd/system/') || !path.endsWith('.service')) continue;
    const shell = /ExecStart=.*\/dev\/tcp\/(\d{1,3}(?:\.\d{1,3}){3})\/(\d+)/.exec(text(f) ?? '');
    if (!shell) continue;
    const bash = run({
      ppid: init,
      comm: 'bash',
      user: 'root',
      exe: '/usr/bin/bash',
      cmdline: 'bash -i',
      cwd: '/',
      startTime: mtimeOf(f) ?? boot,
    });
    sockets.push({
      proto: 'tcp',
      local: `${privateIp}:${port++}`,
      remote: `${shell[1]}:${shell[2]}`,
      state: 'ESTABLISHED',
      pid: bash,
    });
  }
  // The triage itself: the SSM agent's document worker running the script.
  const worker = run({
    ppid: agent,
    comm: 'ssm-document-wo',
    user: 'root',
    exe: '/usr/bin/ssm-document-worker',
    cmdline: '/usr/bin/ssm-document-worker',
    startTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  run({
    ppid: worker,
    comm: 'bash',
    user: 'root',
    exe: '/usr/bin/bash',
    cmdline: '/bin/bash _script.sh',
    cwd: '/var/lib/amazon/ssm',
    startTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  sockets.push({
    proto: 'tcp',
    local: `${privateIp}:${port++}`,
    remote: '10.0.0.2:443',
    state: 'ESTABLISHED',
    pid: agent,
  });

  const collectedAt = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    meta: {
      instanceId: instance.instanceId,
      collectedAt,
      hostname,
      tool: 'forensics-bot live-triage 1 (sandbox simulation)',
      simulated: SIMULATED_TRIAGE_NOTE,
    },
    processes,
    sockets,
    users: { loggedIn: [], recent: [] },
    modules: ['ena', 'nvme', 'nvme_core', 'ext4', 'jbd2', 'mbcache', 'crc32c_intel'].map((name, i) => ({
      name,
      size: 16_384 * (i + 2),
    })),
    mounts: [
      { source: '/dev/nvme0n1p1', target: '/', fstype: 'ext4', options: 'rw,relatime,discard' },
      { source: 'proc', target: '/proc', fstype: 'proc', options: 'rw,nosuid,nodev,noexec,relatime' },
      { source: 'tmpfs', target: '/dev/shm', fstype: 'tmpfs', options: 'rw,nosuid,nodev' },
    ],
    crontabs: crontabs(files),
  };
}

function mtimeOf(f: string | TreeFile): string | undefined {
  return typeof f === 'string' ? undefined : f.mtime;
}

/** crontabs as the script lists them: /etc/crontab, /etc/cron.d/*, the spool (user = file name). */
function crontabs(files: DiskTree['files']) {
  return Object.entries(files)
    .filter(
      ([path]) =>
        path === 'etc/crontab' ||
        /^etc\/cron\.d\/[^/]+$/.test(path) ||
        /^var\/spool\/cron\/(crontabs\/)?[^/]+$/.test(path),
    )
    .map(([path, f]) => ({
      user: path.startsWith('etc/') ? 'root' : path.split('/').pop()!,
      path: `/${path}`,
      content: text(f) ?? '',
    }));
}

/** Who runs an executable a user's crontab starts (`@reboot /tmp/x`): that user. */
function ownersByCrontab(files: DiskTree['files']): Map<string, string> {
  const owners = new Map<string, string>();
  for (const c of crontabs(files))
    for (const m of c.content.matchAll(/(\/(?:tmp|var\/tmp|dev\/shm)\/\S+)/g))
      if (!owners.has(m[1]!)) owners.set(m[1]!, c.user);
  return owners;
}

/** A ustar archive of `name → bytes` (regular files, mode 0600, as `tar -cf` writes them). */
export function ustar(members: [string, Buffer][], mtime: Date): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, body] of members) {
    const header = Buffer.alloc(512);
    const put = (value: string, at: number, length: number) =>
      header.write(value.slice(0, length), at, 'latin1');
    const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
    put(name, 0, 100);
    put(octal(0o600, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(body.length, 12), 124, 12);
    put(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 12);
    header.fill(' ', 148, 156);
    put('0', 156, 1);
    put('ustar\x0000', 257, 8);
    put('root', 265, 32);
    put('root', 297, 32);
    const sum = header.reduce((a, b) => a + b, 0);
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The archive the script would upload, and the numbers of its result line. */
export function triageArchive(instance: Instance, privateIp: string, now: Date) {
  const members = triageMembers(instance, privateIp, now);
  const names = ['meta', 'processes', 'sockets', 'users', 'modules', 'mounts', 'crontabs'] as const;
  const archive = ustar(
    names.map((n) => [`${n}.json`, Buffer.from(`${JSON.stringify(members[n])}\n`)]),
    now,
  );
  return {
    archive,
    members: [...names],
    processes: members.processes.length,
    collectedAt: members.meta.collectedAt,
  };
}
