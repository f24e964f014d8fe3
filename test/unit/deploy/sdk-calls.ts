import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../../deploy/bundling.js';

/**
 * The AWS calls the workflow steps make, read from their source: every `new XxxCommand(`, the SDK
 * package it is imported from, and which account's credentials send it, told by the client it goes
 * through (`workflows/aws/member.ts`): `member(…)` / `clients.…` → the member account's `IRAutomation`,
 * `forensics(…)` → the forensics account's snapshot receiver, `examiner(…)` (in the worker's steps `ex.…` and
 * `clientsOf(…)`, workflows/steps/examine-worker.ts) → its worker launcher, `own()` / `sts()` → the steps role itself.
 * A call whose client cannot be told fails the scan, so a new pattern is looked at, never guessed.
 */

export type Account = 'member' | 'forensics' | 'examiner' | 'security';

export interface SdkCall {
  file: string;
  command: string;
  /** IAM action the call needs, e.g. `ec2:CreateSnapshots`. */
  action: string;
  accounts: Account[];
  /** The call tags what it creates (`TagSpecifications`), which IAM authorizes as `ec2:CreateTags`. */
  tagsOnCreate: boolean;
}

/** IAM service prefix of each SDK client package. */
const SERVICE: Record<string, string> = {
  'client-ec2': 'ec2',
  'client-ssm': 'ssm',
  'client-iam': 'iam',
  'client-auto-scaling': 'autoscaling',
  'client-elastic-load-balancing': 'elasticloadbalancing',
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-s3': 's3',
  'client-sts': 'sts',
  'client-kms': 'kms',
  'client-sfn': 'states',
  'client-securityhub': 'securityhub',
  'client-guardduty': 'guardduty',
  'client-secrets-manager': 'secretsmanager',
  'client-ebs': 'ebs',
  'client-cloudtrail': 'cloudtrail',
};

/** Commands whose IAM action is not their name. */
const ACTION_OF: Record<string, string> = {
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:ListObjectsV2': 's3:ListBucket',
  // PutObject authorizes the multipart calls too
  's3:CreateMultipartUpload': 's3:PutObject',
  's3:UploadPart': 's3:PutObject',
  's3:CompleteMultipartUpload': 's3:PutObject',
};

export const STEP_SOURCES = [
  ...readdirSync(join(REPO_ROOT, 'workflows', 'steps'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(REPO_ROOT, 'workflows', 'steps', f)),
  join(REPO_ROOT, 'workflows', 'aws', 'member.ts'),
  ...readdirSync(join(REPO_ROOT, 'workflows', 'imager'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(REPO_ROOT, 'workflows', 'imager', f)),
];

/**
 * The imager is handed its clients by `workflows/steps/disk-image.ts`: `ebs` is always
 * `forensics(…).ebs()` (it reads the forensics account's copies), `s3` always `own().s3()`.
 */
const IMAGER_CLIENTS: Record<string, Account> = { ebs: 'forensics', s3: 'security' };

function accountsOf(expression: string): Account[] | undefined {
  const found = new Set<Account>();
  if (/\bown\(\)|\bsts\(\)/.test(expression)) found.add('security');
  if (/\bforensics\(/.test(expression)) found.add('forensics');
  if (/\bmember\(|\bclients\s*\./.test(expression)) found.add('member');
  if (/\bexaminer\(|\bclientsOf\(|\bex\s*\.\s*(ec2|ssm|iam)\(/.test(expression)) found.add('examiner');
  return found.size ? [...found] : undefined;
}

/** The accounts the client of the call at `at` belongs to. */
function clientAccounts(text: string, at: number, file: string, command: string): Account[] {
  // the statement up to the command: from the last `;`, `{` or `}` before it
  const before = text.slice(0, at);
  const start = Math.max(before.lastIndexOf(';'), before.lastIndexOf('{'), before.lastIndexOf('}')) + 1;
  const statement = before.slice(start);
  const direct = accountsOf(statement);
  if (direct) return direct;
  // `x.send(new …)`: the nearest declaration of x before the call says which client it is
  const name = /(\w+)\s*\.send\(\s*$/.exec(statement)?.[1];
  if (name && file.startsWith('workflows/imager/') && IMAGER_CLIENTS[name]) return [IMAGER_CLIENTS[name]!];
  if (name) {
    const declarations = [...before.matchAll(new RegExp(`(?:const|let)\\s+${name}\\s*=([^;]*);`, 'g'))];
    const declared = declarations.pop()?.[1];
    const accounts = declared ? accountsOf(declared) : undefined;
    if (accounts) return accounts;
  }
  throw new Error(`${file}: cannot tell which account ${command} is sent to: …${statement.slice(-120)}`);
}

/**
 * The IAM actions of every SDK command a set of files constructs, whatever the credentials: commands
 * imported by name (`import { X } from`, `const { X } = await import(…)`) or through a namespace
 * (`sdk.XCommand` of `import('@aws-sdk/client-…')`).
 */
export function sdkActionsOf(files: readonly string[]): Set<string> {
  const actions = new Set<string>();
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    const packages = [...text.matchAll(/['"]@aws-sdk\/(client-[\w-]+)['"]/g)].map((m) => m[1]!);
    for (const m of text.matchAll(/new\s+(?:\w+\.)?(\w+Command)\s*\(/g)) {
      // the command's package: the one whose import names it, else the file's only client package
      const named = [
        ...text.matchAll(new RegExp(`\\b${m[1]}\\b[^;]*?['"]@aws-sdk\\/(client-[\\w-]+)['"]`, 'g')),
      ];
      const pkg = named[0]?.[1] ?? (new Set(packages).size === 1 ? packages[0] : undefined);
      const service = pkg ? SERVICE[pkg] : undefined;
      if (!service) continue; // lib-dynamodb document commands and the like: granted by table access
      const name = `${service}:${m[1]!.replace(/Command$/, '')}`;
      actions.add(ACTION_OF[name] ?? name);
    }
  }
  return actions;
}

/** The text of a call's arguments, from just after its `(` to the matching `)`. */
function argumentsOf(text: string, from: number): string {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(from, i);
  }
  return text.slice(from);
}

/** Every SDK command the given sources send, with its IAM action and the accounts it runs in. */
export function sdkCalls(files: readonly string[] = STEP_SOURCES): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    const file = relative(REPO_ROOT, path);
    const packageOf = new Map<string, string>();
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/([\w-]+)'/g)) {
      for (const name of m[1]!.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim()))
        if (name) packageOf.set(name, m[2]!);
    }
    for (const m of text.matchAll(/new\s+(\w+Command)\s*\(/g)) {
      const command = m[1]!;
      const pkg = packageOf.get(command);
      if (!pkg) throw new Error(`${file}: ${command} is not imported from an @aws-sdk client`);
      const service = SERVICE[pkg];
      if (!service) throw new Error(`${file}: no IAM service prefix known for @aws-sdk/${pkg}`);
      const name = `${service}:${command.replace(/Command$/, '')}`;
      calls.push({
        file,
        command,
        action: ACTION_OF[name] ?? name,
        accounts: clientAccounts(text, m.index, file, command),
        tagsOnCreate: /\bTagSpecifications\b/.test(argumentsOf(text, m.index + m[0].length)),
      });
    }
  }
  return calls;
}

/**
 * What AWS authorizes underneath a call, on the caller's own policy (documented by each service):
 * passing an instance profile's role, the KMS calls EBS makes on the caller's behalf to copy an encrypted
 * snapshot under another key, SSE-KMS of an upload, and ListBucket so that a HeadObject of a missing
 * object answers 404 rather than 403.
 */
const UNDERNEATH: Record<string, string[]> = {
  'ec2:AssociateIamInstanceProfile': ['iam:PassRole'],
  'ec2:RunInstances': ['iam:PassRole'],
  'ec2:ReplaceIamInstanceProfileAssociation': ['iam:PassRole'],
  'ec2:CopySnapshot': [
    'kms:DescribeKey',
    'kms:Decrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:CreateGrant',
  ],
  // the steps write every evidence object with its Object Lock, and lock headers need retention
  's3:PutObject': ['kms:GenerateDataKey', 's3:PutObjectRetention'],
  // a read of an SSE-KMS object decrypts; of a given version, is GetObjectVersion; lock headers need retention
  's3:GetObject': ['s3:ListBucket', 'kms:Decrypt', 's3:GetObjectVersion', 's3:GetObjectRetention'],
};

/** The IAM actions the calls sent in one account need: the calls, and what AWS checks underneath them. */
export function actionsIn(account: Account, calls: SdkCall[] = sdkCalls()): Set<string> {
  const actions = new Set<string>();
  for (const call of calls.filter((c) => c.accounts.includes(account))) {
    actions.add(call.action);
    for (const a of UNDERNEATH[call.action] ?? []) actions.add(a);
    if (call.tagsOnCreate) actions.add('ec2:CreateTags');
  }
  return actions;
}

/** IAM service prefixes of the AWS work the steps do (the bot's own table, secrets and workflows apart). */
export const STEP_SERVICES = new Set([
  'ec2',
  'ssm',
  'iam',
  'autoscaling',
  'elasticloadbalancing',
  's3',
  'sts',
  'kms',
]);
