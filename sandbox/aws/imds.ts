/**
 * The instance metadata service's credentials: what a process on a simulated instance gets from its
 * instance profile (the role of the profile associated now, a session named by the instance id, as EC2
 * names it). A real capture script under bash uses them with the real AWS CLI against the S3 endpoint
 * (`s3-endpoint.ts`), so the bucket policy sees the same principal it sees in AWS.
 */
import type { Session, World } from './world.js';

/** Six hours, as EC2 rotates instance-profile credentials well before their expiry. */
const LIFETIME_MS = 6 * 3600 * 1000;

export interface InstanceCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleName: string;
  account: string;
}

/**
 * Credentials of the instance's current profile role (or of `servedRole`, the role the metadata service
 * still serves while a profile swap propagates); throws saying why there are none.
 */
export function instanceCredentials(
  world: World,
  instanceId: string,
  now: number,
  servedRole?: string,
): InstanceCredentials {
  for (const account of world.accounts.values())
    for (const region of account.regions.values()) {
      if (!region.instances.has(instanceId)) continue;
      const association = [...region.associations.values()].find(
        (a) => a.instanceId === instanceId && a.state === 'associated',
      );
      const profileName = association?.profileArn.split('/').pop();
      const roleName =
        servedRole ?? (profileName ? account.instanceProfiles.get(profileName)?.roleNames[0] : undefined);
      if (!roleName) throw new Error(`${instanceId} has no instance profile: Unable to locate credentials`);
      const session: Session = {
        accessKeyId: `ASIA${world.token(16)}`,
        secretAccessKey: world.token(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
        sessionToken: `IQoJimds${world.token(120, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}`,
        account: account.id,
        roleName,
        sessionName: instanceId,
        issuedAt: now,
        expiresAt: now + LIFETIME_MS,
      };
      world.sessions.set(session.accessKeyId, session);
      const { accessKeyId, secretAccessKey, sessionToken } = session;
      return { accessKeyId, secretAccessKey, sessionToken, roleName, account: account.id };
    }
  throw new Error(`no instance ${instanceId} in the organization`);
}
