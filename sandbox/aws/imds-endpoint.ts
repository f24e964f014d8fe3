/**
 * One simulated instance's metadata service (IMDSv2) on the wire, for real clients on the "instance": the
 * AWS CLI's credential chain (`AWS_EC2_METADATA_SERVICE_ENDPOINT`) and the capture script's check of which
 * profile it holds. As EC2's:
 * - a session token first (`PUT /latest/api/token` with a TTL header); a GET without a valid token is 401;
 * - `iam/info`, `iam/security-credentials/` and `…/<role>` answer for the profile associated with the
 *   instance **as it was `propagationMs` ago**: after a profile is replaced, EC2 keeps serving the previous
 *   profile's credentials for a while, so a process started right after the swap gets the old role;
 * - no profile: 404 (the CLI then finds no credentials).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatedOrganization } from './organization.js';

export interface ImdsEndpoint {
  url: string;
  /** Ends a pending profile swap now (as EC2 eventually does), whatever `propagationMs` says. */
  propagate(): void;
  stop(): Promise<void>;
}

export async function startImdsEndpoint(
  org: SimulatedOrganization,
  instanceId: string,
  options: { propagationMs?: number } = {},
): Promise<ImdsEndpoint> {
  const propagation = options.propagationMs ?? 0;
  const tokens = new Map<string, number>();
  let served: string | undefined = currentProfile();
  let changedAt: number | undefined;

  function currentProfile(): string | undefined {
    for (const account of org.world.accounts.values())
      for (const region of account.regions.values()) {
        if (!region.instances.has(instanceId)) continue;
        return [...region.associations.values()].find(
          (a) => a.instanceId === instanceId && a.state === 'associated',
        )?.profileArn;
      }
    return undefined;
  }

  /** The profile the metadata service hands out now (the current one once it has propagated). */
  function servedProfile(): string | undefined {
    const current = currentProfile();
    if (current === served) {
      changedAt = undefined;
      return served;
    }
    changedAt ??= Date.now();
    if (Date.now() - changedAt >= propagation) {
      served = current;
      changedAt = undefined;
    }
    return served;
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'PUT' && path === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return send(400, 'Bad Request');
      const token = randomBytes(24).toString('base64');
      tokens.set(token, Date.now() + ttl * 1000);
      return send(200, token);
    }
    const token = String(req.headers['x-aws-ec2-metadata-token'] ?? '');
    if ((tokens.get(token) ?? 0) < Date.now()) return send(401, 'Unauthorized');
    if (req.method !== 'GET') return send(405, 'Method Not Allowed');
    if (path === '/latest/meta-data/instance-id') return send(200, instanceId);
    const profileArn = servedProfile();
    const profileName = profileArn?.split('/').pop();
    const account = profileArn?.split(':')[4];
    const profile =
      profileName && account ? org.world.account(account).instanceProfiles.get(profileName) : undefined;
    const role = profile?.roleNames[0];
    if (!profile || !role) return send(404, 'Not Found');
    const updated = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (path === '/latest/meta-data/iam/info')
      return send(
        200,
        JSON.stringify({
          Code: 'Success',
          LastUpdated: updated,
          InstanceProfileArn: profile.arn,
          InstanceProfileId: profile.profileId,
        }),
      );
    if (
      path === '/latest/meta-data/iam/security-credentials/' ||
      path === '/latest/meta-data/iam/security-credentials'
    )
      return send(200, role);
    if (path === `/latest/meta-data/iam/security-credentials/${role}`) {
      const credentials = org.instanceCredentialsFor(instanceId, role);
      return send(
        200,
        JSON.stringify({
          Code: 'Success',
          LastUpdated: updated,
          Type: 'AWS-HMAC',
          AccessKeyId: credentials.accessKeyId,
          SecretAccessKey: credentials.secretAccessKey,
          Token: credentials.sessionToken,
          Expiration: new Date(org.clock.now() + 6 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        }),
        'application/json',
      );
    }
    return send(404, 'Not Found');
  };

  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    propagate: () => {
      served = currentProfile();
      changedAt = undefined;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
