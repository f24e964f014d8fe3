/**
 * CloudTrail's event history (LookupEvents) of management events the twin records (`recordTrailEvent`,
 * today EC2's CreateTags and DeleteTags), as strict as AWS: an event shows only `cloudTrailDelayMs` after
 * the call (CloudTrail delivers within minutes, not at once); at most one lookup attribute, of the keys
 * AWS accepts; MaxResults 1–50 with a NextToken; newest first; two lookups per second per account and
 * region (ThrottlingException beyond).
 */
import type * as CT from '@aws-sdk/client-cloudtrail';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import type { RegionState, TrailEvent } from '../world.js';

const ATTRIBUTE_KEYS = new Set([
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
]);

/** Records a management event made by the caller (the twin's own services call this). */
export function recordTrailEvent(
  ctx: CallContext,
  event: {
    eventName: string;
    eventSource: string;
    resources: { type: string; name: string }[];
    requestParameters: Record<string, unknown>;
  },
): void {
  const now = ctx.now();
  const eventId = `${ctx.world.token(8, '0123456789abcdef')}-${ctx.world.token(4, '0123456789abcdef')}-4${ctx.world.token(3, '0123456789abcdef')}-8${ctx.world.token(3, '0123456789abcdef')}-${ctx.world.token(12, '0123456789abcdef')}`;
  const role = /:assumed-role\/([^/]+)\/(.+)$/.exec(ctx.caller.arn);
  const username = role?.[2] ?? ctx.caller.arn;
  ctx.here.trail.push({
    eventId,
    eventName: event.eventName,
    eventSource: event.eventSource,
    eventTime: now,
    visibleAt: now.getTime() + ctx.org.cloudTrailDelayMs,
    username,
    accessKeyId: ctx.caller.session?.accessKeyId,
    resources: event.resources,
    record: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROA${ctx.caller.account}:${username}`,
        arn: ctx.caller.arn,
        accountId: ctx.caller.account,
        ...(ctx.caller.session ? { accessKeyId: ctx.caller.session.accessKeyId } : {}),
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: `arn:aws:iam::${ctx.caller.account}:role/${role?.[1] ?? ctx.caller.roleName ?? 'unknown'}`,
            accountId: ctx.caller.account,
            userName: role?.[1] ?? ctx.caller.roleName,
          },
        },
      },
      eventTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      eventSource: event.eventSource,
      eventName: event.eventName,
      awsRegion: ctx.here.region,
      sourceIPAddress: '198.51.100.7',
      userAgent: 'forensics-bot sandbox',
      requestParameters: event.requestParameters,
      responseElements: { _return: true },
      eventID: eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ctx.caller.account,
    },
  });
}

const buckets = new WeakMap<RegionState, { tokens: number; at: number }>();

/** LookupEvents: 2 requests per second per account and region. */
function throttled(ctx: CallContext): boolean {
  const now = ctx.clock.now();
  const bucket = buckets.get(ctx.here) ?? { tokens: 2, at: now };
  bucket.tokens = Math.min(2, bucket.tokens + ((now - bucket.at) / 1000) * 2);
  bucket.at = now;
  buckets.set(ctx.here, bucket);
  if (bucket.tokens < 1) return true;
  bucket.tokens -= 1;
  return false;
}

function matches(event: TrailEvent, key: string, value: string): boolean {
  switch (key) {
    case 'EventId':
      return event.eventId === value;
    case 'EventName':
      return event.eventName === value;
    case 'ReadOnly':
      return value === 'false';
    case 'Username':
      return event.username === value;
    case 'ResourceType':
      return event.resources.some((r) => r.type === value);
    case 'ResourceName':
      return event.resources.some((r) => r.name === value);
    case 'EventSource':
      return event.eventSource === value;
    case 'AccessKeyId':
      return event.accessKeyId === value;
    default:
      return false;
  }
}

export const cloudTrailHandlers: HandlerTable = {
  LookupEventsCommand: handler<CT.LookupEventsCommandInput, CT.LookupEventsCommandOutput>((ctx, input) => {
    if (throttled(ctx)) ctx.fail('ThrottlingException', 'Rate exceeded', 400);
    const attributes = input.LookupAttributes ?? [];
    if (attributes.length > 1)
      ctx.fail('InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.');
    const [attribute] = attributes;
    if (attribute && (!ATTRIBUTE_KEYS.has(attribute.AttributeKey ?? '') || !attribute.AttributeValue))
      ctx.fail('InvalidLookupAttributesException', 'The lookup attribute is not valid.');
    const max = input.MaxResults ?? 50;
    if (max < 1 || max > 50) ctx.fail('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
    const start = input.StartTime ? new Date(input.StartTime).getTime() : 0;
    const end = input.EndTime ? new Date(input.EndTime).getTime() : Number.POSITIVE_INFINITY;
    if (start > end) ctx.fail('InvalidTimeRangeException', 'StartTime must be before EndTime.');
    const now = ctx.clock.now();
    const found = ctx.here.trail
      .filter((e) => e.visibleAt <= now)
      .filter((e) => e.eventTime.getTime() >= start && e.eventTime.getTime() <= end)
      .filter((e) => !attribute || matches(e, attribute.AttributeKey!, attribute.AttributeValue!))
      .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime());
    const from = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
    if (!Number.isInteger(from) || from < 0) ctx.fail('InvalidNextTokenException', 'Invalid NextToken.');
    const page = found.slice(from, from + max);
    return {
      Events: page.map((e) => ({
        EventId: e.eventId,
        EventName: e.eventName,
        ReadOnly: 'false',
        AccessKeyId: e.accessKeyId,
        EventTime: e.eventTime,
        EventSource: e.eventSource,
        Username: e.username,
        Resources: e.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
        CloudTrailEvent: JSON.stringify(e.record),
      })),
      ...(from + max < found.length ? { NextToken: Buffer.from(String(from + max)).toString('base64') } : {}),
    };
  }),
};
