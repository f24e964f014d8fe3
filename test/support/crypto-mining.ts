import { randomUUID } from 'node:crypto';
import { loadEvent } from './events.js';

/**
 * The real GuardDuty crypto-mining finding (`CryptoCurrency:EC2/BitcoinTool.B!DNS`, severity 8, redacted
 * sample in test/events/guardduty/) with what the redaction took filled in: the account, the times, and
 * a fresh finding and event id each call so no two tests share a card. Instance, account, region and
 * tags as a test needs them.
 */
export function cryptoMiningEvent(
  opts: { instanceId?: string; account?: string; region?: string; tags?: Record<string, string> } = {},
) {
  const event = structuredClone(
    loadEvent('guardduty', 'guardduty-finding-ec2-cryptocurrency-bitcointool-b-dns.real-redacted'),
  );
  const account = opts.account ?? '333333333333';
  const region = opts.region ?? 'us-east-1';
  const now = new Date().toISOString();
  const findingId = randomUUID().replaceAll('-', '');
  const instanceId = opts.instanceId ?? event.detail.resource.instanceDetails.instanceId;
  Object.assign(event, { id: randomUUID(), account, region, time: now });
  Object.assign(event.detail, {
    id: findingId,
    accountId: account,
    region,
    arn: `arn:aws:guardduty:${region}:${account}:detector/e2c1a19ae1a4e786e58e2a5abed1340a/finding/${findingId}`,
    createdAt: now,
    updatedAt: now,
    title: `Bitcoin-related domain name queried by EC2 instance ${instanceId}.`,
  });
  Object.assign(event.detail.service, { eventFirstSeen: now, eventLastSeen: now });
  Object.assign(event.detail.resource.instanceDetails, {
    instanceId,
    launchTime: '2026-01-05T10:00:00.000Z',
    tags: Object.entries(opts.tags ?? {}).map(([key, value]) => ({ key, value })),
  });
  return event;
}
