import { gunzipSync } from 'node:zlib';
import { clip, type NewFinding } from '../findings.js';
import type { BodyEntry } from '../sleuthkit.js';
import type { ImageView } from '../view.js';

/**
 * SSH in the authentication logs (issue 12, question 2): failed logins per source address, and a
 * successful login from an address that failed many times first (a brute force that worked, critical).
 * A brute force that never succeeded is medium. Syslog lines carry no year: it is the file's modification
 * year, or the one before for months after the file's month (a log that spans New Year).
 */
const LOGS = /^\/var\/log\/(auth\.log|secure)(\.\d+)?(\.gz)?$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Failures from one address before a success that make it a brute force. */
export const BRUTE_FORCE_FAILURES = 10;

interface Attempt {
  time: Date;
  ok: boolean;
  user: string;
  method?: string;
  line: string;
}

function parseTime(line: string, fileTime: Date): { time: Date; rest: string } | undefined {
  const iso = line.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+\S+\s+(.*)$/);
  if (iso) return { time: new Date(iso[1]!), rest: iso[2]! };
  const sys = line.match(/^(\w{3})\s+(\d{1,2}) (\d\d):(\d\d):(\d\d)\s+\S+\s+(.*)$/);
  if (!sys) return undefined;
  const month = MONTHS.indexOf(sys[1]!);
  if (month < 0) return undefined;
  const year = month > fileTime.getUTCMonth() ? fileTime.getUTCFullYear() - 1 : fileTime.getUTCFullYear();
  return {
    time: new Date(Date.UTC(year, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5]))),
    rest: sys[6]!,
  };
}

function read(view: ImageView, e: BodyEntry): string {
  const data = view.read(e.path, 256 * 1024 * 1024);
  if (!data) return '';
  try {
    return (e.path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
  } catch {
    return '';
  }
}

export function checkAuthLogs(view: ImageView, iocIps: string[]): NewFinding[] {
  const byIp = new Map<string, Attempt[]>();
  const logs = view.files('/var/log').filter((e) => LOGS.test(e.path));
  for (const e of logs) {
    const fileTime = new Date(e.mtime * 1000);
    for (const line of read(view, e).split('\n')) {
      const t = parseTime(line, fileTime);
      if (!t || !/\bsshd\[\d+\]:/.test(t.rest)) continue;
      const failed =
        t.rest.match(/Failed (\S+) for (?:invalid user )?(\S+) from (\S+) port/) ??
        t.rest.match(/Invalid user (\S*) from (\S+)/);
      const ok = t.rest.match(/Accepted (\S+) for (\S+) from (\S+) port/);
      if (ok) push(byIp, ok[3]!, { time: t.time, ok: true, user: ok[2]!, method: ok[1]!, line });
      else if (failed?.length === 4)
        push(byIp, failed[3]!, { time: t.time, ok: false, user: failed[2]!, line });
    }
  }
  const out: NewFinding[] = [];
  const path = logs[0]?.path;
  for (const [ip, attempts] of byIp) {
    attempts.sort((a, b) => a.time.getTime() - b.time.getTime());
    const failures = attempts.filter((a) => !a.ok);
    const users = [...new Set(failures.map((a) => a.user))];
    const ioc = iocIps.includes(ip);
    let before = 0;
    let reported = false;
    for (const a of attempts) {
      if (!a.ok) {
        before++;
        continue;
      }
      if (before >= BRUTE_FORCE_FAILURES || ioc) {
        reported = true;
        out.push({
          category: 'access',
          severity: 'critical',
          title: `SSH login as ${a.user} from ${ip} after ${before} failed attempts${ioc ? " (the finding's indicator)" : ''}`,
          path,
          time: a.time.toISOString(),
          evidence: clip(
            `${before} failures from ${ip} since ${failures[0]?.time.toISOString() ?? '?'} for ${users.length} user names (${users.slice(0, 8).join(', ')}); then: ${a.line}`,
            500,
          ),
          source: 'authlog:ssh',
        });
      }
    }
    if (!reported && failures.length >= 2 * BRUTE_FORCE_FAILURES)
      out.push({
        category: 'access',
        severity: 'medium',
        title: `SSH brute force from ${ip}: ${failures.length} failed logins, none succeeded`,
        path,
        time: failures[0]!.time.toISOString(),
        evidence: clip(
          `from ${failures[0]!.time.toISOString()} to ${failures.at(-1)!.time.toISOString()}, user names: ${users.slice(0, 10).join(', ')}`,
          300,
        ),
        source: 'authlog:ssh',
      });
    else if (!reported && ioc && attempts.length)
      out.push({
        category: 'ioc',
        severity: 'high',
        title: `The finding's indicator ${ip} appears in the SSH log (${attempts.length} attempts)`,
        path,
        time: attempts[0]!.time.toISOString(),
        evidence: clip(
          attempts
            .slice(0, 3)
            .map((a) => a.line)
            .join(' ⏎ '),
          400,
        ),
        source: 'authlog:ssh',
      });
  }
  return out;
}

function push(map: Map<string, Attempt[]>, ip: string, a: Attempt) {
  const list = map.get(ip) ?? [];
  list.push(a);
  map.set(ip, list);
}
