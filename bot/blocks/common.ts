/**
 * Pure Block Kit helpers shared by every card: Slack's limits, mrkdwn escaping, and text that never shows
 * "undefined", "NaN" or "[object Object]" whatever an event carried.
 */
import type { SeverityLabel } from '../core/severity.js';

/** Block Kit limits (https://api.slack.com/reference/block-kit). */
export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  messageText: 40_000,
} as const;

/** Text for an empty value on a card. */
export const NONE = '—';

/**
 * Any value as display text: strings trimmed, finite numbers, ISO dates as given; anything else (null,
 * undefined, NaN, objects, arrays of nothing) becomes the fallback.
 */
export function safeText(value: unknown, fallback: string = NONE): string {
  if (typeof value === 'string') {
    const t = value.trim();
    return t && t !== 'undefined' && t !== 'null' && t !== 'NaN' && t !== '[object Object]' ? t : fallback;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : fallback;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map((v) => safeText(v, '')).filter(Boolean);
    return parts.length ? parts.join(', ') : fallback;
  }
  return fallback;
}

/**
 * Shortens to at most `max` UTF-16 code units (what Slack's limits count: an emoji is two), ending in
 * "…", and never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate without its pair
  return `${text.slice(0, end)}…`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Safe, escaped and truncated mrkdwn from an untrusted value (escaping happens before truncation is measured). */
export function mrkdwnText(
  value: unknown,
  max: number = LIMITS.sectionText,
  fallback: string = NONE,
): string {
  return truncate(escapeMrkdwn(safeText(value, fallback)), max);
}

/** Safe, truncated plain text (plain_text is not parsed, so no escaping). */
export function plainText(value: unknown, max: number, fallback: string = NONE): string {
  return truncate(safeText(value, fallback), max);
}

const MARKERS: Record<SeverityLabel, string> = {
  CRITICAL: ':rotating_light:',
  HIGH: ':red_circle:',
  MEDIUM: ':large_orange_circle:',
  LOW: ':large_yellow_circle:',
  INFORMATIONAL: ':white_circle:',
};

/** The emoji that marks a severity on cards and in notification text. */
export function severityMarker(label: string): string {
  return MARKERS[label as SeverityLabel] ?? ':white_circle:';
}

/** "2017-10-31 23:16 UTC" from an ISO time; the fallback when absent or not a time. */
export function formatTime(iso: unknown, fallback: string = NONE): string {
  if (typeof iso !== 'string' && typeof iso !== 'number') return fallback;
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(ms)) return fallback;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A mrkdwn field "*Label*\nvalue" for a section's `fields`. */
export function field(label: string, value: unknown): { type: 'mrkdwn'; text: string } {
  return {
    type: 'mrkdwn',
    text: truncate(`*${escapeMrkdwn(label)}*\n${escapeMrkdwn(safeText(value))}`, LIMITS.fieldText),
  };
}

/** True when any text in the blocks (serialized) shows a value that leaked through unformatted. */
export function hasLeakedValue(blocks: unknown): boolean {
  return /undefined|NaN|\[object Object\]/.test(JSON.stringify(blocks));
}
