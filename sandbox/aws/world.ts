/**
 * The state of the simulated AWS organization: plain records, grouped the way AWS scopes them (IAM and S3
 * per account and global, everything else per account and region). Handlers read and change these
 * records; `state()` turns them into JSON. Ids come from one counter so a run is reproducible.
 */
import { createHash } from 'node:crypto';
import type { IpPermission, Tag } from '@aws-sdk/client-ec2';
import type { BucketPolicy } from './services/s3-policy.js';
import type { VolumeContent } from './volume-content.js';

export type Tags = Record<string, string>;

/** One atomic security-group rule (AWS stores bundled IpPermissions; one peer per rule is easier to match). */
export interface Rule {
  ruleId: string;
  protocol: string; // 'tcp' | 'udp' | 'icmp' | '-1'
  fromPort?: number;
  toPort?: number;
  cidr?: string;
  cidrV6?: string;
  groupId?: string;
  prefixListId?: string;
  description?: string;
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: Tags;
  ingress: Rule[];
  egress: Rule[];
}

export interface Vpc {
  vpcId: string;
  cidr: string;
  isDefault: boolean;
  tags: Tags;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
}

export interface VpcEndpoint {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  type: 'Interface' | 'Gateway';
  subnetIds: string[];
  groupIds: string[];
  /** Private IPs of the interface endpoint's network interfaces. */
  privateIps: string[];
  /** Gateway endpoints: the AWS-managed prefix list of the service. */
  prefixListId?: string;
}

/**
 * Connections through an ENI. `tracked` connections survive a security-group change; connections that
 * were untracked (the ENI sat in an allow-all group) are cut by the next restrictive group.
 */
export interface Connections {
  alive: boolean;
  tracked: boolean;
}

export interface Eni {
  eniId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  privateIp: string;
  macAddress: string;
  groupIds: string[];
  instanceId?: string;
  attachmentId?: string;
  deviceIndex?: number;
  /** Public IP that is not an Elastic IP (auto-assigned at launch). */
  autoPublicIp?: string;
  /** What kind of interface: an instance's or a VPC endpoint's. */
  interfaceType: 'interface' | 'vpc_endpoint';
  connections: Connections;
  tags: Tags;
}

export interface Address {
  allocationId: string;
  publicIp: string;
  associationId?: string;
  instanceId?: string;
  eniId?: string;
  privateIp?: string;
  tags: Tags;
}

export interface BlockDevice {
  deviceName: string;
  volumeId: string;
  deleteOnTermination: boolean;
}

export interface Volume {
  volumeId: string;
  sizeGiB: number;
  availabilityZone: string;
  encrypted: boolean;
  kmsKeyId?: string; // key ARN
  state: 'in-use' | 'available' | 'deleted';
  instanceId?: string;
  deviceName?: string;
  tags: Tags;
  /** The volume's blocks (absent: a volume never written, all zeros). */
  content?: VolumeContent;
}

export interface ProfileAssociation {
  associationId: string;
  instanceId: string;
  profileArn: string;
  profileId: string;
  state: 'associated' | 'disassociated';
}

export interface Instance {
  instanceId: string;
  imageId: string;
  instanceType: string;
  launchTime: Date;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  eniIds: string[];
  tags: Tags;
  disableApiTermination: boolean;
  shutdownBehavior: 'stop' | 'terminate';
  rootDeviceName: string;
  blockDevices: BlockDevice[];
  /** Simulated RAM: the size of the memory image the capture document produces. */
  memoryBytes: number;
  kernelRelease: string;
  /** Registered with SSM (agent installed and an instance profile allowing it). */
  ssmManaged: boolean;
  /** CPU architecture as EC2 names it (default `x86_64`); the memory capture needs the matching AVML. */
  architecture?: 'x86_64' | 'arm64';
}

export interface Snapshot {
  snapshotId: string;
  ownerId: string;
  region: string;
  volumeId: string;
  volumeSize: number;
  state: 'pending' | 'completed' | 'error';
  progress: number;
  /** DescribeSnapshots polls left before a pending snapshot settles. */
  pollsLeft: number;
  /** Set when a fault says this snapshot fails. */
  failing: boolean;
  encrypted: boolean;
  kmsKeyId?: string;
  description: string;
  startTime: Date;
  tags: Tags;
  sharedWith: string[];
  /** `snap-…` in `account/region` this one was copied from. */
  copiedFrom?: { snapshotId: string; account: string; region: string };
  instanceId?: string;
  deleted: boolean;
  /** The blocks captured (the volume's at creation, the source's for a copy). */
  content?: VolumeContent;
  /** EBS Snapshot Lock (LockSnapshot): no deletion until `lockedUntil`. */
  lock?: { mode: 'compliance' | 'governance'; lockedUntil: Date; createdOn: Date };
}

export interface KmsKey {
  keyId: string;
  arn: string;
  account: string;
  region: string;
  aliases: string[];
  manager: 'AWS' | 'CUSTOMER';
  description: string;
  /** Other accounts the key policy lets use the key. */
  allowedAccounts: string[];
}

export interface AutoScalingGroup {
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instances: { instanceId: string; lifecycleState: string; availabilityZone: string }[];
  targetGroupArns: string[];
  loadBalancerNames: string[];
}

export interface TargetGroup {
  arn: string;
  name: string;
  vpcId: string;
  port: number;
  protocol: string;
  targets: { id: string; port: number }[];
  loadBalancerArns: string[];
}

export interface ClassicLoadBalancer {
  name: string;
  dnsName: string;
  vpcId: string;
  subnetIds: string[];
  instanceIds: string[];
}

export interface CommandInvocation {
  commandId: string;
  instanceId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  requestedAt: Date;
  status: 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';
  polls: number;
  stdout: string;
  stderr: string;
  responseCode: number;
  /** Credentials the capture document uploads with (never part of `state()`). */
  uploadAccessKeyId?: string;
}

export interface SecurityHubUpdate {
  findingId: string;
  productArn: string;
  workflowStatus?: string;
  note?: { text: string; updatedBy: string };
  severityLabel?: string;
  /** BatchUpdateFindingsV2 (the new Security Hub): OCSF status_id / severity_id given, and which API. */
  statusId?: number;
  severityId?: number;
  api?: 'BatchUpdateFindings' | 'BatchUpdateFindingsV2';
  at: string;
  by: string;
}

/** A finding Security Hub holds (sandbox/aws/services/securityhub.ts). */
export interface HeldSecurityHubFinding {
  format: 'asff' | 'ocsf';
  /** The finding's JSON as the last event carried it, with the updates applied since. */
  finding: Record<string, unknown>;
  /** The event that imported it: its account, region and resources are those of an echo. */
  envelope: { account: string; region: string; resources: unknown[] };
}

/** A GuardDuty finding of this account and region, as its detector holds it. */
export interface GuardDutyFinding {
  id: string;
  arn: string;
  type: string;
  severity: number;
  archived: boolean;
  /** Who archived it (an ArchiveFindings caller), and when. */
  archivedBy?: string;
  archivedAt?: string;
}

/** Everything that lives in one account and region. */
export interface RegionState {
  account: string;
  region: string;
  vpcs: Map<string, Vpc>;
  subnets: Map<string, Subnet>;
  securityGroups: Map<string, SecurityGroup>;
  endpoints: Map<string, VpcEndpoint>;
  enis: Map<string, Eni>;
  addresses: Map<string, Address>;
  instances: Map<string, Instance>;
  volumes: Map<string, Volume>;
  snapshots: Map<string, Snapshot>;
  associations: Map<string, ProfileAssociation>;
  kmsKeys: Map<string, KmsKey>;
  autoScalingGroups: Map<string, AutoScalingGroup>;
  targetGroups: Map<string, TargetGroup>;
  loadBalancers: Map<string, ClassicLoadBalancer>;
  invocations: Map<string, CommandInvocation>; // key `${commandId}/${instanceId}`
  findingUpdates: SecurityHubUpdate[];
  /**
   * The findings Security Hub holds in this account and region, as it imported them (ASFF of CSPM, OCSF of
   * the new Security Hub), with the envelope of their event: what an update changes and emits again.
   */
  securityHubFindings: Map<string, HeldSecurityHubFinding>;
  /** GuardDuty's findings in this account and region (its detector: guardDutyDetectorId). */
  guardDutyFindings: Map<string, GuardDutyFinding>;
  /** CloudTrail's event history of this account and region (management events the twin records). */
  trail: TrailEvent[];
}

/** One CloudTrail management event, as LookupEvents returns it once delivered. */
export interface TrailEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  eventTime: Date;
  /** When LookupEvents first shows it (CloudTrail delivers events minutes after the call). */
  visibleAt: number;
  username: string;
  accessKeyId?: string;
  resources: { type: string; name: string }[];
  /** The record's JSON (`CloudTrailEvent`): userIdentity, requestParameters, … */
  record: Record<string, unknown>;
}

export interface Role {
  name: string;
  arn: string;
  roleId: string;
  createdAt: Date;
  /** Who may assume it: caller accounts, and the ExternalId they must give (when set). */
  trust: { accounts: string[]; externalId?: string };
  /** Actions (with `*` wildcards) and S3 resources its identity policy allows; used for S3 and STS checks. */
  allows: { actions: string[]; resources: string[] };
  inlinePolicies: Record<string, string>;
}

export interface InstanceProfile {
  name: string;
  arn: string;
  profileId: string;
  roleNames: string[];
  createdAt: Date;
}

export interface S3ObjectVersion {
  versionId: string;
  body: Buffer;
  sha256: string;
  etag: string;
  metadata: Record<string, string>;
  contentType?: string;
  lastModified: Date;
  lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  retainUntil?: Date;
  deleteMarker: boolean;
  uploadedBy: string;
  /** SSE-KMS key the version is encrypted under (the bucket's default when the request named none). */
  kmsKeyArn?: string;
}

/** A multipart upload in progress: nothing is visible under its key until it completes. */
export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiatedBy: string;
  initiated: Date;
  parts: Map<number, Buffer>;
  metadata: Record<string, string>;
  contentType?: string;
  lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  retainUntil?: Date;
  kmsKeyArn?: string;
}

export interface Bucket {
  name: string;
  owner: string;
  region: string;
  objectLock: boolean;
  versioning: boolean;
  /** Accounts the bucket policy lets read and write (besides the owner); used only without `policy`. */
  allowedAccounts: string[];
  objects: Map<string, S3ObjectVersion[]>;
  /** The bucket policy S3 evaluates (`services/s3-policy.ts`); replaces `allowedAccounts` when set. */
  policy?: BucketPolicy;
  /** Default encryption key (SSE-KMS). */
  kmsKeyArn?: string;
  /** Object Lock default retention, applied to a version put without its own. */
  defaultRetention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
  uploads?: Map<string, MultipartUpload>;
}

export interface AccountState {
  id: string;
  roles: Map<string, Role>;
  instanceProfiles: Map<string, InstanceProfile>;
  regions: Map<string, RegionState>;
}

/** Issued STS session: what an access key id stands for. */
export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  account: string;
  roleName: string;
  sessionName: string;
  policy?: string;
  expiresAt: number;
  issuedAt: number;
}

export function newRegionState(account: string, region: string): RegionState {
  return {
    account,
    region,
    vpcs: new Map(),
    subnets: new Map(),
    securityGroups: new Map(),
    endpoints: new Map(),
    enis: new Map(),
    addresses: new Map(),
    instances: new Map(),
    volumes: new Map(),
    snapshots: new Map(),
    associations: new Map(),
    kmsKeys: new Map(),
    autoScalingGroups: new Map(),
    targetGroups: new Map(),
    loadBalancers: new Map(),
    invocations: new Map(),
    findingUpdates: [],
    securityHubFindings: new Map(),
    trail: [],
    guardDutyFindings: new Map(),
  };
}

/** The whole organization: accounts, global S3 namespace, issued sessions, and the id counter. */
export class World {
  readonly accounts = new Map<string, AccountState>();
  readonly buckets = new Map<string, Bucket>();
  readonly sessions = new Map<string, Session>();
  /** Events services put on the security account's bus while nobody listens (see `emitEvent`). */
  readonly pendingEvents: Record<string, unknown>[] = [];
  private eventListener?: (event: Record<string, unknown>) => void;
  private counter = 0;

  /**
   * An event a service emits (Security Hub's event for an updated finding). AWS delivers it some time after
   * the call that caused it: the listener gets it once the call has returned, never inside it. Without a
   * listener it waits in `pendingEvents` for a test to take it.
   */
  emitEvent(event: Record<string, unknown>): void {
    const listener = this.eventListener;
    if (listener) setImmediate(() => listener(event));
    else this.pendingEvents.push(event);
  }

  /** Who receives emitted events from now on (the sandbox's EventBridge); undefined stops it. */
  listenForEvents(listener: ((event: Record<string, unknown>) => void) | undefined): void {
    this.eventListener = listener;
  }

  account(id: string): AccountState {
    let account = this.accounts.get(id);
    if (!account) {
      account = { id, roles: new Map(), instanceProfiles: new Map(), regions: new Map() };
      this.accounts.set(id, account);
    }
    return account;
  }

  region(accountId: string, region: string): RegionState {
    const account = this.account(accountId);
    let state = account.regions.get(region);
    if (!state) {
      state = newRegionState(accountId, region);
      account.regions.set(region, state);
    }
    return state;
  }

  /** A fresh id such as `sg-0000000000000001a` (prefix + 17 hex digits, as EC2 ids). */
  id(prefix: string, hexDigits = 17): string {
    this.counter += 1;
    return `${prefix}-${this.counter.toString(16).padStart(hexDigits, '0')}`;
  }

  /** A fresh opaque token of `length` characters from `alphabet` (deterministic). */
  token(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'): string {
    this.counter += 1;
    let out = '';
    for (let block = 0; out.length < length; block += 1) {
      const digest = createHash('sha256').update(`${this.counter}:${block}`).digest();
      for (const byte of digest) out += alphabet[byte % alphabet.length];
    }
    return out.slice(0, length);
  }
}

export function tagsToList(tags: Tags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function listToTags(list: { Key?: string; Value?: string }[] | undefined): Tags {
  const tags: Tags = {};
  for (const tag of list ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

export type { IpPermission };
