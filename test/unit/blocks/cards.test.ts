import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../bot/core/finding.js';
import { approvalCardBlocks, approvalDecidedBlocks } from '../../../bot/blocks/approval-card.js';
import { caseCardBlocks, withoutFindingActions } from '../../../bot/blocks/case-card.js';
import { casePlan, stepProgress } from '../../../bot/blocks/case-text.js';
import { caseStatusLine, duration, stepLine, stepName } from '../../../bot/blocks/case-text.js';
import { caseStatusBlocks } from '../../../bot/blocks/status.js';
import { findingCardBlocks } from '../../../bot/blocks/finding-card.js';
import type { CaseRecord } from '../../../bot/core/case-model.js';

const record = (over: Partial<CaseRecord> = {}): CaseRecord => ({
  id: 'CASE-20250101-ABCD',
  status: 'open',
  severity: { label: 'HIGH', score: 8 },
  title: 'SSH brute force <script> & more',
  findingIds: ['f-1'],
  target: { account: '333333333333', region: 'us-east-1', instanceId: 'i-0123456789abcdef0' },
  actions: ['contain'],
  trigger: 'slack-button',
  requester: { userId: 'U0ALICE', name: 'alice' },
  slack: { channel: 'C0ALERTS', cardTs: '1.1', threadTs: '1.1' },
  artifacts: [],
  steps: [],
  createdAt: '2025-01-01T10:00:00.000Z',
  updatedAt: '2025-01-01T10:00:00.000Z',
  taskToken: 'SECRET-TASK-TOKEN',
  ...over,
});

describe('Function: case card builders', () => {
  it('says who opened the case for what, then the stage and step n/m', () => {
    expect(caseStatusLine(record())).toContain('*CASE-20250101-ABCD* opened by <@U0ALICE>: containment');
    const moving = record({
      status: 'containing',
      steps: [
        { step: 'Network isolated', outcome: 'succeeded', at: '2025-01-01T10:01:00Z', durationMs: 1200 },
        { step: 'Memory capture started', outcome: 'succeeded', at: '2025-01-01T10:02:00Z' },
      ],
    });
    // prepare, approval, contain, memory, disk, examine, close: memory is stage 4 of 7
    expect(caseStatusLine(moving)).toMatch(
      /Stage: \*containing\* · stage 4\/7: memory capture started succeeded/,
    );
  });

  it('plans the stages in the order this case runs them, and counts them for its path', () => {
    const memoryFirst = record({ memoryPlan: { memoryFirst: true } as never });
    expect(casePlan(memoryFirst)[1]).toMatch(/^Acquire memory/);
    expect(casePlan(memoryFirst)[2]).toMatch(/approval/);
    expect(casePlan(record({ approval: 'not-required' }))).toHaveLength(6);
    expect(casePlan(record())[3]).toMatch(
      /^Acquire memory \(before isolation when the VPC has no SSM\/S3 endpoints\)/,
    );
    const analysis = record({ actions: ['analyze'] });
    expect(stepProgress(analysis).m).toBe(5);
    expect(stepProgress({ ...analysis, approvalRequestedAt: '2025-01-01T10:05:00Z' }).m).toBe(7);
  });

  it('removes the finding buttons (nobody starts twice) but keeps console links', () => {
    const stored: Finding = {
      source: 'guardduty',
      id: 'f-1',
      type: 'T',
      title: 't',
      description: 'd',
      severity: { label: 'HIGH', score: 8 },
      account: '333333333333',
      region: 'us-east-1',
      resource: {
        kind: 'ec2-instance',
        id: 'i-0123456789abcdef0',
        instance: { instanceId: 'i-0123456789abcdef0', privateIps: [], publicIps: [] },
      },
      count: 1,
      links: [{ label: 'GuardDuty', url: 'https://console.aws.amazon.com/guardduty' }],
      archived: false,
    };
    const finding = findingCardBlocks(stored);
    const stripped = JSON.stringify(withoutFindingActions(finding));
    expect(stripped).not.toMatch(/case\.analyze|case\.contain|finding\.dismiss/);
    expect(stripped).toContain('finding.link.0');
    // the case card renders from the stored finding: its content, no finding buttons, the status last
    const card = caseCardBlocks(record({ finding: stored }));
    expect(JSON.stringify(card)).not.toMatch(/case\.analyze|case\.contain|finding\.dismiss/);
    expect(JSON.stringify(card)).toContain('finding.link.0');
    expect(card.at(-1)).toMatchObject({ block_id: 'case-status' });
  });

  it('says the AWS principal behind a tag or custom-action case is unknown, and where to find it', () => {
    const tagged = record({
      trigger: 'tag',
      requester: { userId: 'aws', name: 'tag SecurityIncidentStatus=Contain' },
    });
    for (const blocks of [caseStatusBlocks(tagged), caseCardBlocks(tagged)])
      expect(JSON.stringify(blocks)).toMatch(
        /AWS principal unknown \(the tag event names none\): CloudTrail `CreateTags`/,
      );
    const action = record({
      trigger: 'security-hub-action',
      requester: { userId: 'aws', name: 'Security Hub action ForensicsContain' },
    });
    expect(JSON.stringify(caseStatusBlocks(action))).toMatch(
      /AWS principal unknown \(the custom action event names none\)/,
    );
    expect(JSON.stringify(caseStatusBlocks(record()))).not.toMatch(/AWS principal/);
  });

  it('escapes titles and never shows the task token', () => {
    const blocks = [
      ...caseCardBlocks(record()),
      ...approvalCardBlocks(record(), { fourEyes: true }),
      ...caseStatusBlocks(record()),
    ];
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('SECRET-TASK-TOKEN');
    expect(json).toContain('&lt;script&gt; &amp; more');
  });

  it('puts only the case id in the approval buttons, and removes them once decided', () => {
    const pending = JSON.stringify(approvalCardBlocks(record(), { fourEyes: true }));
    expect(pending).toContain('"action_id":"approval.approve"');
    expect(pending).toContain('"value":"CASE-20250101-ABCD"');
    const decided = JSON.stringify(
      approvalDecidedBlocks(record(), { kind: 'denied', by: 'U0CAROL', at: new Date(0), reason: 'prod' }),
    );
    expect(decided).not.toContain('approval.approve');
    expect(decided).toContain('Denied');
  });

  it('writes one concise step line with result and duration', () => {
    expect(
      stepLine({ step: 'snapshotVolumes', outcome: 'succeeded', durationMs: 65_000, detail: '2 volumes' }),
    ).toBe(':white_check_mark: *snapshot volumes* succeeded in 1 min 5 s — 2 volumes');
    expect(duration(850)).toBe('850 ms');
  });

  it('lists artifacts with SHA-256 and location in the status', () => {
    const json = JSON.stringify(
      caseStatusBlocks(
        record({
          artifacts: [
            {
              kind: 'memory',
              uri: 's3://evidence/CASE/mem.lime',
              sha256: 'a'.repeat(64),
              bytes: 10,
              createdAt: '2025-01-01T10:00:00Z',
            },
          ],
        }),
        'https://slack.example/archives/C0ALERTS/p11',
      ),
    );
    expect(json).toContain('s3://evidence/CASE/mem.lime');
    expect(json).toContain('a'.repeat(64));
    expect(json).toContain('Open the case thread');
  });
});

describe('Function: mention', () => {
  it('mentions Slack users and names other requesters as text', async () => {
    const { mention } = await import('../../../bot/blocks/case-text.js');
    expect(mention('U0ALICE')).toBe('<@U0ALICE>');
    expect(mention({ userId: 'aws', name: 'tag SecurityIncidentStatus=Contain <x>' })).toBe(
      'tag SecurityIncidentStatus=Contain &lt;x&gt;',
    );
  });
});

describe('Function: caseStatusBlocks (long timelines)', () => {
  it('spreads a long timeline over several sections within Block Kit limits', () => {
    const steps = Array.from({ length: 60 }, (_, i) => ({
      step: `step-${i}`,
      outcome: 'succeeded' as const,
      at: '2025-01-01T10:00:00Z',
      durationMs: 10,
      detail: 'x'.repeat(120),
    }));
    const blocks = caseStatusBlocks(record({ steps }));
    const texts = blocks.map((b) => (b as { text?: { text?: string } }).text?.text ?? '');
    expect(texts.every((t) => t.length <= 3000)).toBe(true);
    const all = texts.join('\n');
    expect(all).toContain('step 0');
    expect(all).toContain('step 59');
  });
});

describe('Unit: stepName', () => {
  it('turns identifiers into words', () => {
    expect(stepName('isolateNetwork')).toBe('isolate network');
    expect(stepName('isolate-network')).toBe('isolate network');
  });

  it('keeps a label in words as written, hyphens and acronyms included', () => {
    expect(stepName('Snapshots re-encrypted for sharing')).toBe('snapshots re-encrypted for sharing');
    expect(stepName('SSM agent checked')).toBe('SSM agent checked');
  });
});
