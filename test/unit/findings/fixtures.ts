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

/** A GuardDuty detail inside the generic EventBridge envelope (member account 333333333333, us-east-1). */
export function guardDutyEvent(detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const envelope = loadEvent('eventbridge', 'eventbridge-envelope-base.powertools');
  return {
    ...envelope,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: '333333333333',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  };
}

/** A "Security Hub Findings - Imported" event carrying the given ASFF findings. */
export function securityHubImported(findings: unknown[], overrides: Record<string, unknown> = {}) {
  const envelope = loadEvent('eventbridge', 'eventbridge-envelope-base.powertools');
  return {
    ...envelope,
    'detail-type': 'Security Hub Findings - Imported',
    source: 'aws.securityhub',
    account: '111111111111',
    region: 'us-east-1',
    resources: [],
    detail: { findings },
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
