import { describe, expect, it } from 'vitest';
import type { ExaminationFinding, ExaminationRecord } from '../../../bot/core/case-model.js';
import { examinationSummaryBlocks, examinationSummaryText } from '../../../bot/blocks/examination-summary.js';

const finding = (
  n: number,
  category: string,
  over: Partial<ExaminationFinding> = {},
): ExaminationFinding => ({
  id: `EX-${n}`,
  category,
  severity: 'high',
  title: `finding ${n}`,
  path: `/tmp/f${n}`,
  time: '2026-11-30T22:08:00.000Z',
  evidence: `evidence ${n}`,
  source: 'yara:test',
  ...over,
});

const record = (findings: ExaminationFinding[]): ExaminationRecord => ({
  status: 'completed',
  at: '2026-12-01T00:00:00.000Z',
  worker: 'local',
  iocs: [],
  inputs: [
    { name: 'disk-image', uri: 's3://b/CASE-20261201-ABCD/disk/x.raw', sha256: 'a'.repeat(64), bytes: 1 },
  ],
  outputs: [
    {
      name: 'report.md',
      uri: 's3://b/CASE-20261201-ABCD/examination/report.md',
      sha256: 'b'.repeat(64),
      bytes: 1,
    },
  ],
  counts: { critical: 0, high: findings.length, medium: 0, low: 0, info: 0 },
  total: findings.length,
  findings,
  notExamined: [],
});

/** Every text object of the blocks, with its type. */
function texts(blocks: unknown): { type: string; text: string; emoji?: boolean }[] {
  const out: { type: string; text: string; emoji?: boolean }[] = [];
  JSON.stringify(blocks, (_k, v) => {
    if (v && typeof v === 'object' && typeof v.type === 'string' && typeof v.text === 'string') out.push(v);
    return v;
  });
  return out;
}

describe('Function: examinationSummaryBlocks', () => {
  it('answers in the responder’s order: active actor, entry, persistence, credentials, executed, then evidence', () => {
    const blocks = examinationSummaryBlocks(
      'CASE-20261201-ABCD',
      record([
        finding(1, 'execution'),
        finding(2, 'credentials'),
        finding(3, 'persistence'),
        finding(4, 'access'),
        finding(5, 'activity'),
      ]),
    );
    const order = texts(blocks)
      .map((t) => t.text)
      .join('\n');
    const at = (s: string) => order.indexOf(s);
    expect(at('Is the actor still active?')).toBeLessThan(at('finding 5'));
    expect(at('finding 5')).toBeLessThan(at('How did they get in?'));
    expect(at('finding 4')).toBeLessThan(at('Persistence'));
    expect(at('finding 3')).toBeLessThan(at('Credentials at risk'));
    expect(at('finding 2')).toBeLessThan(at('What was executed'));
    expect(at('finding 1')).toBeLessThan(at('*Evidence*'));
    expect(order).toContain(`sha256 ${'a'.repeat(64)} (verified)`);
    expect(order).toContain('/tmp/f3 · 2026-11-30 22:08 UTC');
  });

  it('stays within 50 blocks however many findings there are, counting the rest', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      finding(i, ['activity', 'access', 'persistence', 'credentials', 'execution', 'ioc'][i % 6]!),
    );
    const blocks = examinationSummaryBlocks('CASE-20261201-ABCD', record(many));
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(blocks)).toContain('(45 more in report.md)');
  });

  it('renders hostile file names and contents literally: plain_text without emoji, never mrkdwn', () => {
    const hostile = finding(1, 'persistence', {
      title: '<!channel> *bold* :skull: <https://evil.example|click>',
      path: '/var/www/<!here>*x*.php',
      evidence: '`code` _it_ <@U0ALICE>',
    });
    const blocks = examinationSummaryBlocks('CASE-20261201-ABCD', record([hostile]));
    for (const t of texts(blocks)) {
      if (t.type === 'mrkdwn') expect(t.text).not.toMatch(/<!|<@|<https|\*bold\*|:skull:/);
      if (t.text.includes('<!channel>')) expect(t).toMatchObject({ type: 'plain_text', emoji: false });
    }
    expect(texts(blocks).some((t) => t.text.includes('/var/www/<!here>*x*.php'))).toBe(true);
    expect(examinationSummaryText('CASE-20261201-ABCD', record([hostile]))).not.toMatch(/</);
  });
  it('ends with the next actions asked for, each carrying only the case id, within 50 blocks whatever was found', () => {
    const many = ['activity', 'access', 'persistence', 'credentials', 'execution', 'malware'].flatMap(
      (c, i) => Array.from({ length: 9 }, (_, n) => finding(i * 10 + n, c)),
    );
    const e = { ...record(many), notExamined: ['memory: not captured'] };

    const blocks = examinationSummaryBlocks('CASE-20261201-ABCD', e, {
      containNow: true,
      closeFalsePositive: true,
    });

    expect(blocks.length).toBeLessThanOrEqual(50);
    const last = blocks.at(-1) as { type: string; elements: { action_id: string; value: string }[] };
    expect(last.type).toBe('actions');
    expect(last.elements.map((b) => [b.action_id, b.value])).toEqual([
      ['case.contain', 'CASE-20261201-ABCD'],
      ['case.close-false-positive', 'CASE-20261201-ABCD'],
    ]);
    expect(
      examinationSummaryBlocks('CASE-20261201-ABCD', e, { closeFalsePositive: true }).at(-1),
    ).toMatchObject({
      elements: [{ action_id: 'case.close-false-positive' }],
    });
    expect(examinationSummaryBlocks('CASE-20261201-ABCD', e).some((b) => b.type === 'actions')).toBe(false);
  });
});
