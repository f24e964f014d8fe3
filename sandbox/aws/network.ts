/**
 * Security-group semantics the containment steps depend on: rules as atoms, whether a set of groups lets
 * HTTPS out to a service (so the SSM agent stays online or not), and connection tracking (a group change
 * does not cut tracked connections; connections through an allow-all group are untracked and the next
 * restrictive group cuts them).
 */
import type { IpPermission } from '@aws-sdk/client-ec2';
import type { Instance, RegionState, Rule, SecurityGroup } from './world.js';

/** Where an established session to each instance comes from (the attacker's SSH session in the demo). */
export const ATTACKER_PEER = { ip: '203.0.113.50', port: 22 };

/** Public addresses the simulation uses for a service reached over the internet (NAT) rather than an endpoint. */
const PUBLIC_SERVICE_IPS: Record<string, string> = {
  ssm: '52.46.145.10',
  ec2messages: '52.46.145.20',
  ssmmessages: '52.46.145.30',
  s3: '52.216.8.10',
};

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

/** Whether IPv4 `ip` lies in `cidr`. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  if (!base || Number.isNaN(bits)) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ipToInt(ip) & mask) === (ipToInt(base) & mask);
}

export function normalizeProtocol(protocol: string | undefined): string {
  const p = (protocol ?? '-1').toLowerCase();
  if (p === 'all' || p === '-1') return '-1';
  if (p === '6') return 'tcp';
  if (p === '17') return 'udp';
  if (p === '1') return 'icmp';
  return p;
}

/** Splits IpPermissions into one rule per peer (what AWS calls security group rules). */
export function atomize(permissions: IpPermission[] | undefined, newId: () => string): Rule[] {
  const rules: Rule[] = [];
  for (const p of permissions ?? []) {
    const protocol = normalizeProtocol(p.IpProtocol);
    const base = {
      protocol,
      fromPort: protocol === '-1' ? undefined : p.FromPort,
      toPort: protocol === '-1' ? undefined : p.ToPort,
    };
    for (const r of p.IpRanges ?? [])
      rules.push({ ruleId: newId(), ...base, cidr: r.CidrIp, description: r.Description });
    for (const r of p.Ipv6Ranges ?? [])
      rules.push({ ruleId: newId(), ...base, cidrV6: r.CidrIpv6, description: r.Description });
    for (const r of p.UserIdGroupPairs ?? [])
      rules.push({ ruleId: newId(), ...base, groupId: r.GroupId, description: r.Description });
    for (const r of p.PrefixListIds ?? [])
      rules.push({ ruleId: newId(), ...base, prefixListId: r.PrefixListId, description: r.Description });
  }
  return rules;
}

/** Same protocol, ports and peer (descriptions and ids do not count). */
export function sameRule(a: Rule, b: Rule): boolean {
  return (
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidr === b.cidr &&
    a.cidrV6 === b.cidrV6 &&
    a.groupId === b.groupId &&
    a.prefixListId === b.prefixListId
  );
}

/** A rule back as the one-peer IpPermission DescribeSecurityGroups returns. */
export function toPermission(rule: Rule, ownerId: string): IpPermission {
  return {
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    IpRanges: rule.cidr ? [{ CidrIp: rule.cidr, Description: rule.description }] : [],
    Ipv6Ranges: rule.cidrV6 ? [{ CidrIpv6: rule.cidrV6, Description: rule.description }] : [],
    UserIdGroupPairs: rule.groupId
      ? [{ GroupId: rule.groupId, UserId: ownerId, Description: rule.description }]
      : [],
    PrefixListIds: rule.prefixListId
      ? [{ PrefixListId: rule.prefixListId, Description: rule.description }]
      : [],
  };
}

function coversPort(rule: Rule, protocol: string, port: number): boolean {
  if (rule.protocol === '-1') return true;
  if (rule.protocol !== protocol) return false;
  return (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535);
}

interface Peer {
  ips: string[];
  groupIds?: string[];
  prefixListIds?: string[];
}

function rulesAllow(rules: Rule[], protocol: string, port: number, peer: Peer): boolean {
  return rules.some(
    (rule) =>
      coversPort(rule, protocol, port) &&
      ((rule.cidr !== undefined && peer.ips.some((ip) => ipInCidr(ip, rule.cidr!))) ||
        (rule.groupId !== undefined && (peer.groupIds ?? []).includes(rule.groupId)) ||
        (rule.prefixListId !== undefined && (peer.prefixListIds ?? []).includes(rule.prefixListId))),
  );
}

/** Groups whose rules together allow all traffic both ways from and to anywhere: connections are untracked. */
export function isAllowAll(groups: SecurityGroup[]): boolean {
  const all = (rules: Rule[]) => rules.some((r) => r.protocol === '-1' && r.cidr === '0.0.0.0/0');
  return all(groups.flatMap((g) => g.ingress)) && all(groups.flatMap((g) => g.egress));
}

/**
 * Connection tracking when an ENI moves to `groups`: an allow-all group makes live connections untracked;
 * a restrictive group keeps tracked connections and cuts untracked ones it does not allow.
 */
export function moveConnections(
  connections: { alive: boolean; tracked: boolean },
  groups: SecurityGroup[],
): void {
  if (!connections.alive) return;
  if (isAllowAll(groups)) {
    connections.tracked = false;
    return;
  }
  if (connections.tracked) return;
  const ingress = groups.flatMap((g) => g.ingress);
  connections.alive = rulesAllow(ingress, 'tcp', ATTACKER_PEER.port, { ips: [ATTACKER_PEER.ip] });
}

function groupsOf(region: RegionState, groupIds: string[]): SecurityGroup[] {
  return groupIds
    .map((id) => region.securityGroups.get(id))
    .filter((g): g is SecurityGroup => g !== undefined);
}

/**
 * Whether the instance's primary ENI may open HTTPS to `service` (`ssm`, `ec2messages`, `ssmmessages`,
 * `s3`): through the VPC's interface endpoint for it (its IPs or its security group), the S3 gateway
 * endpoint's prefix list, or, without an endpoint, the service's public address (through a NAT).
 */
export function canReach(region: RegionState, instance: Instance, service: string): boolean {
  const eni = region.enis.get(instance.eniIds[0] ?? '');
  if (!eni) return false;
  const egress = groupsOf(region, eni.groupIds).flatMap((g) => g.egress);
  const endpoints = [...region.endpoints.values()].filter(
    (e) => e.vpcId === instance.vpcId && e.serviceName.endsWith(`.${service}`),
  );
  const peers: Peer[] = endpoints.map((e) =>
    e.type === 'Interface'
      ? { ips: e.privateIps, groupIds: e.groupIds }
      : {
          ips: [PUBLIC_SERVICE_IPS[service] ?? '0.0.0.0'],
          prefixListIds: e.prefixListId ? [e.prefixListId] : [],
        },
  );
  const hasInterface = endpoints.some((e) => e.type === 'Interface');
  if (!hasInterface && endpoints.length === 0)
    peers.push({ ips: [PUBLIC_SERVICE_IPS[service] ?? '0.0.0.0'] });
  return peers.some((peer) => rulesAllow(egress, 'tcp', 443, peer));
}

/** The SSM agent is online when it runs and can reach the SSM services (endpoints or internet). */
export function agentReachesSsm(region: RegionState, instance: Instance): boolean {
  return (
    canReach(region, instance, 'ssm') &&
    (canReach(region, instance, 'ec2messages') || canReach(region, instance, 'ssmmessages'))
  );
}
