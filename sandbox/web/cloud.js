// The simulated AWS organization (GET /api/cloud), summarised for a responder: instances with their
// containment state, snapshots and where they went, evidence objects with their SHA-256.

import { escapeHtml } from './mrkdwn.js';

const FORENSICS = '222222222222';
const ACCOUNT_NAMES = {
  111111111111: 'security',
  [FORENSICS]: 'forensics',
  333333333333: 'member',
  444444444444: 'member 2',
};

const pill = (text, kind = '') => `<span class="pill ${kind}">${escapeHtml(text)}</span>`;
const accountLabel = (id) => `${id}${ACCOUNT_NAMES[id] ? ` (${ACCOUNT_NAMES[id]})` : ''}`;

function bytes(n) {
  if (typeof n !== 'number') return '';
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function instanceCard(i, account, region) {
  const profile = i.profile?.name;
  const profilePill = !profile
    ? pill('no profile', 'warn')
    : /denyall/i.test(profile)
      ? pill(`${profile} (deny-all)`, 'bad')
      : /quarantine/i.test(profile)
        ? pill(profile, 'warn')
        : pill(profile, 'info');
  const statePill = pill(
    i.state?.name ?? i.state ?? '?',
    (i.state?.name ?? i.state) === 'running' ? 'good' : 'warn',
  );
  const ssm =
    i.ssm === null || i.ssm === undefined
      ? pill('no SSM agent')
      : i.ssm.online
        ? pill('SSM online', 'good')
        : pill('SSM offline', 'bad');
  const enis = (i.enis ?? [])
    .map((e) => {
      const groups = (e.groups ?? [])
        .map((g) =>
          pill(
            g.groupName ?? g.groupId,
            /isolat|forensic|quarantine|allow-all/i.test(g.groupName ?? '') ? 'bad' : '',
          ),
        )
        .join('');
      const conn = e.connections
        ? e.connections.alive
          ? pill(e.connections.tracked ? 'connections tracked' : 'connections untracked', 'warn')
          : pill('connections cut', 'good')
        : '';
      return `<tr><td>${escapeHtml(e.eniId)}<div class="meta">${escapeHtml(e.privateIp ?? '')}${e.publicIp ? ` · ${escapeHtml(e.publicIp)}` : ''}</div></td><td>${groups} ${conn}</td></tr>`;
    })
    .join('');
  const tags = Object.entries(i.tags ?? {})
    .filter(([k]) => /forensic|incident|case/i.test(k))
    .map(([k, v]) => pill(`${k}=${v}`, 'info'))
    .join('');
  return `<div class="card" data-instance="${escapeHtml(i.instanceId)}">
    <div class="card-title"><strong>${escapeHtml(i.name ?? i.instanceId)}</strong><span>${statePill}</span></div>
    <div class="meta">${escapeHtml(i.instanceId)} · ${escapeHtml(accountLabel(account))} · ${escapeHtml(region)}</div>
    <dl class="kv"><dt>Profile</dt><dd>${profilePill}</dd><dt>SSM</dt><dd>${ssm}</dd>${tags ? `<dt>Tags</dt><dd>${tags}</dd>` : ''}
    ${i.disableApiTermination ? `<dt>Protection</dt><dd>${pill('termination protected', 'good')}</dd>` : ''}</dl>
    ${enis ? `<table>${enis}</table>` : ''}
  </div>`;
}

function involved(i) {
  return (
    /denyall|quarantine/i.test(i.profile?.name ?? '') ||
    Object.keys(i.tags ?? {}).some((k) => /forensic|incident|case/i.test(k))
  );
}

export function renderCloud(cloud) {
  if (!cloud?.accounts) return `<pre class="code">${escapeHtml(JSON.stringify(cloud, null, 2))}</pre>`;
  const instances = [];
  const snapshots = [];
  for (const a of cloud.accounts)
    for (const r of a.regions ?? []) {
      for (const i of r.instances ?? []) instances.push({ i, account: a.id, region: r.region });
      for (const s of r.snapshots ?? []) snapshots.push({ s, account: a.id, region: r.region });
    }
  instances.sort((x, y) => Number(involved(y.i)) - Number(involved(x.i)));
  const objects = (cloud.buckets ?? []).flatMap((b) =>
    (b.objects ?? []).filter((o) => o.latest && !o.deleteMarker).map((o) => ({ b, o })),
  );

  const snapshotRows = snapshots
    .map(({ s, account, region }) => {
      const inForensics = (s.owner ?? account) === FORENSICS;
      return `<div class="card"><div class="card-title"><strong>${escapeHtml(s.snapshotId)}</strong>${pill(s.state ?? '', s.state === 'completed' ? 'good' : 'warn')}</div>
        <div class="meta">owner ${escapeHtml(accountLabel(s.owner ?? account))} · ${escapeHtml(region)} · ${escapeHtml(String(s.sizeGiB ?? '?'))} GiB</div>
        <div>${inForensics ? pill('in forensics account', 'good') : ''}${s.encrypted ? pill('encrypted', 'good') : pill('unencrypted', 'warn')}
        ${s.instanceId ? pill(s.instanceId) : ''}${(s.sharedWith ?? []).map((x) => pill(`shared with ${x}`, 'info')).join('')}
        ${s.copiedFrom ? pill(`copy of ${s.copiedFrom.snapshotId}`, 'info') : ''}</div></div>`;
    })
    .join('');
  const objectRows = objects
    .map(
      ({
        b,
        o,
      }) => `<div class="card"><div class="card-title"><strong>${escapeHtml(o.key)}</strong><span class="meta">${bytes(o.bytes)}</span></div>
      <div class="meta">s3://${escapeHtml(b.name)} ${o.lock ? pill(`${o.lock.mode} until ${o.lock.retainUntil?.slice(0, 10)}`, 'good') : ''}</div>
      ${o.sha256 ? `<div class="hash">sha256 ${escapeHtml(o.sha256)}</div>` : ''}</div>`,
    )
    .join('');
  return `<div class="cloud">
    <h4>Instances (${instances.length})</h4>
    ${instances.map(({ i, account, region }) => instanceCard(i, account, region)).join('')}
    <h4>Snapshots (${snapshots.length})</h4>
    ${snapshotRows || '<div class="meta">No snapshots yet: disk acquisition makes them.</div>'}
    <h4>Evidence objects (${objects.length})</h4>
    ${objectRows || '<div class="meta">No evidence yet: memory images and manifests land in the forensics account’s bucket.</div>'}
    <h4>Raw state</h4>
    <details><summary>GET /api/cloud</summary><pre class="code">${escapeHtml(JSON.stringify(cloud, null, 2))}</pre></details>
  </div>`;
}
