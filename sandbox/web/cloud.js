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

const check = (ok, yes, no) =>
  `<li class="${ok ? 'yes' : 'no'}"><span class="mark">${ok ? '✔' : '✖'}</span>${escapeHtml(ok ? yes : no)}</li>`;

/** One line per instance a case touched: isolated, deny-all, snapshots and evidence, at a glance. */
function glance(instances, snapshots, objects) {
  const rows = instances
    .filter(({ i }) => involved(i))
    .map(({ i, account, region }) => {
      const enis = i.enis ?? [];
      const isolated = enis.filter((e) =>
        (e.groups ?? []).every((g) => /isolation/i.test(g.groupName ?? '')),
      ).length;
      const cut = enis.filter((e) => !e.connections?.alive).length;
      const denyAll = /denyall/i.test(i.profile?.name ?? '');
      const snaps = snapshots.filter(
        ({ s }) => s.owner === FORENSICS && s.instanceId === i.instanceId && s.state === 'completed',
      ).length;
      const caseId = Object.entries(i.tags ?? {}).find(([k]) => /case/i.test(k))?.[1];
      const evidence = caseId ? objects.filter(({ o }) => o.key.startsWith(`${caseId}/`)) : [];
      const memory = evidence.some(({ o }) => /memory/i.test(o.key));
      // Raw images of the volumes (issue 11): the object's own SHA-256, computed by S3 from the stored bytes.
      const images = evidence.filter(({ o }) => /\/disk\/[^/]+\.raw$/.test(o.key));
      const manifest = evidence.find(({ o }) => /manifest/i.test(o.key));
      return `<div class="card glance" data-glance="${escapeHtml(i.instanceId)}">
        <div class="card-title"><strong>${escapeHtml(i.name ?? i.instanceId)}</strong>${caseId ? pill(caseId, 'info') : ''}</div>
        <div class="meta">${escapeHtml(i.instanceId)} · ${escapeHtml(accountLabel(account))} · ${escapeHtml(region)}</div>
        <ul class="checks">
          ${check(enis.length > 0 && isolated === enis.length, `network isolated (${isolated}/${enis.length} ENIs in the isolation group)`, `not isolated (${isolated}/${enis.length} ENIs in the isolation group)`)}
          ${check(enis.length > 0 && cut === enis.length, 'open connections cut', `${enis.length - cut} ENI(s) still with live connections`)}
          ${check(denyAll, `instance profile deny-all (${i.profile?.name})`, `instance profile ${i.profile?.name ?? 'none'} (not deny-all)`)}
          ${check(snaps > 0, `${snaps} snapshot(s) in the forensics account`, 'no snapshot in the forensics account yet')}
          ${check(memory, 'memory image in the evidence bucket', 'no memory image (yet)')}
          ${
            images.length
              ? images
                  .map(
                    ({ o }) =>
                      `<li class="yes" data-raw-image="${escapeHtml(o.key)}"><span class="mark">✔</span>raw disk image ${escapeHtml(o.key.split('/').pop())} (${escapeHtml(bytes(o.bytes))}) sha256 ${escapeHtml(o.sha256 ?? '')}</li>`,
                  )
                  .join('')
              : check(false, '', 'no raw disk image (snapshots only, or not yet)')
          }
          ${check(Boolean(manifest), `manifest sha256 ${manifest?.o.sha256 ?? ''}`, 'no manifest yet')}
        </ul></div>`;
    });
  return rows.length
    ? `<h4>Containment at a glance</h4>${rows.join('')}`
    : '<div class="hint-box">No instance is contained yet. After a case runs, this tab shows its instance isolated, its profile deny-all and its snapshots in the forensics account.</div>';
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
    ${glance(instances, snapshots, objects)}
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
