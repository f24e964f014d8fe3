/**
 * What a simulated command handler receives, and the helper that types a handler with the SDK's own
 * `XCommandInput` / `XCommandOutput`: `handler<DescribeInstancesCommandInput, DescribeInstancesCommandOutput>(
 * (ctx, input) => ({ Reservations: [...] }))`. A service's handlers form a table keyed by command class name.
 */
import type { MetadataBearer } from '@smithy/types';
import type { ServiceKey } from './errors.js';
import type { Faults } from './faults.js';
import type { SimClock } from './clock.js';
import type { RegionState, Session, World } from './world.js';

/** The caller as the simulation sees it. */
export interface Caller {
  account: string;
  region: string;
  /** False for a request over plain HTTP (the S3 endpoint's `aws:SecureTransport`); SDK calls are TLS. */
  secureTransport?: boolean;
  /** Role name of an assumed session; undefined for the security account's own credentials. */
  roleName?: string;
  session?: Session;
  arn: string;
}

export interface CallContext {
  world: World;
  caller: Caller;
  service: ServiceKey;
  command: string;
  clock: SimClock;
  faults: Faults;
  /** The caller's account and region. */
  here: RegionState;
  /** Settings of the organization (ExternalId, account ids, bucket). */
  org: OrgSettings;
  /** Throws the service's error: `ctx.fail('InvalidInstanceID.NotFound', '…')`. */
  fail(code: string, message: string, status?: number): never;
  now(): Date;
}

export interface OrgSettings {
  externalId: string;
  securityAccount: string;
  forensicsAccount: string;
  evidenceBucket: string;
  /** Evidence buckets of other regions (`EVIDENCE_BUCKETS`), region -> bucket name. */
  regionalEvidenceBuckets: Record<string, string>;
  irRoleName: string;
  evidenceUploadRoleName: string;
  /** How long CloudTrail takes to show an event in LookupEvents (AWS: typically minutes). */
  cloudTrailDelayMs: number;
}

export type Result<O> = Omit<O, '$metadata'>;

export type Handler = (
  ctx: CallContext,
  // biome-ignore lint/suspicious/noExplicitAny: the table holds handlers of many input types; `handler()` types each.
  input: any,
) => Promise<Result<MetadataBearer>> | Result<MetadataBearer>;

/** Types one handler by the SDK's input and output of its command. */
export function handler<I, O extends MetadataBearer>(
  fn: (ctx: CallContext, input: I) => Promise<Result<O>> | Result<O>,
): Handler {
  return fn as Handler;
}

export type HandlerTable = Record<string, Handler>;
