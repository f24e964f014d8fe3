import { posix } from 'node:path';
import { clip, type NewFinding } from '../findings.js';
import type { ImageView } from '../view.js';

/**
 * Accounts (issue 12, question 3): uid-0 accounts besides root, accounts without a password, sudo
 * rights granted in the window. The stock `%sudo` rule and cloud-init's NOPASSWD for the image's
 * default user are ordinary and give nothing unless they changed in the window.
 */
export function checkAccounts(view: ImageView): NewFinding[] {
  const out: NewFinding[] = [];
  const passwd = view.entry('/etc/passwd');
  const users = (view.text('/etc/passwd') ?? '')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map(([name, , uid, gid, , home, shell]) => ({
      name: name!,
      uid: Number(uid),
      gid: Number(gid),
      home: home!,
      shell: shell!,
    }));
  for (const u of users.filter((u) => u.uid === 0 && u.name !== 'root'))
    out.push({
      category: 'persistence',
      severity: 'critical',
      title: `Account ${u.name} has uid 0 (a second root)`,
      path: '/etc/passwd',
      time: view.time(passwd),
      evidence: `${u.name}:x:${u.uid}:${u.gid}::${u.home}:${u.shell}`,
      source: 'accounts:passwd',
    });
  const shadow = view.text('/etc/shadow') ?? '';
  for (const line of shadow.split('\n')) {
    const [name, hash] = line.split(':');
    const user = users.find((u) => u.name === name);
    if (name && hash === '' && user && !/nologin|false$/.test(user.shell))
      out.push({
        category: 'credentials',
        severity: 'high',
        title: `Account ${name} can log in without a password`,
        path: '/etc/shadow',
        time: view.time(view.entry('/etc/shadow')),
        evidence: `${name} has an empty password field and the shell ${user.shell}`,
        source: 'accounts:shadow',
      });
  }
  const sudoers = [view.entry('/etc/sudoers'), ...view.files('/etc/sudoers.d')].filter(
    (e) => e?.type === 'r',
  );
  for (const e of sudoers) {
    if (!e || !view.changedInWindow(e)) continue;
    const rules = (view.text(e.path) ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('Defaults') && !l.startsWith('@include'));
    const broad = rules.filter((l) => /ALL\s*$/.test(l) || /NOPASSWD/.test(l));
    out.push({
      category: 'persistence',
      severity: broad.length ? 'high' : 'medium',
      title: `sudo rules changed in the examination window (${posix.basename(e.path)})`,
      path: e.path,
      time: view.time(e),
      evidence: clip((broad.length ? broad : rules).join(' ⏎ '), 300),
      source: 'accounts:sudoers',
    });
  }
  const group = view.entry('/etc/group');
  if (group && view.changedInWindow(group)) {
    const admins = (view.text('/etc/group') ?? '')
      .split('\n')
      .filter((l) => /^(sudo|wheel|admin|root):/.test(l) && l.split(':')[3]);
    if (admins.length)
      out.push({
        category: 'persistence',
        severity: 'medium',
        title: 'Administrative group membership changed in the examination window',
        path: '/etc/group',
        time: view.time(group),
        evidence: admins.join('; '),
        source: 'accounts:group',
      });
  }
  if (passwd && view.changedInWindow(passwd))
    out.push({
      category: 'persistence',
      severity: 'medium',
      title: 'The account database /etc/passwd changed in the examination window',
      path: '/etc/passwd',
      time: view.time(passwd),
      evidence: clip(
        users
          .filter((u) => !/nologin|false$/.test(u.shell))
          .map((u) => `${u.name} (uid ${u.uid}, ${u.shell})`)
          .join('; '),
        300,
      ),
      source: 'accounts:passwd',
    });
  return out;
}
