// Slack mrkdwn -> safe HTML: <url|text> links, <@U…> mentions, <#C…> channels, <!subteam^S…> groups,
// *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes, :emoji: shortcodes. Everything else is
// escaped text.

const EMOJI = {
  red_circle: '🔴',
  large_orange_circle: '🟠',
  large_yellow_circle: '🟡',
  large_green_circle: '🟢',
  large_blue_circle: '🔵',
  white_circle: '⚪',
  black_circle: '⚫',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  ballot_box_with_check: '☑️',
  x: '❌',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  warning: '⚠️',
  rotating_light: '🚨',
  lock: '🔒',
  unlock: '🔓',
  closed_lock_with_key: '🔐',
  key: '🔑',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  stopwatch: '⏱️',
  alarm_clock: '⏰',
  mag: '🔍',
  mag_right: '🔎',
  shield: '🛡️',
  floppy_disk: '💾',
  cd: '💿',
  dvd: '📀',
  brain: '🧠',
  camera: '📷',
  package: '📦',
  page_facing_up: '📄',
  memo: '📝',
  clipboard: '📋',
  link: '🔗',
  bell: '🔔',
  fire: '🔥',
  eyes: '👀',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  raised_hand: '✋',
  octagonal_sign: '🛑',
  arrows_counterclockwise: '🔄',
  repeat: '🔁',
  information_source: 'ℹ️',
  question: '❓',
  exclamation: '❗',
  heavy_minus_sign: '➖',
  skull: '💀',
  construction: '🚧',
  zap: '⚡',
  satellite: '📡',
  computer: '💻',
  desktop_computer: '🖥️',
  gear: '⚙️',
  wrench: '🔧',
  hammer_and_wrench: '🛠️',
  scroll: '📜',
  file_folder: '📁',
  open_file_folder: '📂',
  card_index_dividers: '🗂️',
  busts_in_silhouette: '👥',
  bust_in_silhouette: '👤',
  cop: '👮',
  detective: '🕵️',
  sleuth_or_spy: '🕵️',
  arrow_right: '➡️',
  leftwards_arrow_with_hook: '↩️',
  heavy_plus_sign: '➕',
  dart: '🎯',
  tada: '🎉',
  ice_cube: '🧊',
  snowflake: '❄️',
  triangular_flag_on_post: '🚩',
  label: '🏷️',
  timer_clock: '⏲️',
  envelope: '✉️',
  inbox_tray: '📥',
  outbox_tray: '📤',
  speech_balloon: '💬',
  thread: '🧵',
  chart_with_upwards_trend: '📈',
  bar_chart: '📊',
  broom: '🧹',
  wastebasket: '🗑️',
  fingerprint: '🫆',
  dna: '🧬',
  test_tube: '🧪',
  microscope: '🔬',
  bookmark: '🔖',
  pushpin: '📌',
  round_pushpin: '📍',
  lock_with_ink_pen: '🔏',
  briefcase: '💼',
  arrow_forward: '▶️',
  fast_forward: '⏩',
  checkered_flag: '🏁',
  stop_sign: '🛑',
  sunny: '☀️',
};

export function escapeHtml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Slack escapes &, <, > in message text; undo that before escaping for HTML. */
function unescapeSlack(text) {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

// Without a colour-emoji font (headless browsers, minimal Linux), emoji become coloured symbols that
// every font has, instead of empty boxes.
const SYMBOL = {
  red_circle: ['●', 'red'],
  large_orange_circle: ['●', 'orange'],
  large_yellow_circle: ['●', 'yellow'],
  large_green_circle: ['●', 'green'],
  large_blue_circle: ['●', 'blue'],
  white_circle: ['○', 'grey'],
  black_circle: ['●', 'black'],
  white_check_mark: ['✔', 'green'],
  heavy_check_mark: ['✔', 'green'],
  ballot_box_with_check: ['☑', 'green'],
  x: ['✖', 'red'],
  no_entry: ['⊘', 'red'],
  no_entry_sign: ['⊘', 'red'],
  octagonal_sign: ['⊘', 'red'],
  warning: ['⚠', 'orange'],
  rotating_light: ['⚠', 'red'],
  hourglass: ['◷', 'grey'],
  hourglass_flowing_sand: ['◷', 'grey'],
  stopwatch: ['◷', 'grey'],
  timer_clock: ['◷', 'grey'],
  alarm_clock: ['◷', 'orange'],
  lock: ['■', 'black'],
  closed_lock_with_key: ['■', 'black'],
  lock_with_ink_pen: ['■', 'black'],
  unlock: ['□', 'grey'],
  gear: ['⚙', 'grey'],
  zap: ['⚡', 'orange'],
  envelope: ['✉', 'grey'],
  triangular_flag_on_post: ['⚑', 'red'],
  memo: ['✎', 'grey'],
  information_source: ['ℹ', 'blue'],
  arrow_right: ['➡', 'grey'],
  arrows_counterclockwise: ['↻', 'grey'],
  repeat: ['↻', 'grey'],
  hammer_and_wrench: ['⚒', 'grey'],
  star: ['★', 'yellow'],
  heavy_plus_sign: ['+', 'grey'],
  heavy_minus_sign: ['−', 'grey'],
  briefcase: ['▣', 'black'],
  arrow_forward: ['▶', 'blue'],
  fast_forward: ['»', 'grey'],
  checkered_flag: ['⚑', 'black'],
  stop_sign: ['⊘', 'red'],
  sunny: ['☀', 'yellow'],
  construction: ['⚠', 'orange'],
  inbox_tray: ['⇩', 'grey'],
  wastebasket: ['✖', 'grey'],
  package: ['▣', 'grey'],
  camera: ['◉', 'grey'],
  brain: ['◉', 'grey'],
  floppy_disk: ['▤', 'grey'],
};

let colourEmoji;
/** Whether this browser draws colour emoji (a red circle comes out red). */
export function hasColourEmoji() {
  if (colourEmoji !== undefined) return colourEmoji;
  colourEmoji = true;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 24;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.font = '20px sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText('\u{1F534}', 0, 0);
    const data = ctx.getImageData(0, 0, 24, 24).data;
    colourEmoji = false;
    for (let i = 0; i < data.length; i += 4)
      if (data[i] > 150 && data[i + 1] < 90 && data[i + 2] < 90 && data[i + 3] > 100) {
        colourEmoji = true;
        break;
      }
  } catch {
    // no canvas: assume the platform has emoji
  }
  return colourEmoji;
}

const NAME_OF = Object.fromEntries(Object.entries(EMOJI).map(([name, char]) => [char, name]));

export function emojify(html) {
  if (!hasColourEmoji())
    html = html.replace(/[\u{1F000}-\u{1FAFF}]\uFE0F?/gu, (char) => {
      const symbol = SYMBOL[NAME_OF[char] ?? NAME_OF[char.replace('\uFE0F', '')]];
      return symbol ? `<span class="symbol ${symbol[1]}">${symbol[0]}</span>` : '';
    });
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => {
    if (!EMOJI[name] && !SYMBOL[name]) return whole;
    if (hasColourEmoji() && EMOJI[name]) return `<span class="emoji">${EMOJI[name]}</span>`;
    const symbol = SYMBOL[name];
    return symbol ? `<span class="symbol ${symbol[1]}">${symbol[0]}</span>` : '';
  });
}

function safeUrl(url) {
  return /^(https?:|mailto:|\/)/i.test(url) ? url : '#';
}

/**
 * @param {string} text mrkdwn
 * @param {{ userName?: (id: string) => string, groupName?: (id: string) => string, channelName?: (id: string) => string }} names
 */
export function mrkdwn(text, names = {}) {
  if (!text) return '';
  const tokens = [];
  const keep = (html) => {
    tokens.push(html);
    return `\uE000${tokens.length - 1}\uE001`;
  };
  let s = String(text);
  // Code first: nothing inside code is formatted.
  s = s.replace(/```([\s\S]*?)```/g, (_, code) =>
    keep(`<pre class="code">${escapeHtml(unescapeSlack(code.replace(/^\n/, '')))}</pre>`),
  );
  s = s.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
  // Slack's angle-bracket tokens.
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => {
    const [target, label] = inner.split('|', 2);
    if (target.startsWith('@')) {
      const id = target.slice(1);
      return keep(`<span class="mention">@${escapeHtml(label ?? names.userName?.(id) ?? id)}</span>`);
    }
    if (target.startsWith('#')) {
      const id = target.slice(1);
      return keep(
        `<span class="mention channel">#${escapeHtml(label ?? names.channelName?.(id) ?? id)}</span>`,
      );
    }
    if (target.startsWith('!subteam^')) {
      const id = target.slice('!subteam^'.length);
      const shown = label ? label.replace(/^@/, '') : (names.groupName?.(id) ?? id);
      return keep(`<span class="mention group">@${escapeHtml(shown)}</span>`);
    }
    if (target.startsWith('!date^')) {
      // <!date^epoch^format|fallback>: Slack shows the time in the reader's time zone.
      const epoch = Number(target.split('^')[1]);
      const when = Number.isFinite(epoch) ? new Date(epoch * 1000) : undefined;
      const shown = when
        ? when.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })
        : unescapeSlack(label ?? '');
      return keep(`<time datetime="${escapeHtml(when?.toISOString() ?? '')}">${escapeHtml(shown)}</time>`);
    }
    if (target.startsWith('!')) {
      const word = target.slice(1).split('^')[0];
      return keep(`<span class="mention">@${escapeHtml(label ?? word)}</span>`);
    }
    const url = unescapeSlack(target);
    return keep(
      `<a href="${escapeHtml(safeUrl(url))}" target="_blank" rel="noreferrer">${escapeHtml(unescapeSlack(label ?? url))}</a>`,
    );
  });
  s = escapeHtml(unescapeSlack(s));
  // Block quotes: lines starting with "> " (escaped as &gt;).
  s = s.replace(/(^|\n)&gt; ?([^\n]*)/g, (_, start, line) => `${start}<span class="quote">${line}</span>`);
  s = s.replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?<])/g, '$1<strong>$2</strong>');
  s = s.replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?<])/g, '$1<em>$2</em>');
  s = s.replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?<])/g, '$1<del>$2</del>');
  s = emojify(s).replace(/\n/g, '<br>');
  return s.replace(/\uE000(\d+)\uE001/g, (_, i) => tokens[Number(i)]);
}

/** plain_text objects: escaped, emoji shortcodes shown when `emoji` is not false. */
export function plain(textObject) {
  if (!textObject) return '';
  const html = escapeHtml(textObject.text ?? '');
  return textObject.emoji === false ? html : emojify(html);
}

/** A text object of either kind. */
export function textHtml(textObject, names) {
  if (!textObject) return '';
  return textObject.type === 'mrkdwn' ? mrkdwn(textObject.text, names) : plain(textObject);
}
