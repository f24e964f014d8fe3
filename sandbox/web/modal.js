// Modals the bot opens (views.open) for the current user: rendered like Slack's (title, blocks,
// plain_text_input fields, Cancel and submit), submitted through POST /api/views/:id/submit, which
// sends the signed view_submission to the bot. Errors (the client's own checks, or the bot's
// response_action "errors") show under their fields; the typed text survives a refresh.

import { blockHtml } from './blockkit.js';
import { escapeHtml, plain } from './mrkdwn.js';

let shown; // { key, id } of the view on screen

function inputHtml(block, values, errors) {
  const el = block.element ?? {};
  // Slack adds "(optional)" to an optional field's label, unless the label says so already.
  const saysOptional = /optional/i.test(block.label?.text ?? '');
  const label = `${plain(block.label)}${block.optional && !saysOptional ? ' <span class="optional">(optional)</span>' : ''}`;
  const error = errors?.[block.block_id];
  if (el.type !== 'plain_text_input')
    return `<div class="modal-field"><label>${label}</label><span class="bk-unsupported">[${escapeHtml(el.type ?? 'input')} is not simulated]</span></div>`;
  const value = values?.[block.block_id]?.[el.action_id]?.value ?? el.initial_value ?? '';
  const attrs = `data-block-id="${escapeHtml(block.block_id)}" data-action-id="${escapeHtml(el.action_id)}" id="in-${escapeHtml(block.block_id)}"${
    el.max_length ? ` maxlength="${Number(el.max_length)}"` : ''
  } placeholder="${escapeHtml(el.placeholder?.text ?? '')}"${error ? ' aria-invalid="true"' : ''}`;
  const field = el.multiline
    ? `<textarea rows="4" ${attrs}>${escapeHtml(value)}</textarea>`
    : `<input type="text" ${attrs} value="${escapeHtml(value)}">`;
  return `<div class="modal-field${error ? ' invalid' : ''}">
    <label for="in-${escapeHtml(block.block_id)}">${label}</label>${field}
    ${block.hint ? `<div class="hint">${plain(block.hint)}</div>` : ''}
    ${error ? `<div class="field-error" role="alert">${escapeHtml(error)}</div>` : ''}</div>`;
}

function modalHtml(opened, names) {
  const view = opened.view;
  const values = view.state?.values;
  const body = (view.blocks ?? [])
    .map((b) => (b.type === 'input' ? inputHtml(b, values, opened.errors) : blockHtml(b, names)))
    .join('');
  return `<form class="dialog modal" data-view-id="${escapeHtml(opened.id)}" novalidate>
    <header><h2>${plain(view.title)}</h2><button type="button" class="modal-x" data-modal="close" aria-label="Close">×</button></header>
    ${opened.problem ? `<div class="modal-problem" role="alert">${escapeHtml(opened.problem)}</div>` : ''}
    <div class="modal-body bk">${body}</div>
    <footer>
      <button type="button" class="bk-button default" data-modal="close">${plain(view.close ?? { text: 'Cancel' })}</button>
      ${view.submit ? `<button type="submit" class="bk-button primary">${plain(view.submit)}</button>` : ''}
    </footer></form>`;
}

/** What the user typed, as `{ [block_id]: { [action_id]: text } }`. */
function typed(form) {
  const values = {};
  for (const field of form.querySelectorAll('[data-block-id][data-action-id]')) {
    values[field.dataset.blockId] ??= {};
    values[field.dataset.blockId][field.dataset.actionId] = field.value;
  }
  return values;
}

/**
 * Shows the user's topmost open modal (or hides it when there is none). Re-renders only when the view
 * or its errors changed, so typing is never interrupted by a refresh.
 * @param {HTMLElement} root the backdrop element
 * @param {{ views: any[], user: string, names: object, api: Function, toast: Function, refresh: Function }} ctx
 */
export function showModal(root, { views, user, names, api, toast, refresh }) {
  const opened = views.at(-1);
  if (!opened) {
    shown = undefined;
    if (!root.classList.contains('hidden')) {
      root.classList.add('hidden');
      root.innerHTML = '';
    }
    return;
  }
  const key = JSON.stringify([opened.id, opened.view.hash, opened.errors, opened.problem, user]);
  if (shown?.key === key) return;
  const focused = document.activeElement?.dataset?.blockId;
  shown = { key, id: opened.id };
  root.innerHTML = modalHtml(opened, names);
  root.classList.remove('hidden');
  const form = root.querySelector('form');
  const first = form.querySelector(
    focused
      ? `[data-block-id="${CSS.escape(focused)}"]`
      : '.modal-field.invalid [data-block-id], [data-block-id]',
  );
  first?.focus();

  const send = async (action, body) => {
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      const { status, json } = await api(`/api/views/${encodeURIComponent(opened.id)}/${action}`, body);
      // The bot's own refusals (errors, a failed answer) show inside the modal; this is the API refusing.
      if (status !== 200)
        toast(`The modal could not be ${action === 'submit' ? 'sent' : 'closed'}: ${json.error}`, true);
    } catch (error) {
      toast(String(error), true);
    } finally {
      // Whatever happened, show the modal as the local Slack now has it (closed, or with errors).
      shown = undefined;
      await refresh();
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void send('submit', { user, values: typed(form) });
  });
  for (const close of form.querySelectorAll('[data-modal="close"]'))
    close.addEventListener('click', () => void send('close', { user }));
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') void send('close', { user });
    // Slack submits a modal with Ctrl/Cmd+Enter, even from a multi-line field.
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
}
