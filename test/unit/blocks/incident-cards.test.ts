import { describe, expect, it } from 'vitest';
import {
  incidentApprovalBlocks,
  incidentCardBlocks,
  incidentCardText,
  incidentDecidedBlocks,
} from '../../../bot/blocks/incident-card.js';
import { hasLeakedValue, LIMITS } from '../../../bot/blocks/common.js';
import { sequenceCardBlocks, sequenceCardText } from '../../../bot/blocks/sequence-card.js';
import type { CaseRecord } from '../../../bot/core/case-model.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import type { IncidentRecord } from '../../../bot/incidents/model.js';
import { loadEvent } from '../../support/events.js';

const HOSTILE = '<!channel> *bold* `tick` & <https://evil.example|click>';

/** Every text of the blocks is within Slack's limits, and nothing from outside is live markup. */
function assertSafe(blocks: any[]) {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) {
    if (b.text?.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
  }
  // mrkdwn is parsed by Slack (plain_text is not): nothing from outside may be live there
  const mrkdwn: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') mrkdwn.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  expect(mrkdwn.length).toBeGreaterThan(0);
  for (const text of mrkdwn) {
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
  }
  expect(hasLeakedValue(blocks)).toBe(false);
}

function sequenceFinding(instances: number, name = 'web') {
  const event = loadEvent(
    'guardduty',
    'guardduty-finding-attacksequence-ec2-compromisedinstancegroup.composed',
  );
  const sequence = event.detail.service.detection.sequence;
  const template = sequence.resources[0];
  sequence.resources = [
    ...Array.from({ length: instances }, (_, n) => ({
      ...structuredClone(template),
      uid: `i-${(0xa00000 + n).toString(16).padStart(17, '0')}`,
      name: `${name}-${n}`,
    })),
    ...sequence.resources.slice(3),
  ];
  sequence.description = `${HOSTILE} ${sequence.description}`;
  event.detail.title = `${HOSTILE} ${event.detail.title}`;
  const { findings } = normalizeEvent(event);
  return findings[0]!;
}

const incident = (members: number, over: Partial<IncidentRecord> = {}): IncidentRecord => ({
  id: 'INC-20261204-ABCD',
  status: 'awaiting-approval',
  title: `${HOSTILE} group compromise`,
  severity: { label: 'CRITICAL', score: 9 },
  findingType: 'AttackSequence:EC2/CompromisedInstanceGroup',
  findingId: 'f1',
  fingerprint: 'a'.repeat(32),
  requester: { userId: 'U0ALICE', name: 'alice' },
  members: Array.from({ length: members }, (_, n) => ({
    caseId: `CASE-20261204-${(1000 + n)
      .toString(32)
      .toUpperCase()
      .replace(/[ILOU]/g, 'X')
      .padStart(4, '0')
      .slice(-4)}`,
    target: {
      account: '333333333333',
      region: 'us-east-1',
      instanceId: `i-${(0xa00000 + n).toString(16).padStart(17, '0')}`,
    },
    name: `${HOSTILE}-${n}`,
    joined: 'new' as const,
  })),
  skipped: [],
  slack: { channel: 'C0ALERTS', cardTs: '1.1', threadTs: '1.1' },
  approvalRequestedAt: '2026-12-04T10:00:00.000Z',
  createdAt: '2026-12-04T10:00:00.000Z',
  updatedAt: '2026-12-04T10:00:00.000Z',
  ...over,
});

function records(inc: IncidentRecord): Map<string, CaseRecord> {
  return new Map(
    inc.members.map((m, n) => [
      m.caseId,
      {
        id: m.caseId,
        status: n % 3 === 0 ? 'failed' : 'contained',
        failure: `Step "isolate" failed: ${HOSTILE}`,
        severity: { label: 'CRITICAL', score: 9 },
        title: 't',
        findingIds: [],
        target: m.target,
        actions: ['contain'],
        trigger: 'slack-button',
        requester: inc.requester,
        slack: {},
        artifacts: [],
        steps: [
          { step: `${HOSTILE} step`, outcome: 'succeeded', at: '2026-12-04T10:00:01Z', durationMs: 1200 },
        ],
        createdAt: '2026-12-04T10:00:00.000Z',
        updatedAt: '2026-12-04T10:00:00.000Z',
      } as CaseRecord,
    ]),
  );
}

describe('Function: attack-sequence card', () => {
  it('lists instances, role, access key and instance profile, with Contain all N; escaped; within limits for 400 resources', () => {
    const small = sequenceFinding(3);
    const blocks = sequenceCardBlocks(small, {
      fingerprint: 'f'.repeat(32),
      constituents: { folded: 2, carded: 1 },
    });
    const json = JSON.stringify(blocks);
    expect(json).toContain('*Instances (3)*');
    expect(json).toContain('*Roles (1)*');
    expect(json).toContain('*Access keys (1)*');
    expect(json).toContain('*Instance profiles (1)*');
    expect(json).toContain('Contain all 3');
    expect(json).toContain('2 (1 carded before the sequence arrived)');
    assertSafe(blocks);
    // GuardDuty names at most 400 resources in a sequence: 397 instances and the three others
    const big = sequenceFinding(397, HOSTILE);
    const many = sequenceCardBlocks(big, { fingerprint: 'f'.repeat(32) });
    assertSafe(many);
    expect(JSON.stringify(many)).toContain('Contain all 397');
    expect(JSON.stringify(many)).toContain('and 382 more');
    expect(sequenceCardText(big)).not.toContain('<!channel>');
  });

  it('the real sequence-less sample (no service.detection.sequence) is a card that says GuardDuty named no resources, without Contain all', () => {
    const detail = loadEvent(
      'guardduty',
      'guardduty-native-attacksequence-IAM-CompromisedCredentials-body-only.panther-analysis',
    );
    const { findings, rejections } = normalizeEvent({
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      detail,
    });
    expect(rejections).toEqual([]);
    expect(findings[0]!.sequence).toMatchObject({ resources: [], signalCount: 0 });
    const json = JSON.stringify(sequenceCardBlocks(findings[0]!, {}));
    expect(json).toContain('GuardDuty named no resources');
    expect(json).not.toContain('incident.contain_all');
  });
});

describe('Function: incident cards', () => {
  it('one line per instance with its case, stage and failure, escaped; 400 instances stay within 50 blocks', () => {
    const small = incident(3);
    const blocks = incidentCardBlocks(small, records(small));
    const json = JSON.stringify(blocks);
    for (const m of small.members) expect(json).toContain(m.caseId);
    expect(json).toContain(':x: failed — Step \\"isolate\\" failed');
    assertSafe(blocks);
    const big = incident(400);
    const many = incidentCardBlocks(big, records(big));
    assertSafe(many);
    // every instance is on the card, or counted in "and N more instances"
    const shown = (JSON.stringify(many).match(/CASE-20261204-/g) ?? []).length;
    const more = Number(/and (\d+) more instances/.exec(JSON.stringify(many))?.[1] ?? 0);
    expect(shown + more).toBe(400);
    expect(incidentCardText(big)).not.toContain('<!channel>');
  });

  it('the approval card carries the incident id only, and once decided has no buttons; a deny reason stays literal', () => {
    const inc = incident(60);
    const pending = incidentApprovalBlocks(inc, {
      fourEyes: true,
      expiresAt: new Date('2026-12-04T11:00:00Z'),
    });
    assertSafe(pending);
    const buttons = pending.flatMap((b: any) => b.elements ?? []).filter((e: any) => e.type === 'button');
    expect(buttons.map((b: any) => b.value)).toEqual([inc.id, inc.id]);
    const denied = incidentDecidedBlocks(inc, {
      kind: 'denied',
      by: 'U0DAVE',
      at: new Date(),
      reason: '*Approved* <!channel>',
    });
    assertSafe(denied);
    expect(JSON.stringify(denied)).not.toContain('"button"');
    expect(JSON.stringify(denied)).toContain('`*Approved* &lt;!channel&gt;`');
  });
});
