import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadEvent } from '../../support/events.js';

/** Every fixture file of a source under test/events. */
export function fixtureNames(source: string): string[] {
  return readdirSync(join(import.meta.dirname, '..', '..', 'events', source))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/**
 * A GuardDuty detail inside the generic EventBridge envelope (member account 333333333333, us-east-1), as
 * its own event (a fresh event id: every event EventBridge sends has its own). A test that changes the
 * sample's `id` gets an ARN that ends in that id, as GuardDuty's do (the ARN is the finding's identity
 * in Security Hub and the basis of its fingerprint).
 */
export function guardDutyEvent(detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const envelope = loadEvent('eventbridge', 'eventbridge-envelope-base.powertools');
  const arn =
    typeof detail.arn === 'string' && typeof detail.id === 'string'
      ? detail.arn.replace(/\/finding\/[^/]+$/, `/finding/${detail.id}`)
      : detail.arn;
  return {
    ...envelope,
    id: randomUUID(),
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: '333333333333',
    region: 'us-east-1',
    resources: [],
    detail: arn === undefined ? detail : { ...detail, arn },
    ...overrides,
  };
}

/** The same finding as a later event (a repeat: a new event id), not a duplicate delivery of this one. */
export function repeatOf<T extends { id?: unknown }>(event: T): T {
  return { ...structuredClone(event), id: randomUUID() };
}

/** A "Security Hub Findings - Imported" event carrying the given ASFF findings. */
export function securityHubImported(findings: unknown[], overrides: Record<string, unknown> = {}) {
  const envelope = loadEvent('eventbridge', 'eventbridge-envelope-base.powertools');
  return {
    ...envelope,
    id: randomUUID(),
    'detail-type': 'Security Hub Findings - Imported',
    source: 'aws.securityhub',
    account: '111111111111',
    region: 'us-east-1',
    resources: [],
    detail: { findings },
    ...overrides,
  };
}

/**
 * A "Findings Imported V2" event of the new Security Hub carrying one OCSF finding, in the envelope the
 * full sample shows (`resources` holds the finding's metadata.uid, a hash, not an ARN).
 */
export function findingsImportedV2(finding: Record<string, any>, overrides: Record<string, unknown> = {}) {
  const envelope = loadEvent(
    'securityhub-v2',
    'securityhub-v2-findings-imported-v2-eventbridge-guardduty-iam-CloudTrailLoggingDisabled.sumologic-docs',
  );
  return {
    ...envelope,
    id: randomUUID(),
    account: finding.cloud?.account?.uid ?? envelope.account,
    region: finding.cloud?.region ?? envelope.region,
    resources: finding.metadata?.uid ? [finding.metadata.uid] : [],
    detail: { findings: [finding] },
    ...overrides,
  };
}

/** A "Tag Change on Resource" event on one instance. */
export function tagChange(
  instanceId: string,
  tags: Record<string, string>,
  changed: string[],
  account = '333333333333',
) {
  const event = loadEvent('tag', 'ec2-tag-change-on-resource.awsdocs');
  event.account = account;
  event.resources = [`arn:aws:ec2:us-east-1:${account}:instance/${instanceId}`];
  event.detail.tags = tags;
  event.detail['changed-tag-keys'] = changed;
  return event;
}
