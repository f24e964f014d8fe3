import { posix } from 'node:path';
import { clip, type NewFinding, type Severity } from '../findings.js';
import type { ImageView } from '../view.js';

/**
 * Shell histories (issue 12, questions 4 and 5): what was executed (download-and-run, base64 pipelines,
 * reverse shells, new accounts), covering tracks (`history -c`, HISTFILE unset), and credentials typed
 * into a shell (AWS keys, passwords on command lines). Secrets are shown redacted in the evidence.
 */
const FILES = [
  '.bash_history',
  '.zsh_history',
  '.sh_history',
  '.ash_history',
  '.history',
  '.mysql_history',
  '.psql_history',
];

interface Pattern {
  re: RegExp;
  category: 'execution' | 'credentials';
  severity: Severity;
  title: string;
}

const PATTERNS: Pattern[] = [
  {
    re: /\b(curl|wget)\b[^|;\n]*\|\s*(sudo\s+)?(ba|da|z)?sh\b/,
    category: 'execution',
    severity: 'high',
    title: 'download piped into a shell',
  },
  {
    re: /base64\s+(-d|--decode)\b[^\n]*\|\s*(ba|da|z)?sh\b/,
    category: 'execution',
    severity: 'high',
    title: 'base64-decoded commands run',
  },
  {
    re: /\/dev\/tcp\/|\b(nc|ncat)\b[^\n]*\s-e\s/,
    category: 'execution',
    severity: 'high',
    title: 'reverse shell',
  },
  {
    re: /\buseradd\b[^\n]*(-o\b|-u\s*0\b)|\busermod\b[^\n]*-u\s*0\b/,
    category: 'execution',
    severity: 'high',
    title: 'uid-0 account created',
  },
  { re: /ld\.so\.preload/, category: 'execution', severity: 'high', title: '/etc/ld.so.preload written' },
  {
    re: /(^|;|&&)\s*(history\s+-c|unset\s+HISTFILE|export\s+HISTFILE=\/dev\/null|HISTSIZE=0|ln\s+-sf?\s+\/dev\/null\s+\S*history)/,
    category: 'execution',
    severity: 'medium',
    title: 'shell history cleared or disabled',
  },
  {
    re: /\b(A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/,
    category: 'credentials',
    severity: 'high',
    title: 'AWS access key in the history',
  },
  {
    re: /aws_secret_access_key|AWS_SECRET_ACCESS_KEY\s*=|AWS_SESSION_TOKEN\s*=/i,
    category: 'credentials',
    severity: 'high',
    title: 'AWS secret in the history',
  },
  {
    re: /\bsshpass\s+-p\s*\S+|\bmysql\b[^\n]*\s-p\S+|--password[= ]\S+|\bPGPASSWORD=\S+/,
    category: 'credentials',
    severity: 'medium',
    title: 'password on a command line',
  },
  {
    re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    category: 'credentials',
    severity: 'high',
    title: 'private key pasted into a shell',
  },
];

/** A download into a file that the same or a later command makes executable or runs. */
function downloadThenRun(lines: string[]): string[] {
  const out: string[] = [];
  lines.forEach((line, i) => {
    const target = line.match(/\b(?:wget|curl)\b.*?\s-[oO]\s*(\S+)/)?.[1];
    if (!target) return;
    const base = posix.basename(target);
    const runs = (l: string) =>
      new RegExp(`chmod\\s+(\\+x|[0-7]{3,4})\\s+\\S*${escapeRegExp(base)}\\b`).test(l) ||
      l.split(/[;&|]+/).some((cmd) => {
        const first = cmd.trim().split(/\s+/)[0] ?? '';
        return first === target || first === `./${base}` || first.endsWith(`/${base}`);
      });
    const rest = line.slice(line.indexOf(target) + target.length);
    const later = [rest, ...lines.slice(i + 1, i + 20)].find(runs);
    if (later !== undefined) out.push(line, ...(later === rest ? [] : [later]));
  });
  return [...new Set(out)];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function redact(line: string): string {
  return line
    .replace(/\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{4})[A-Z0-9]{8}([A-Z0-9]{4})\b/g, '$1********$2')
    .replace(
      /(SECRET_ACCESS_KEY\s*=\s*|SESSION_TOKEN\s*=\s*|aws_secret_access_key\s*=?\s*)(\S{4})\S+/gi,
      '$1$2…',
    )
    .replace(/(sshpass\s+-p\s*|\s-p|--password[= ]|PGPASSWORD=)(\S)\S*/g, '$1$2…');
}

export function checkHistories(view: ImageView): NewFinding[] {
  const out: NewFinding[] = [];
  for (const home of view.homes())
    for (const name of FILES) {
      const e = view.entry(`${home}/${name}`);
      if (!e || e.type !== 'r') continue;
      const text = view.text(e.path, 8 * 1024 * 1024) ?? '';
      // zsh's extended history prefixes ": <time>:<elapsed>;".
      const lines = text
        .split('\n')
        .map((l) => l.replace(/^: \d+:\d+;/, '').trim())
        .filter(Boolean);
      const user = home === '/root' ? 'root' : posix.basename(home);
      const add = (p: Omit<Pattern, 're'>, matched: string[]) =>
        out.push({
          category: p.category,
          severity: p.severity,
          title: `History of ${user}: ${p.title}`,
          path: e.path,
          time: view.time(e),
          evidence: clip(matched.slice(0, 6).map(redact).join(' ⏎ '), 500),
          source: 'history',
        });
      for (const p of PATTERNS) {
        const matched = lines.filter((l) => p.re.test(l));
        if (matched.length) add(p, matched);
      }
      const dl = downloadThenRun(lines);
      if (dl.length)
        add(
          { category: 'execution', severity: 'high', title: 'file downloaded then made executable or run' },
          dl,
        );
    }
  return out;
}
