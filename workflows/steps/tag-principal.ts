import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { CaseRecord, TriggeredBy } from '../../bot/core/case-model.js';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import type { MemberClients } from '../aws/member.js';
import { STATUS_TAG } from './instance.js';

/** How far before the case opened a tagging may be (the tag event reaches the bot within seconds). */
const LOOK_BACK_MS = 60 * 60_000;
/** Pages of LookupEvents read at most (50 events each; the instance's own history is short). */
const MAX_PAGES = 4;

interface TagRecord {
  userIdentity?: { arn?: string; type?: string };
  eventTime?: string;
  requestParameters?: { tagSet?: { items?: { key?: string; value?: string }[] } };
}

/**
 * Who put `SecurityIncidentStatus` on the instance (the tag event names nobody): the newest CloudTrail
 * CreateTags of that tag on it, with an Analyze or Contain value, at or before the case opened, by anyone
 * but the bot's own IR role. CloudTrail shows events minutes after the call, so at the end of a short
 * case it may not be there yet: then the record says so, and where to look. Never throws.
 */
export async function tagPrincipal(
  clients: MemberClients,
  record: Pick<CaseRecord, 'createdAt' | 'target'>,
  irRoleName: string,
): Promise<TriggeredBy> {
  const lookedUpAt = new Date().toISOString();
  const opened = new Date(record.createdAt).getTime();
  const where = `CloudTrail CreateTags on ${record.target.instanceId} in ${record.target.account}/${record.target.region}`;
  try {
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await clients.cloudTrail().send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: record.target.instanceId }],
          StartTime: new Date(opened - LOOK_BACK_MS),
          EndTime: new Date(opened + 60_000),
          MaxResults: 50,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const event of out.Events ?? []) {
        if (event.EventName !== 'CreateTags' || !event.CloudTrailEvent) continue;
        const trail = JSON.parse(event.CloudTrailEvent) as TagRecord;
        const tag = trail.requestParameters?.tagSet?.items?.find((t) => t.key === STATUS_TAG);
        if (!tag || !/^(Analyze|Contain)$/.test(tag.value ?? '')) continue;
        const arn = trail.userIdentity?.arn;
        if (!arn || arn.includes(`:assumed-role/${irRoleName}/`)) continue;
        return {
          arn,
          eventId: event.EventId,
          at: event.EventTime ? new Date(event.EventTime).toISOString() : trail.eventTime,
          lookedUpAt,
        };
      }
      token = out.NextToken;
      if (!token) break;
    }
    return { lookedUpAt, note: `not in CloudTrail yet (it shows events minutes after the call): ${where}` };
  } catch (error) {
    logger.warn('CloudTrail lookup of the tag principal failed', { error: describeError(error) });
    const name = error instanceof Error ? error.name : 'Error';
    return { lookedUpAt, note: `CloudTrail could not be read (${name}): ${where}` };
  }
}
