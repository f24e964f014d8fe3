import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, formatTime, safeText, severityMarker, truncate } from '../../../bot/blocks/common.js';
import { asffSeverity, guardDutySeverity, meetsThreshold } from '../../../bot/core/severity.js';

describe('Function: safeText', () => {
  it('turns missing, NaN and object values into the fallback', () => {
    expect([undefined, null, Number.NaN, {}, [], '  ', 'undefined'].map((v) => safeText(v))).toEqual(
      Array(7).fill('—'),
    );
    expect(safeText([1, 'a', undefined])).toBe('1, a');
    expect(safeText(4.5)).toBe('4.5');
  });
});

describe('Function: truncate / escapeMrkdwn / formatTime / severityMarker', () => {
  it('truncates by UTF-16 units (what Slack counts) without splitting emoji', () => {
    expect(truncate('😀😀😀', 3)).toBe('😀…');
    expect(truncate('😀😀😀', 4)).toBe('😀…'); // the second emoji would be cut in half: left out whole
    expect(truncate('abc', 3)).toBe('abc');
    // a 150-unit header limit holds with emoji in the text
    const header = truncate(`🔥 ${'x'.repeat(200)} 😀`, 150);
    expect(header.length).toBeLessThanOrEqual(150);
    for (const n of [1, 2, 3, 149, 150, 151]) {
      const t = truncate('😀'.repeat(100), n);
      expect(t.length).toBeLessThanOrEqual(Math.max(n, 1));
      expect(t).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
  it('keeps attacker markup out of fallbacks and thread text', () => {
    expect(escapeMrkdwn('<!channel> <https://evil.example|AWS console>')).not.toMatch(/<[!h@]/);
  });
  it('escapes &, < and >', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
  it('formats times and falls back on garbage', () => {
    expect(formatTime('2020-08-22T09:15:57Z')).toBe('2020-08-22 09:15 UTC');
    expect(formatTime('XXXX-XX-XX')).toBe('—');
    expect(formatTime(undefined)).toBe('—');
  });
  it('marks unknown labels neutrally', () => {
    expect(severityMarker('CRITICAL')).toBe(':rotating_light:');
    expect(severityMarker('WHATEVER')).toBe(':white_circle:');
  });
});

describe('Function: severity scale', () => {
  it('puts GuardDuty and ASFF on one 0–10 scale', () => {
    expect(guardDutySeverity(8)).toEqual({ label: 'HIGH', score: 8 });
    expect(guardDutySeverity('nonsense')).toEqual({ label: 'INFORMATIONAL', score: 0 });
    expect(asffSeverity({ Label: 'CRITICAL', Normalized: 95 })).toEqual({ label: 'CRITICAL', score: 9.5 });
    expect(asffSeverity({ Label: 'HIGH' })).toEqual({ label: 'HIGH', score: 7 });
    expect(asffSeverity({ Normalized: 40 })).toEqual({ label: 'MEDIUM', score: 4 });
    expect(asffSeverity(undefined)).toEqual({ label: 'INFORMATIONAL', score: 0 });
  });
  it('compares a severity with a label or a score threshold', () => {
    expect(meetsThreshold({ label: 'MEDIUM', score: 5 }, 'MEDIUM')).toBe(true);
    expect(meetsThreshold({ label: 'LOW', score: 2 }, 'MEDIUM')).toBe(false);
    expect(meetsThreshold({ label: 'LOW', score: 2 }, 2)).toBe(true);
  });
});
