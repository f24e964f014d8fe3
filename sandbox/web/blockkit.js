// Block Kit -> HTML, as Slack's client renders it: header, section (text, fields, accessory), context,
// divider, actions (buttons with primary/danger style, confirm dialogs, url buttons as links), image,
// rich_text (basic). Buttons carry data-* attributes the page uses to send the click.

import { escapeHtml, mrkdwn, plain, textHtml } from './mrkdwn.js';

function buttonHtml(element, _names) {
  const style = element.style === 'primary' ? 'primary' : element.style === 'danger' ? 'danger' : 'default';
  const label = plain(element.text);
  if (element.url) {
    return `<a class="bk-button ${style} link" href="${escapeHtml(element.url)}" target="_blank" rel="noreferrer">${label}</a>`;
  }
  const confirm = element.confirm ? escapeHtml(JSON.stringify(element.confirm)) : '';
  return `<button class="bk-button ${style}" data-action-id="${escapeHtml(element.action_id ?? '')}" data-value="${escapeHtml(
    element.value ?? '',
  )}"${element.value === undefined ? ' data-no-value="1"' : ''}${confirm ? ` data-confirm="${confirm}"` : ''}>${label}</button>`;
}

function elementHtml(element, names) {
  switch (element?.type) {
    case 'button':
      return buttonHtml(element, names);
    case 'image':
      return `<img class="bk-inline-image" src="${escapeHtml(element.image_url)}" alt="${escapeHtml(element.alt_text ?? '')}">`;
    case 'mrkdwn':
    case 'plain_text':
      return `<span>${textHtml(element, names)}</span>`;
    case 'overflow':
      return `<button class="bk-button default" disabled title="overflow menus are not simulated">⋯</button>`;
    default: {
      const placeholder = element?.placeholder
        ? plain(element.placeholder)
        : escapeHtml(element?.type ?? 'element');
      return `<span class="bk-unsupported">[${placeholder}]</span>`;
    }
  }
}

function richText(block, names) {
  const inline = (el) => {
    if (el.type === 'text') {
      let html = escapeHtml(el.text).replace(/\n/g, '<br>');
      if (el.style?.code) html = `<code>${html}</code>`;
      if (el.style?.bold) html = `<strong>${html}</strong>`;
      if (el.style?.italic) html = `<em>${html}</em>`;
      return html;
    }
    if (el.type === 'link')
      return `<a href="${escapeHtml(el.url)}" target="_blank" rel="noreferrer">${escapeHtml(el.text ?? el.url)}</a>`;
    if (el.type === 'user')
      return `<span class="mention">@${escapeHtml(names.userName?.(el.user_id) ?? el.user_id)}</span>`;
    if (el.type === 'emoji') return `:${escapeHtml(el.name)}:`;
    return '';
  };
  return (block.elements ?? [])
    .map((section) => {
      const body = (section.elements ?? [])
        .map((el) => (el.elements ? el.elements.map(inline).join('') : inline(el)))
        .join('');
      if (section.type === 'rich_text_preformatted') return `<pre class="code">${body}</pre>`;
      if (section.type === 'rich_text_quote') return `<span class="quote">${body}</span>`;
      if (section.type === 'rich_text_list')
        return `<ul>${(section.elements ?? []).map((li) => `<li>${(li.elements ?? []).map(inline).join('')}</li>`).join('')}</ul>`;
      return `<div>${body}</div>`;
    })
    .join('');
}

/** One block. */
export function blockHtml(block, names) {
  switch (block.type) {
    case 'header':
      return `<div class="bk-header">${plain(block.text)}</div>`;
    case 'divider':
      return '<hr class="bk-divider">';
    case 'section': {
      const text = block.text ? `<div class="bk-text">${textHtml(block.text, names)}</div>` : '';
      const fields = block.fields?.length
        ? `<div class="bk-fields">${block.fields.map((f) => `<div class="bk-field">${textHtml(f, names)}</div>`).join('')}</div>`
        : '';
      const accessory = block.accessory
        ? `<div class="bk-accessory">${block.accessory.type === 'image' ? `<img class="bk-thumb" src="${escapeHtml(block.accessory.image_url)}" alt="">` : elementHtml(block.accessory, names)}</div>`
        : '';
      return `<div class="bk-section"><div class="bk-section-main">${text}${fields}</div>${accessory}</div>`;
    }
    case 'context':
      return `<div class="bk-context">${(block.elements ?? []).map((e) => elementHtml(e, names)).join('')}</div>`;
    case 'actions':
      return `<div class="bk-actions">${(block.elements ?? []).map((e) => elementHtml(e, names)).join('')}</div>`;
    case 'image':
      return `<figure class="bk-image">${block.title ? `<figcaption>${plain(block.title)}</figcaption>` : ''}<img src="${escapeHtml(block.image_url)}" alt="${escapeHtml(block.alt_text ?? '')}"></figure>`;
    case 'rich_text':
      return `<div class="bk-rich">${richText(block, names)}</div>`;
    case 'markdown':
      return `<div class="bk-text">${mrkdwn(block.text ?? '', names)}</div>`;
    default:
      return `<div class="bk-unsupported">[${escapeHtml(block.type)} block]</div>`;
  }
}

/** A message body: its blocks, or its text when it has none. */
export function messageBodyHtml(message, names) {
  const files = filesHtml(message);
  if (Array.isArray(message.blocks) && message.blocks.length) {
    return `<div class="bk">${message.blocks.map((b) => blockHtml(b, names)).join('')}</div>${files}`;
  }
  return `<div class="bk-text">${mrkdwn(message.text ?? '', names)}</div>${files}`;
}

/** Uploaded files (files.completeUploadExternal): a link to the bytes, its name and size. */
function filesHtml(message) {
  if (!Array.isArray(message.files) || !message.files.length) return '';
  return message.files
    .map(
      (f) =>
        `<a class="file" href="/api/files/${encodeURIComponent(f.id)}" target="_blank" rel="noopener">` +
        `<span class="file-icon">📄</span> <span class="file-name">${escapeHtml(f.title ?? f.name ?? f.id)}</span>` +
        ` <span class="file-size">${escapeHtml(String(f.size ?? '?'))} bytes · ${escapeHtml(f.filetype ?? '')}</span></a>`,
    )
    .join('');
}
