import { isIP } from 'node:net';
import type { Finding } from '../core/finding.js';
import { isDomain } from '../core/ids.js';

/**
 * A finding's indicators of compromise from its structured fields: what GuardDuty saw the instance talk to
 * (`service.action`: the DNS request's domain, the remote end of a network connection, port probes' and
 * API calls' callers) and ASFF's `Network` (source/destination IPv4, destination domain). Read loosely:
 * a field that is absent or of another shape is skipped, never an error. At most 20 of each, and only
 * values their regex accepts (a domain is attacker-chosen text).
 */
type Indicators = NonNullable<Finding['indicators']>;

const MAX = 20;
const at = (v: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
    v,
  );
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function collect(ips: unknown[], domains: unknown[], own: string[] = []): Indicators | undefined {
  const ownSet = new Set(own);
  const okIps = [...new Set(ips.filter((ip): ip is string => typeof ip === 'string' && isIP(ip) === 4))]
    .filter((ip) => !ownSet.has(ip))
    .slice(0, MAX);
  const okDomains = [...new Set(domains.filter(isDomain).map((d) => d.toLowerCase()))].slice(0, MAX);
  return okIps.length || okDomains.length ? { ips: okIps, domains: okDomains } : undefined;
}

export function guardDutyIndicators(service: unknown): Indicators | undefined {
  const action = at(service, 'action');
  return collect(
    [
      at(action, 'networkConnectionAction', 'remoteIpDetails', 'ipAddressV4'),
      at(action, 'awsApiCallAction', 'remoteIpDetails', 'ipAddressV4'),
      at(action, 'kubernetesApiCallAction', 'remoteIpDetails', 'ipAddressV4'),
      at(action, 'rdsLoginAttemptAction', 'remoteIpDetails', 'ipAddressV4'),
      ...list(at(action, 'portProbeAction', 'portProbeDetails')).map((p) =>
        at(p, 'remoteIpDetails', 'ipAddressV4'),
      ),
    ],
    [at(action, 'dnsRequestAction', 'domain'), at(action, 'awsApiCallAction', 'domainDetails', 'domain')],
  );
}

/** ASFF `Network`; the instance's own addresses (`own`) are not indicators. */
export function asffIndicators(network: unknown, own: string[]): Indicators | undefined {
  return collect(
    [at(network, 'SourceIpV4'), at(network, 'DestinationIpV4')],
    [at(network, 'DestinationDomain')],
    own,
  );
}
