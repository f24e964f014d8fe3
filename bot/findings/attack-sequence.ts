import { z } from 'zod';
import type { AttackSequence, SequenceResource, SequenceResourceKind } from '../core/attack-sequence.js';
import { ACCOUNT_ID_RE, INSTANCE_ID_RE, REGION_RE } from '../core/ids.js';
import type { GuardDutyDetail } from './events.js';

/**
 * GuardDuty Extended Threat Detection, at the edge: an `AttackSequence:*` finding carries its correlated
 * signals, resources, actors and endpoints in `service.detection.sequence` (GuardDuty API Reference:
 * Detection, Sequence, Signal, ResourceV2, Actor, NetworkEndpoint, Indicator); a finding that is one of
 * a sequence's signals carries `associatedAttackSequenceArn`. Loose objects: GuardDuty adds fields.
 * Caps keep a card's item well under DynamoDB's 400 KB (the API allows 400 resources, 100 signals).
 */

const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
const text = (max: number) => z.string().transform((s) => s.slice(0, max));

const ResourceV2 = z.looseObject({
  uid: z.string().min(1),
  resourceType: z.string(),
  name: opt(text(256)),
  accountId: opt(z.string()),
  region: opt(z.string()),
});

const SequenceRaw = z.looseObject({
  uid: z.string().min(1),
  description: opt(text(4096)),
  signals: opt(
    z.array(z.looseObject({ uid: opt(z.string()), type: opt(z.string()), name: opt(text(256)) })).max(100),
  ),
  resources: opt(z.array(ResourceV2).max(400)),
  actors: opt(
    z
      .array(
        z.looseObject({
          id: z.string(),
          user: opt(z.looseObject({ name: opt(text(256)), uid: opt(text(256)), type: opt(z.string()) })),
          session: opt(z.looseObject({ issuer: opt(text(2048)) })),
        }),
      )
      .max(400),
  ),
  endpoints: opt(
    z
      .array(
        z.looseObject({
          id: z.string(),
          ip: opt(z.string()),
          domain: opt(text(256)),
          port: opt(z.number()),
        }),
      )
      .max(400),
  ),
  sequenceIndicators: opt(
    z
      .array(z.looseObject({ key: z.string(), title: opt(text(256)), values: opt(z.array(text(256))) }))
      .max(100),
  ),
});

const SequenceDetail = z.looseObject({
  associatedAttackSequenceArn: opt(z.string()),
  service: opt(z.looseObject({ detection: opt(z.looseObject({ sequence: opt(z.unknown()) })) })),
});

const KINDS: Record<string, SequenceResourceKind> = {
  EC2_INSTANCE: 'ec2-instance',
  ACCESS_KEY: 'iam-access-key',
  IAM_INSTANCE_PROFILE: 'iam-instance-profile',
  S3_BUCKET: 's3-bucket',
};

/** Whether a finding type is an attack sequence (`AttackSequence:EC2/CompromisedInstanceGroup`, …). */
export const isAttackSequenceType = (type: string): boolean => type.startsWith('AttackSequence:');

/** The constituent's link to its sequence, when it has one. */
export function associatedSequenceArn(detail: GuardDutyDetail): string | undefined {
  const parsed = SequenceDetail.safeParse(detail);
  const arn = parsed.success ? parsed.data.associatedAttackSequenceArn : undefined;
  return arn && /^arn:aws[a-z-]*:guardduty:/.test(arn) ? arn : undefined;
}

/**
 * The sequence of an `AttackSequence:*` finding. A sequence finding without `service.detection.sequence`
 * (the real IAM sample has none) or with one that does not parse still is a sequence: empty lists, and
 * the card says GuardDuty named no resources. The finding's account and region stand for resources
 * that do not name theirs.
 */
export function normalizeSequence(
  detail: GuardDutyDetail,
  scope: { account: string; region: string },
): AttackSequence {
  const raw = SequenceDetail.safeParse(detail);
  const parsed = SequenceRaw.safeParse(raw.success ? raw.data.service?.detection?.sequence : undefined);
  if (!parsed.success)
    return {
      uid: detail.id,
      description: '',
      resources: [],
      signalCount: 0,
      signalNames: [],
      findingArns: [],
      actors: [],
      endpoints: [],
      indicators: [],
    };
  const s = parsed.data;
  const resources: SequenceResource[] = (s.resources ?? []).map((r) => resourceOf(r, scope));
  // Roles appear as the actors' principals (an assumed role's session), not as ResourceV2 entries.
  for (const actor of s.actors ?? []) {
    const role = roleOf(actor);
    if (role && !resources.some((r) => r.kind === 'iam-role' && r.id === role.id)) resources.push(role);
  }
  const signals = s.signals ?? [];
  return {
    uid: s.uid,
    description: s.description ?? '',
    resources,
    signalCount: signals.length,
    signalNames: signals.slice(0, 20).map((g) => g.name ?? g.type ?? 'signal'),
    findingArns: signals
      .filter((g) => g.type === 'FINDING' && g.uid && /^arn:aws[a-z-]*:guardduty:/.test(g.uid))
      .map((g) => g.uid!),
    actors: (s.actors ?? []).slice(0, 50).map((a) => ({
      id: a.id,
      label: [a.user?.type, a.user?.name].filter(Boolean).join(' ') || a.id,
    })),
    endpoints: (s.endpoints ?? []).slice(0, 50).map((e) => ({
      id: e.id,
      label: [e.domain, e.ip && (e.port ? `${e.ip}:${e.port}` : e.ip)].filter(Boolean).join(' ') || e.id,
    })),
    indicators: (s.sequenceIndicators ?? []).slice(0, 20).map((i) => ({
      key: i.key,
      ...(i.title ? { title: i.title } : {}),
      values: (i.values ?? []).slice(0, 20),
    })),
  };
}

function resourceOf(r: z.infer<typeof ResourceV2>, scope: { account: string; region: string }) {
  const account = r.accountId && ACCOUNT_ID_RE.test(r.accountId) ? r.accountId : scope.account;
  const region = r.region && REGION_RE.test(r.region) ? r.region : scope.region;
  const known = KINDS[r.resourceType] ?? 'other';
  // An instance without a valid id cannot be contained: it is listed, never acted on.
  const kind = known === 'ec2-instance' && !INSTANCE_ID_RE.test(r.uid) ? 'other' : known;
  return {
    kind,
    id: r.uid.slice(0, 2048),
    type: r.resourceType.slice(0, 64),
    ...(r.name && r.name !== r.uid ? { name: r.name } : {}),
    account,
    region,
  } satisfies SequenceResource;
}

function roleOf(actor: {
  user?: { name?: string; uid?: string; type?: string };
  session?: { issuer?: string };
}): SequenceResource | undefined {
  if (actor.user?.type !== 'AssumedRole' && actor.user?.type !== 'Role') return undefined;
  const id = actor.session?.issuer ?? actor.user.name;
  if (!id) return undefined;
  return { kind: 'iam-role', id, type: 'actor', ...(actor.user.name ? { name: actor.user.name } : {}) };
}
