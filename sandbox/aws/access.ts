/**
 * Who the caller is and whether it may make a call: credentials map to an STS session (account, role,
 * session policy, expiry) or, when unknown, to the security account's own principal. An assumed session
 * is checked against its role's permissions and its session policy (explicit deny wins), as IAM would.
 */
import type { ServiceKey } from './errors.js';
import type { Caller, OrgSettings } from './handler.js';
import { evaluate, parsePolicy } from './policy.js';
import { roleAllows } from './services/forensic-worker.js';
import type { World } from './world.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/** Role the security account's own code runs as (the bot's Lambda role). */
export const SECURITY_PRINCIPAL_ROLE = 'ForensicsBotLambda';

/** The caller behind `credentials` in `region`; `{ error }` when the credentials are not valid. */
export function resolveCaller(
  world: World,
  org: OrgSettings,
  credentials: Credentials | undefined,
  region: string,
  now: number,
): Caller | { error: 'ExpiredToken' | 'SignatureDoesNotMatch' } {
  const session = credentials ? world.sessions.get(credentials.accessKeyId) : undefined;
  if (!session) {
    return {
      account: org.securityAccount,
      region,
      arn: `arn:aws:sts::${org.securityAccount}:assumed-role/${SECURITY_PRINCIPAL_ROLE}/forensics-bot`,
    };
  }
  if (credentials?.secretAccessKey !== session.secretAccessKey) return { error: 'SignatureDoesNotMatch' };
  if (session.expiresAt <= now) return { error: 'ExpiredToken' };
  return {
    account: session.account,
    region,
    roleName: session.roleName,
    session,
    arn: `arn:aws:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`,
  };
}

const IAM_PREFIX: Record<ServiceKey, string> = {
  ec2: 'ec2',
  sts: 'sts',
  ssm: 'ssm',
  s3: 's3',
  iam: 'iam',
  kms: 'kms',
  autoscaling: 'autoscaling',
  elb: 'elasticloadbalancing',
  elbv2: 'elasticloadbalancing',
  securityhub: 'securityhub',
  guardduty: 'guardduty',
  cloudtrail: 'cloudtrail',
  ebs: 'ebs',
  sqs: 'sqs',
};

const S3_ACTIONS: Record<string, string> = {
  ListObjectsV2: 'ListBucket',
  HeadObject: 'GetObject',
  // Multipart uploads are authorized as IAM names them.
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  ListParts: 'ListMultipartUploadParts',
};

/** The IAM action and resource a call is authorized as. */
export function actionOf(service: ServiceKey, command: string, input: Record<string, unknown>) {
  const name = command.replace(/Command$/, '');
  if (service === 's3') {
    const bucket = String(input.Bucket ?? '');
    const resource =
      name === 'ListObjectsV2' ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${input.Key ?? ''}`;
    return { action: `s3:${S3_ACTIONS[name] ?? name}`, resource };
  }
  // Security Hub authorizes BatchUpdateFindingsV2 as securityhub:BatchUpdateFindings (its API reference).
  if (service === 'securityhub' && name === 'BatchUpdateFindingsV2')
    return { action: 'securityhub:BatchUpdateFindings', resource: '*' };
  return { action: `${IAM_PREFIX[service]}:${name}`, resource: '*' };
}

/**
 * Whether an assumed session may do `action` on `resource`: its role must allow it, its session policy
 * (when given) must allow it, and nothing may deny it. Unassumed callers (the security account) may.
 */
export function sessionAllows(world: World, caller: Caller, action: string, resource: string): boolean {
  if (!caller.session) return true;
  if (action === 'sts:GetCallerIdentity') return true;
  const role = world.account(caller.account).roles.get(caller.session.roleName);
  if (!role || !roleAllows(world, caller.account, role, action, resource)) return false;
  for (const text of Object.values(role.inlinePolicies)) {
    const policy = parsePolicy(text);
    if (typeof policy !== 'string' && evaluate(policy, action, resource) === 'Deny') return false;
  }
  if (caller.session.policy === undefined) return true;
  const policy = parsePolicy(caller.session.policy);
  return typeof policy !== 'string' && evaluate(policy, action, resource) === 'Allow';
}
