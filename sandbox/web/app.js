// The sandbox page: a local Slack client for the bot's channels, driven only by the sandbox's public
// HTTP API (/api/...). Live updates come from /api/stream (server-sent events), with polling as backup.

import { messageBodyHtml } from './blockkit.js';
import { escapeHtml, mrkdwn } from './mrkdwn.js';
import { renderCloud } from './cloud.js';
import { renderFaults } from './faults.js';
import { guideHtml } from './guide.js';
import { showModal } from './modal.js';

const $ = (selector) => document.querySelector(selector);

const state = {
  user: localStorage.getItem('sandbox.user') || 'alice',
  channel: 'security-alerts',
  thread: undefined, // { channel, ts }
  highlight: undefined,
  tab: 'thread',
  users: [],
  groups: [],
  channels: [],
  data: {}, // channel name -> { channel, messages, ephemerals }
  seen: JSON.parse(localStorage.getItem('sandbox.seen') || '{}'),
  cases: [], // open cases, newest first
  views: [], // the current user's open modals
  guide: localStorage.getItem('sandbox.guide') !== 'hidden',
  home: false, // the bot's Home tab is shown instead of a channel
  homeView: undefined, // what the bot published for the current user (views.publish)
};

const ROLE = { S0COMMANDERS: 'commander', S0RESPONDERS: 'responder' };
const STATUS_KIND = {
  'awaiting-approval': 'warn',
  containing: 'info',
  contained: 'info',
  acquiring: 'info',
  open: 'info',
  'evidence-secured': 'good',
  'evidence-incomplete': 'warn',
  released: 'good',
  closed: '',
  denied: 'bad',
  failed: 'bad',
};
const statusPill = (status) =>
  `<span class="pill ${STATUS_KIND[status] ?? ''}" data-status="${escapeHtml(status)}">${escapeHtml(status)}</span>`;
/** The case whose card or thread this message is. */
const caseOf = (ts) => state.cases.find((c) => c.slack?.threadTs === ts || c.slack?.cardTs === ts);

// ---------- API ----------
async function api(path, body) {
  const response = await fetch(
    path,
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { body: text };
  }
  return { status: response.status, json };
}

function toast(text, error = false) {
  const el = document.createElement('div');
  el.className = `toast${error ? ' error' : ''}`;
  el.textContent = text;
  $('#toasts').append(el);
  setTimeout(() => el.remove(), error ? 7000 : 3500);
}

// ---------- names ----------
const userById = (id) => state.users.find((u) => u.id === id);
const names = {
  userName: (id) => userById(id)?.name ?? id,
  groupName: (id) => state.groups.find((g) => g.id === id)?.handle ?? id,
  channelName: (id) => state.channels.find((c) => c.id === id)?.name ?? id,
};
const roleOf = (user) => {
  const roles = (user.groups ?? []).map((g) => ROLE[g]).filter(Boolean);
  return roles.includes('commander') ? 'commander' : (roles[0] ?? 'no role');
};
const current = () => state.users.find((u) => u.name === state.user);

function avatar(user, big = true) {
  const name = user?.name ?? 'bot';
  const cls = user?.isBot ? 'bot' : name;
  const letter = user?.isBot ? 'FB' : name[0].toUpperCase();
  return `<span class="avatar ${big ? 'big' : ''} ${escapeHtml(cls)}">${letter}</span>`;
}

function time(ts) {
  const d = new Date(Number(ts) * 1000);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// ---------- messages ----------
function messageHtml(m, channel, { ephemeral = false, inThread = false, compact = false } = {}) {
  const author = ephemeral ? userById(m.sender) : userById(m.user);
  const isBot = !author || author.isBot;
  const replies = !inThread && m.replies?.length ? m.replies : [];
  const last = replies.at(-1);
  const classes = ['message'];
  if (ephemeral) classes.push('ephemeral');
  if (state.highlight === m.ts) classes.push('highlight');
  if (compact) {
    // A follow-up from the same author, as Slack shows it: no repeated name and avatar.
    classes.push('compact');
    return `<div class="${classes.join(' ')}" data-ts="${m.ts}" data-channel="${channel.id}">
      <span class="compact-time">${time(m.ts).slice(0, 5)}</span>
      <div class="message-body">${ephemeral ? '<div class="ephemeral-note">Only visible to you</div>' : ''}${messageBodyHtml(m, names)}</div></div>`;
  }
  return `<div class="${classes.join(' ')}" data-ts="${m.ts}" data-channel="${channel.id}">
    ${avatar(author ?? { isBot: true })}
    <div class="message-body">
      ${m.subtype === 'thread_broadcast' && !inThread ? '<div class="broadcast-note">replied to a thread</div>' : ''}
      <div class="message-head">
        <span class="message-author">${escapeHtml(author?.name ?? 'forensics-bot')}</span>
        ${isBot ? '<span class="app-badge">APP</span>' : ''}
        <span class="message-time">${time(m.ts)}</span>
        ${m.edited ? '<span class="message-edited">(edited)</span>' : ''}
      </div>
      ${ephemeral ? '<div class="ephemeral-note">Only visible to you</div>' : ''}
      ${messageBodyHtml(m, names)}
      ${
        replies.length
          ? `<button class="thread-link" data-thread="${m.ts}">${avatar(userById('U0FORENSIC'), false)} ${replies.length} ${
              replies.length === 1 ? 'reply' : 'replies'
            } <span class="last">Last reply ${time(last.ts)}</span></button>`
          : ''
      }
    </div>
  </div>`;
}

/** The bot's Home tab: the view it published for the current user when they opened it. */
function renderHome() {
  $('#channel-title').textContent = 'forensics-bot · Home';
  $('#channel-topic').textContent = 'what the bot published for you (views.publish) when you opened it';
  const view = state.homeView;
  const html = view
    ? `<div class="home message" data-home-view="${escapeHtml(view.id ?? '')}"><div class="message-body">${messageBodyHtml({ blocks: view.blocks }, names)}</div></div>`
    : '<div class="empty">Opening the Home tab…</div>';
  const box = $('#messages');
  if (box.dataset.html === html) return;
  box.innerHTML = html;
  box.dataset.html = html;
  box.dataset.channel = '';
}

/** Opens the Home tab as the current user: the bot hears app_home_opened and publishes the view. */
async function openHome() {
  state.home = true;
  state.homeView = undefined;
  render();
  const { status, json } = await api('/api/home', { user: state.user });
  if (status !== 200) toast(`The bot answered ${status}: ${json.error ?? ''}`, true);
  state.homeView = json.view ?? undefined;
  render();
}

async function clickHome(button) {
  button.disabled = true;
  try {
    const body = { user: state.user, actionId: button.dataset.actionId };
    if (!button.dataset.noValue) body.value = button.dataset.value;
    const { status, json } = await api('/api/home/actions', body);
    if (status !== 200) toast(`The bot answered ${status}: ${json.error ?? ''}`, true);
    else state.homeView = json.view ?? undefined;
  } finally {
    button.disabled = false;
    render();
  }
}

function renderViewingAs() {
  const me = current();
  $('#viewing-as').innerHTML = me
    ? `Viewing as ${avatar(me, false)} <strong>${escapeHtml(me.name)}</strong> · ${roleOf(me)}`
    : '';
}

function renderChannel() {
  renderViewingAs();
  if (state.home) return renderHome();
  const data = state.data[state.channel];
  const channel = data?.channel ??
    state.channels.find((c) => c.name === state.channel) ?? { id: '', name: state.channel };
  $('#channel-title').textContent = `# ${channel.name}`;
  $('#channel-topic').textContent = channel.topic ?? '';
  $('#command').placeholder = `status CASE-… · list · help   (as ${state.user} in #${channel.name})`;

  const items = [
    ...(data?.messages ?? []).map((m) => ({ ts: m.ts, html: messageHtml(m, channel) })),
    ...(data?.ephemerals ?? [])
      .filter((e) => !e.thread_ts)
      .map((e) => ({ ts: e.ts, html: messageHtml(e, channel, { ephemeral: true }) })),
  ].sort((a, b) => Number(a.ts) - Number(b.ts));
  const html = items.length
    ? items.map((i) => i.html).join('')
    : `<div class="empty">No messages in #${escapeHtml(channel.name)} yet.<br>${
        channel.name === 'security-alerts'
          ? 'Inject a finding from the sidebar: the bot posts its card here.'
          : 'Approval requests for disruptive actions appear here.'
      }</div>`;
  const box = $('#messages');
  if (box.dataset.html === html) return;
  const nearBottom =
    box.scrollHeight - box.scrollTop - box.clientHeight < 120 || box.dataset.channel !== state.channel;
  box.innerHTML = html;
  box.dataset.html = html;
  box.dataset.channel = state.channel;
  if (nearBottom) box.scrollTop = box.scrollHeight;
}

function renderThread() {
  const pane = $('#tab-thread');
  const t = state.thread;
  const data =
    t && Object.values(state.data).find((d) => d.channel.id === t.channel || d.channel.name === t.channel);
  const root = data?.messages.find((m) => m.ts === t.ts);
  let html;
  if (!root) {
    html = `<div class="empty">Open a thread with “replies” under a message.<br>Each case has its own thread: every step of containment and acquisition reports there.</div>`;
  } else {
    const ephemerals = (data.ephemerals ?? []).filter((e) => e.thread_ts === root.ts);
    const replies = [
      ...root.replies.map((m) => ({ m, author: m.user, ephemeral: false })),
      ...ephemerals.map((m) => ({ m, author: m.sender, ephemeral: true })),
    ]
      .sort((a, b) => Number(a.m.ts) - Number(b.m.ts))
      .map((r, i, all) => {
        const prev = all[i - 1];
        const compact =
          prev &&
          prev.author === r.author &&
          prev.ephemeral === r.ephemeral &&
          Number(r.m.ts) - Number(prev.m.ts) < 300;
        return {
          html: messageHtml(r.m, data.channel, { inThread: true, ephemeral: r.ephemeral, compact }),
        };
      });
    const c = caseOf(root.ts);
    // The root is the whole finding card: folded, so the steps of the case fill the pane.
    const fold = root.replies.length > 0;
    html = `<div class="thread-head"><strong>Thread</strong> <span class="sub"># ${escapeHtml(data.channel.name)}</span>
        ${c ? `<span class="thread-case">${escapeHtml(c.id)} ${statusPill(c.status)}</span>` : ''}</div>
      ${
        fold
          ? `<details class="thread-root"${state.rootOpen === root.ts ? ' open' : ''} data-root="${root.ts}"><summary>${mrkdwn(root.text || 'The message', names)}</summary>${messageHtml(root, data.channel, { inThread: true })}</details>`
          : messageHtml(root, data.channel, { inThread: true })
      }
      <div class="replies-divider">${root.replies.length} ${root.replies.length === 1 ? 'reply' : 'replies'}</div>
      ${replies.map((r) => r.html).join('')}`;
  }
  if (pane.dataset.html === html) return;
  const nearBottom =
    pane.scrollHeight - pane.scrollTop - pane.clientHeight < 120 || pane.dataset.thread !== t?.ts;
  pane.innerHTML = html;
  pane.dataset.html = html;
  pane.dataset.thread = t?.ts ?? '';
  if (nearBottom) pane.scrollTop = pane.scrollHeight;
}

function renderSidebar() {
  $('#channels').innerHTML = state.channels
    .map((c) => {
      const count = (state.data[c.name]?.messages ?? []).reduce(
        (n, m) => n + 1 + (m.replies?.length ?? 0),
        0,
      );
      const unread = c.name !== state.channel ? Math.max(0, count - (state.seen[c.name] ?? 0)) : 0;
      return `<li data-channel="${escapeHtml(c.name)}" class="${c.name === state.channel && !state.home ? 'active' : ''} ${unread ? 'unread' : ''}">
        <span># ${escapeHtml(c.name)}</span>${unread ? `<span class="badge">${unread}</span>` : ''}</li>`;
    })
    .join('');
  $('#apps li[data-home]').classList.toggle('active', state.home);
  $('#users').innerHTML = state.users
    .filter((u) => !u.isBot)
    .map(
      (
        u,
      ) => `<button class="user ${u.name === state.user ? 'active' : ''}" role="radio" aria-checked="${u.name === state.user}" data-user="${escapeHtml(u.name)}">
        ${avatar(u, false)} <span>${escapeHtml(u.name)}</span><span class="role">${roleOf(u)}</span></button>`,
    )
    .join('');
}

function renderCases() {
  const box = $('#cases');
  const html = state.cases.length
    ? state.cases
        .map(
          (c) => `<li data-case="${escapeHtml(c.id)}" title="${escapeHtml(c.title ?? '')}">
            <span class="case-id">${escapeHtml(c.id)}</span>${statusPill(c.status)}
            <small>${escapeHtml(c.target?.instanceId ?? '')} · ${escapeHtml((c.actions ?? []).join(', '))}</small></li>`,
        )
        .join('')
    : '<li class="none">No case yet.</li>';
  if (box.dataset.html !== html) {
    box.innerHTML = html;
    box.dataset.html = html;
  }
}

function renderGuide() {
  const guide = $('#guide');
  guide.classList.toggle('hidden', !state.guide);
  $('#guide-show').classList.toggle('hidden', state.guide);
  if (!state.guide) return;
  const html = guideHtml(state);
  if (guide.dataset.html !== html) {
    guide.innerHTML = html;
    guide.dataset.html = html;
  }
}

function renderModal() {
  showModal($('#modal'), { views: state.views, user: state.user, names, api, toast, refresh });
}

function markSeen() {
  const data = state.data[state.channel];
  if (!data) return;
  state.seen[state.channel] = data.messages.reduce((n, m) => n + 1 + (m.replies?.length ?? 0), 0);
  localStorage.setItem('sandbox.seen', JSON.stringify(state.seen));
}

function render() {
  markSeen();
  renderSidebar();
  renderCases();
  renderGuide();
  renderChannel();
  renderThread();
  renderModal();
}

// ---------- loading ----------
let refreshing;
async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const user = encodeURIComponent(state.user);
      const [views, cases, ...results] = await Promise.all([
        api(`/api/views?user=${user}`),
        api('/api/cases'),
        ...state.channels.map((c) =>
          api(`/api/channels/${encodeURIComponent(c.name)}/messages?user=${user}`),
        ),
      ]);
      for (const [i, c] of state.channels.entries())
        if (results[i].status === 200) state.data[c.name] = results[i].json;
      if (views.status === 200) state.views = views.json.views;
      if (cases.status === 200) state.cases = cases.json.cases;
      render();
      if (state.tab === 'cloud') await refreshCloud();
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

async function refreshCloud() {
  const { status, json } = await api('/api/cloud');
  const pane = $('#tab-cloud');
  const html =
    status === 200
      ? renderCloud(json)
      : `<div class="empty">${escapeHtml(json.error ?? 'The simulated AWS organization is not available.')}</div>`;
  // Unchanged state: leave the pane alone (its scroll position and open details stay).
  if (pane.dataset.html === html) return;
  const open = [...pane.querySelectorAll('details[open] summary')].map((s) => s.textContent);
  pane.innerHTML = html;
  pane.dataset.html = html;
  for (const s of pane.querySelectorAll('details summary'))
    if (open.includes(s.textContent)) s.parentElement.open = true;
}

async function boot() {
  const [users, channels, samples, status] = await Promise.all([
    api('/api/users'),
    api('/api/channels'),
    api('/api/samples'),
    api('/api/status'),
  ]);
  state.users = users.json.users;
  state.groups = users.json.groups;
  state.channels = channels.json.channels;
  if (!state.users.some((u) => u.name === state.user)) state.user = 'alice';
  $('#samples').innerHTML = samples.json.samples
    .map(
      (s) =>
        `<button class="sample" data-sample="${escapeHtml(s.name)}">${escapeHtml(s.title)}${
          s.target
            ? `<small>${escapeHtml(s.target.instanceId)} · ${escapeHtml(s.target.account)} · ${escapeHtml(s.target.region)}</small>`
            : ''
        }</button>`,
    )
    .join('');
  $('#components').innerHTML = status.json.components
    .map(
      (c) =>
        `<div class="${c.ok ? 'ok' : 'missing'}" title="${escapeHtml(c.detail ?? '')}">${escapeHtml(c.name)}</div>`,
    )
    .join('');
  applyHash();
  await refresh();
  listen();
}

function listen() {
  let backup = setInterval(refresh, 3000);
  if (!window.EventSource) return;
  const source = new EventSource('/api/stream');
  source.onmessage = () => refresh();
  source.onopen = () => {
    clearInterval(backup);
    backup = setInterval(refresh, 10_000);
  };
}

function applyHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const channel = params.get('channel');
  if (channel) {
    const c = state.channels.find((x) => x.id === channel || x.name === channel);
    if (c) state.channel = c.name;
  }
  if (params.get('ts')) {
    state.thread = { channel: state.channel, ts: params.get('ts') };
    state.highlight = params.get('highlight') ?? undefined;
    selectTab('thread');
  }
}

// ---------- actions ----------
function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const dialog = $('#dialog');
    const style = confirm.style === 'danger' ? 'danger' : 'primary';
    dialog.innerHTML = `<div class="dialog">
      <h2>${escapeHtml(confirm.title?.text ?? 'Are you sure?')}</h2>
      <div class="dialog-text">${confirm.text?.type === 'mrkdwn' ? mrkdwn(confirm.text.text, names) : escapeHtml(confirm.text?.text ?? '')}</div>
      <footer><button class="bk-button default" data-answer="no">${escapeHtml(confirm.deny?.text ?? 'Cancel')}</button>
      <button class="bk-button ${style}" data-answer="yes">${escapeHtml(confirm.confirm?.text ?? 'Yes')}</button></footer></div>`;
    dialog.classList.remove('hidden');
    const done = (answer) => {
      dialog.classList.add('hidden');
      dialog.innerHTML = '';
      document.removeEventListener('keydown', onKey);
      resolve(answer);
    };
    const onKey = (e) => e.key === 'Escape' && done(false);
    document.addEventListener('keydown', onKey);
    dialog.onclick = (e) => {
      const answer = e.target.closest('[data-answer]')?.dataset.answer;
      if (answer) done(answer === 'yes');
      else if (e.target === dialog) done(false);
    };
  });
}

async function click(button) {
  const message = button.closest('.message');
  const confirm = button.dataset.confirm ? JSON.parse(button.dataset.confirm) : undefined;
  if (confirm && !(await confirmDialog(confirm))) return;
  button.disabled = true;
  try {
    const body = {
      user: state.user,
      channel: message.dataset.channel,
      ts: message.dataset.ts,
      actionId: button.dataset.actionId,
    };
    if (!button.dataset.noValue) body.value = button.dataset.value;
    const { status, json } = await api('/api/interactions', body);
    if (status !== 200) toast(`The bot answered ${status}: ${json.error ?? json.body ?? ''}`, true);
  } catch (error) {
    toast(String(error), true);
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function sendCommand(text) {
  const channel = state.data[state.channel]?.channel?.id ?? state.channel;
  const { status, json } = await api('/api/commands', { user: state.user, channel, text });
  if (status !== 200) toast(`/forensics failed (${status}): ${json.error ?? json.body ?? ''}`, true);
  else if (json.body?.trim().startsWith('{')) {
    // A command answered in the HTTP response (not through response_url) shows as an ephemeral.
    try {
      const answer = JSON.parse(json.body);
      if (answer.text) toast(answer.text.replace(/[*_`]/g, ''));
    } catch {}
  }
  refresh();
}

function selectTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('.tabs button'))
    b.classList.toggle('active', b.dataset.tab === tab);
  for (const t of ['thread', 'cloud', 'faults']) $(`#tab-${t}`).classList.toggle('hidden', t !== tab);
  if (tab === 'cloud') refreshCloud();
  if (tab === 'faults')
    renderFaults($('#tab-faults'), {
      api,
      toast,
      samples: [...document.querySelectorAll('.sample small')].map((s) => s.textContent),
    });
}

document.addEventListener('click', (e) => {
  const button = e.target.closest('button.bk-button[data-action-id]');
  if (button?.closest('[data-home-view]')) return void clickHome(button);
  if (button?.closest('.message')) return void click(button);
  if (e.target.closest('li[data-home]')) return void openHome();
  const thread = e.target.closest('[data-thread]');
  if (thread) {
    state.thread = { channel: thread.closest('.message').dataset.channel, ts: thread.dataset.thread };
    state.highlight = undefined;
    selectTab('thread');
    return void render();
  }
  const channel = e.target.closest('li[data-channel]');
  if (channel) {
    state.home = false;
    state.channel = channel.dataset.channel;
    state.highlight = undefined;
    return void render();
  }
  const user = e.target.closest('button[data-user]');
  if (user) {
    state.user = user.dataset.user;
    localStorage.setItem('sandbox.user', state.user);
    if (state.home) void openHome();
    render();
    return void refresh();
  }
  const sample = e.target.closest('button[data-sample]');
  if (sample) {
    sample.disabled = true;
    api(`/api/samples/${sample.dataset.sample}`, {})
      .then(({ status, json }) => {
        if (status !== 200) toast(`Could not inject: ${json.error}`, true);
        else if (json.dropped) toast(`Not delivered to the bot, ${json.dropped.message}`, true);
        else if (json.result && json.result.ok === false)
          toast(`The bot did not post it: ${JSON.stringify(json.result)}`, true);
        state.channel = 'security-alerts';
        return refresh();
      })
      .finally(() => {
        sample.disabled = false;
      });
    return;
  }
  const tab = e.target.closest('.tabs button');
  if (tab) return void selectTab(tab.dataset.tab);
  const kase = e.target.closest('li[data-case]');
  if (kase) {
    const c = state.cases.find((x) => x.id === kase.dataset.case);
    state.home = false;
    const channel = state.channels.find((x) => x.id === c?.slack?.channel);
    if (!channel) return;
    state.channel = channel.name;
    state.thread = { channel: channel.id, ts: c.slack.threadTs ?? c.slack.cardTs };
    state.highlight = c.slack.cardTs;
    selectTab('thread');
    return void render();
  }
  const guide = e.target.closest('[data-guide]');
  if (guide) {
    state.guide = guide.dataset.guide === 'show';
    localStorage.setItem('sandbox.guide', state.guide ? 'shown' : 'hidden');
    renderGuide();
  }
});

// Remember which thread root is unfolded across re-renders.
document.addEventListener(
  'toggle',
  (e) => {
    const root = e.target.closest?.('details[data-root]');
    if (root) state.rootOpen = root.open ? root.dataset.root : undefined;
  },
  true,
);

$('#composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('#command');
  const text = input.value.trim().replace(/^\/forensics\s*/, '');
  input.value = '';
  void sendCommand(text);
});

window.addEventListener('hashchange', () => {
  applyHash();
  render();
});

boot().catch((error) => toast(`The sandbox did not answer: ${error}`, true));
