import { describe, expect, it } from 'vitest';
import {
  FINDING_ACTIONS,
  findingButtonValue,
  parseFindingButtonValue,
} from '../../../bot/blocks/finding-buttons.js';
import { findingCardBlocks, findingCardText } from '../../../bot/blocks/finding-card.js';
import { stormSummaryBlocks, stormSummaryText } from '../../../bot/blocks/storm-card.js';
import { hasLeakedValue, LIMITS } from '../../../bot/blocks/common.js';
import { InvalidInputError } from '../../../bot/core/errors.js';
import { type Finding, fingerprintOf } from '../../../bot/core/finding.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { loadEvent } from '../../support/events.js';
import { fixtureNames, guardDutyEvent, securityHubImported } from '../findings/fixtures.js';

const FP = '0123456789abcdef0123456789abcdef';

const findingOf = (event: unknown): Finding => normalizeEvent(event).findings[0]!;
const actionIds = (blocks: any[]) =>
  blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements.map((e: any) => e.action_id));
const button = (blocks: any[], actionId: string) =>
  blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements)
    .find((e: any) => e.action_id === actionId);

function assertWithinLimits(blocks: any[]): void {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) {
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (b.type === 'section') {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(LIMITS.sectionFields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
    }
    if (b.type === 'actions') {
      expect(b.elements.length).toBeLessThanOrEqual(LIMITS.actionsElements);
      for (const e of b.elements) {
        expect(e.action_id.length).toBeLessThanOrEqual(LIMITS.actionId);
        if (e.value) expect(e.value.length).toBeLessThanOrEqual(LIMITS.buttonValue);
      }
    }
  }
}

describe('Function: findingCardBlocks', () => {
  it('shows an EC2 GuardDuty finding with severity header, instance fields, Analyze, Contain (confirm) and Dismiss', () => {
    // Prepare
    const finding = findingOf(
      loadEvent('guardduty', 'guardduty-finding-ec2-canary-stateless-integtest.composed'),
    );
    // Act
    const blocks = findingCardBlocks(finding, { count: 3, fingerprint: FP }) as any[];
    // Assess
    expect(blocks[0].text.text).toBe(':large_orange_circle: MEDIUM · Canary:EC2/Stateless.IntegTest');
    const text = JSON.stringify(blocks);
    for (const expected of [
      'i-05746eb48123455e0 (ssh-22-open)',
      '11.111.111.1',
      'vpc-34865123',
      'subnet-d58b7123',
      'ami-4836a123',
      '2017-04-21 00:47 UTC',
      '*Count*\\n3',
    ])
      expect(text).toContain(expected);
    expect(actionIds(blocks).slice(0, 3)).toEqual([
      FINDING_ACTIONS.analyze,
      FINDING_ACTIONS.contain,
      FINDING_ACTIONS.dismiss,
    ]);
    expect(button(blocks, 'case.analyze').style).toBe('primary');
    expect(button(blocks, 'case.contain')).toMatchObject({ style: 'danger', confirm: { style: 'danger' } });
    // Analyze changes the instance (attributes, an SSM capture): it asks too
    expect(button(blocks, 'case.analyze').confirm.text.text).toMatch(/termination protection.*SSM/);
    // The button carries the fingerprint only: the listener loads the finding (and its instance) from the table
    expect(parseFindingButtonValue(button(blocks, 'case.contain').value)).toEqual({ f: FP });
    expect(Object.keys(JSON.parse(button(blocks, 'case.contain').value))).toEqual(['f']);
    const links = blocks.find((b) => b.block_id === 'finding.links').elements.map((e: any) => e.text.text);
    expect(links).toEqual(['GuardDuty ↗', 'EC2 instance ↗']);
    expect(hasLeakedValue(blocks)).toBe(false);
  });

  it('gives a non-EC2 finding a card naming its resource, with Dismiss but no EC2 actions', () => {
    const finding = findingOf(
      loadEvent('guardduty', 'guardduty-finding-iam-recon-maliciousipcaller-custom.composed'),
    );
    const blocks = findingCardBlocks(finding) as any[];
    expect(JSON.stringify(blocks)).toContain(
      'access key GeneratedFindingAccessKeyId (GeneratedFindingUserName)',
    );
    expect(actionIds(blocks)).toContain('finding.dismiss');
    expect(actionIds(blocks)).not.toContain('case.analyze');
    expect(actionIds(blocks)).not.toContain('case.contain');
    expect(blocks.find((b) => b.block_id === 'finding.instance')).toBeUndefined();
    expect(parseFindingButtonValue(button(blocks, 'finding.dismiss').value)).toEqual({
      f: fingerprintOf(finding),
    });
  });

  it('truncates a huge description and title and escapes mrkdwn control characters', () => {
    const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
    detail.title = `T${'x'.repeat(400)}`;
    detail.description = `<script> & <@U0ALICE> ${'y'.repeat(10_000)}`;
    const blocks = findingCardBlocks(findingOf(guardDutyEvent(detail))) as any[];
    assertWithinLimits(blocks);
    const description = blocks.find((b) => b.block_id === 'finding.description').text.text;
    expect(description.startsWith('&lt;script&gt; &amp; &lt;@U0ALICE&gt;')).toBe(true);
    expect(description.endsWith('…')).toBe(true);
    expect(blocks[0].text.text.endsWith('…')).toBe(true);
  });

  it('shows a status line and hides the action buttons (keeping links) when asked', () => {
    const finding = findingOf(
      loadEvent('guardduty', 'guardduty-finding-ec2-canary-stateless-integtest.composed'),
    );
    const blocks = findingCardBlocks(finding, {
      statusLine: 'Case CASE-20240101-ABCD: containing',
      buttonsEnabled: false,
    }) as any[];
    expect(actionIds(blocks).every((id: string) => id.startsWith('finding.link.'))).toBe(true);
    expect(blocks.find((b) => b.block_id === 'finding.status').elements[0].text).toBe(
      'Case CASE-20240101-ABCD: containing',
    );
  });

  it('refuses a button value that is not a fingerprint (an edited payload names no instance of its own)', () => {
    expect(() => parseFindingButtonValue(JSON.stringify({ f: FP, i: 'i-0123456789abcdef0' }))).not.toThrow();
    expect(parseFindingButtonValue(JSON.stringify({ f: FP, i: 'i-0123456789abcdef0' }))).toEqual({ f: FP });
    expect(() => parseFindingButtonValue(JSON.stringify({ f: "x' OR 1=1" }))).toThrow(/fingerprint/);
    expect(() => parseFindingButtonValue('{')).toThrow(/not JSON/);
  });

  it('hostile text stays text: fallback escaped, emoji header within 150 units, links only to AWS consoles', () => {
    const asff = loadEvent('securityhub', 'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs');
    asff.Title = `<!channel> 🔥 <https://evil.example|Open AWS console> <@U0CAROL> ${'🔥'.repeat(80)}`;
    asff.SourceUrl = 'https://evil.example/console.aws.amazon.com/';
    const finding = findingOf(securityHubImported([asff]));
    const text = findingCardText(finding);
    expect(text).not.toMatch(/<[!@h]/);
    expect(text).toContain('&lt;!channel&gt;');
    const blocks = findingCardBlocks(finding) as any[];
    assertWithinLimits(blocks);
    const urls = blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements)
      .map((e: any) => e.url)
      .filter(Boolean);
    for (const url of urls) expect(new URL(url).hostname).toMatch(/(^|\.)console\.aws\.amazon\.com$/);
    expect(urls.some((u: string) => u.includes('evil'))).toBe(false);
    // a real console SourceUrl is kept
    asff.SourceUrl = 'https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1';
    const kept = (findingCardBlocks(findingOf(securityHubImported([asff]))) as any[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements)
      .map((e: any) => e.url);
    expect(kept).toContain(asff.SourceUrl);
  });

  it('never shows undefined, NaN or [object Object] when optional fields are missing or odd', () => {
    const asff = loadEvent(
      'securityhub',
      'securityhub-asff-finding-inspector-classic-network-reachability.awsdocs',
    );
    delete asff.Title;
    delete asff.Description;
    delete asff.Severity;
    delete asff.CreatedAt;
    delete asff.UpdatedAt;
    asff.Resources[0].Tags = { Name: '' };
    asff.Resources[0].Details = {};
    const blocks = findingCardBlocks(findingOf(securityHubImported([asff])), { count: Number.NaN }) as any[];
    expect(hasLeakedValue(blocks)).toBe(false);
    assertWithinLimits(blocks);
  });

  const all = [
    ...fixtureNames('guardduty').map((n) => ['guardduty', n] as const),
    ...fixtureNames('securityhub').map((n) => ['securityhub', n] as const),
  ];
  it.each(all)(
    'builds a card within Block Kit limits and without leaked values for %s/%s',
    (source, name) => {
      const raw = loadEvent(source, name);
      const event =
        'detail-type' in raw
          ? raw
          : raw.SchemaVersion
            ? securityHubImported([raw])
            : guardDutyEvent(raw.detail ?? raw);
      const out = normalizeEvent(event);
      for (const finding of [...out.findings, ...out.requests.map((r) => r.finding)]) {
        const blocks = findingCardBlocks(finding, { fingerprint: 'a'.repeat(64) }) as any[];
        assertWithinLimits(blocks);
        expect(hasLeakedValue(blocks)).toBe(false);
        expect(findingButtonValue(finding).length).toBeLessThan(600);
      }
    },
  );
});

describe('Function: parseFindingButtonValue', () => {
  it('rejects a tampered value naming the failing field', () => {
    const bad = JSON.stringify({ f: '../../etc' });
    expect(() => parseFindingButtonValue(bad)).toThrow(InvalidInputError);
    try {
      parseFindingButtonValue(bad);
    } catch (error) {
      expect((error as InvalidInputError).path).toBe('value.f');
    }
    expect(() => parseFindingButtonValue('not json')).toThrow('not JSON');
    expect(() => parseFindingButtonValue(undefined)).toThrow(InvalidInputError);
  });
});

describe('Function: stormSummaryBlocks', () => {
  it('says how many more findings of which type on how many instances', () => {
    const summary = {
      type: 'Recon:EC2/PortProbeUnprotectedPort',
      findings: 37,
      events: 50,
      resources: 12,
      allInstances: true,
      highest: 'HIGH' as const,
    };
    expect(stormSummaryText(summary)).toBe(
      '37 more findings of type Recon:EC2/PortProbeUnprotectedPort on 12 instances',
    );
    const blocks = stormSummaryBlocks(summary) as any[];
    expect(blocks[0].text.text).toContain('37 more findings');
    expect(hasLeakedValue(blocks)).toBe(false);
  });
});
