// Fault injection (POST /api/cloud/faults): what the simulated organization does wrong from now on.

import { escapeHtml } from './mrkdwn.js';

const ACCOUNTS = ['333333333333', '444444444444'];

function checks(name, values, selected, label = (v) => v) {
  return values
    .map(
      (v) =>
        `<label><input type="checkbox" name="${name}" value="${escapeHtml(v)}" ${selected.includes(v) ? 'checked' : ''}> ${escapeHtml(label(v))}</label>`,
    )
    .join('');
}

/**
 * @param {HTMLElement} root
 * @param {{ api: Function, toast: Function, samples: string[] }} tools
 */
export async function renderFaults(root, { api, toast, samples }) {
  const [{ json: current }, { json: cloud }] = await Promise.all([
    api('/api/cloud/faults'),
    api('/api/cloud'),
  ]);
  const faults = current.faults ?? {};
  const instances = [];
  for (const a of cloud.accounts ?? [])
    for (const r of a.regions ?? [])
      for (const i of r.instances ?? [])
        instances.push({ id: i.instanceId, label: `${i.name ?? i.instanceId} (${i.instanceId}, ${a.id})` });
  const labelOf = (id) => instances.find((i) => i.id === id)?.label ?? id;
  const ids = instances.map((i) => i.id);
  const throttle = Math.round((faults.throttle ?? 0) * 100);
  root.innerHTML = `<form class="faults" id="faults-form">
    <div class="hint">Faults apply to every AWS call the bot makes from now on. Samples use: ${escapeHtml(samples.slice(0, 2).join('; '))}</div>
    <fieldset><legend>Throttling</legend>
      <div class="hint">Share of AWS calls answered ThrottlingException (the SDK retries them).</div>
      <label><input type="range" name="throttle" min="0" max="100" step="5" value="${throttle}"> <output>${throttle}%</output></label>
    </fieldset>
    <fieldset><legend>AccessDenied in member accounts</legend>
      <div class="hint">AssumeRole into IRAutomation is refused.</div>
      ${checks('accessDenied', ACCOUNTS, faults.accessDenied ?? [])}
    </fieldset>
    <fieldset><legend>SSM agent offline</legend>
      <div class="hint">Memory capture cannot run on these instances.</div>
      ${checks('ssmOffline', ids, faults.ssmOffline ?? [], labelOf)}
    </fieldset>
    <fieldset><legend>Terminate</legend>
      <div class="hint">The instance is terminated at once (as an attacker or an Auto Scaling group might).</div>
      ${checks('terminate', ids, faults.terminate ?? [], labelOf)}
    </fieldset>
    <div class="row"><button class="bk-button primary" type="submit">Apply faults</button>
    <button class="bk-button default" type="button" id="faults-clear">Clear all</button></div>
    <div class="current">In force: <code>${escapeHtml(JSON.stringify(faults))}</code></div>
  </form>`;
  const form = root.querySelector('#faults-form');
  const output = form.querySelector('output');
  form.throttle.addEventListener('input', () => {
    output.textContent = `${form.throttle.value}%`;
  });
  const send = async (body) => {
    const { status, json } = await api('/api/cloud/faults', body);
    if (status !== 200) toast(`Faults refused: ${json.error}`, true);
    else toast(Object.keys(body).length ? 'Faults applied' : 'Faults cleared');
    await renderFaults(root, { api, toast, samples });
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const picked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
    const body = {};
    if (Number(form.throttle.value) > 0) body.throttle = Number(form.throttle.value) / 100;
    for (const name of ['accessDenied', 'ssmOffline', 'terminate'])
      if (picked(name).length) body[name] = picked(name);
    void send(body);
  });
  root.querySelector('#faults-clear').addEventListener('click', () => void send({}));
}
