import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createAwsClient, type HookableClient } from '../../bot/core/aws-clients.js';
import { forensicsSettings } from '../settings.js';
import { examineSettings } from '../steps/examine-settings.js';
import { WORKER_NAMES } from '../worker-names.js';
import { assumeRole, retrying, sessionName } from './member.js';

/**
 * Clients in the forensics account through `ForensicsBot-ExamineLauncher` (issue 12, item 4): what the
 * forensic worker's steps call (workflows/steps/examine-worker.ts). A role of its own, not the snapshot
 * receiver: it may create the case's worker role (under the worker boundary), start, command and terminate
 * workers, and nothing of the snapshots. Sessions carry the case id (CloudTrail says which case did what).
 */

const REFRESH_MARGIN_MS = 5 * 60_000;
const sessions = new Map<string, Promise<{ credentials: AwsCredentialIdentity; expiresAt: number }>>();
const clients = new Map<string, unknown>();

/** The launcher's ARN: `EXAMINE_ROLE_ARN`, or the fixed name in the forensics account. */
export function launcherRoleArn(): string {
  return (
    examineSettings().EXAMINE_ROLE_ARN ??
    `arn:aws:iam::${forensicsSettings().FORENSICS_ACCOUNT}:role/${WORKER_NAMES.launcherRole}`
  );
}

/** Drops cached sessions and clients (tests). */
export function resetExaminerSessions(): void {
  sessions.clear();
  clients.clear();
}

export function examiner(region: string, caseId: string) {
  const settings = forensicsSettings();
  const roleArn = launcherRoleArn();
  const credentials = async () => {
    const key = `${roleArn}/${caseId}`;
    const cached = await sessions.get(key);
    if (cached && cached.expiresAt - REFRESH_MARGIN_MS > Date.now()) return cached.credentials;
    const pending = assumeRole({
      roleArn,
      account: settings.FORENSICS_ACCOUNT,
      sessionName: sessionName(caseId, 'ForensicsBotExamine'),
      externalId: settings.IR_EXTERNAL_ID,
    });
    sessions.set(key, pending);
    // A failed attempt is not kept as the session: the next call assumes again. Its error is not swallowed
    // here; it reaches every caller awaiting this attempt.
    pending.then(undefined, () => {
      if (sessions.get(key) === pending) sessions.delete(key);
    });
    return (await pending).credentials;
  };
  const client = <C extends HookableClient & { send: unknown }>(
    Client: new (config: { region: string; credentials: typeof credentials }) => C,
    label: string,
  ): C => {
    const key = `${label}/${region}/${caseId}`;
    let made = clients.get(key) as C | undefined;
    if (!made) {
      made = retrying(createAwsClient(Client, { region, credentials }), {
        account: settings.FORENSICS_ACCOUNT,
        role: roleArn.split('/').pop() ?? roleArn,
      });
      clients.set(key, made);
    }
    return made;
  };
  return {
    ec2: () => client(EC2Client, 'ec2'),
    ssm: () => client(SSMClient, 'ssm'),
    iam: () => client(IAMClient, 'iam'),
  };
}
export type ExaminerClients = ReturnType<typeof examiner>;
