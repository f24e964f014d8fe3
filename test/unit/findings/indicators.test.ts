import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../../../bot/core/case-model.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { findingIocs } from '../../../workflows/steps/examine-evidence.js';
import { sample } from '../../../sandbox/samples.js';
import { TARGETS } from '../../../sandbox/targets.js';
import { loadEvent } from '../../support/events.js';
import { guardDutyEvent, securityHubImported } from './fixtures.js';

/**
 * A finding's own indicators (issue 12: the finding's IOCs for the examination): read from its structured
 * fields, each value checked by its regex, the instance's own addresses left out, and handed to the
 * examination as `--ioc` values.
 */
const one = (event: unknown) => {
  const { findings, rejections } = normalizeEvent(event);
  expect(rejections).toEqual([]);
  return findings[0]!;
};
/** The real, redacted finding, its redacted fields (accounts, times, instance) filled in as the sandbox's sample does. */
const bitcoinDns = () =>
  sample('guardduty-bitcoin-dns')!.build(TARGETS.demo) as { detail: Record<string, unknown> };
const caseOf = (finding: CaseRecord['finding']) => ({ finding }) as CaseRecord;

describe('Finding indicators', () => {
  it('GuardDuty DNS request: the queried domain (the real, redacted BitcoinTool.B!DNS finding)', () => {
    const f = one(bitcoinDns());
    expect(f.indicators).toEqual({ ips: [], domains: ['pool.minergate.com'] });
    expect(findingIocs(caseOf(f))).toContain('pool.minergate.com');
  });

  it('GuardDuty network connection: the remote address, not the instance own', () => {
    const f = one(loadEvent('guardduty', 'guardduty-finding-ec2-unauthorizedaccess-sshbruteforce.composed'));
    expect(f.indicators?.ips).toEqual(['198.51.100.0']);
    expect(findingIocs(caseOf(f))).not.toContain(f.resource.instance?.privateIps[0]);
  });

  it('attacker-chosen text that is not a domain or an IPv4 address is no indicator', () => {
    const event = bitcoinDns() as {
      detail: Record<string, unknown>;
    };
    const hostile = [
      'evil.example"\n rule x { condition: true }',
      '<!channel>.example',
      '*.example',
      'x'.repeat(300),
      'localhost',
    ];
    const findings = hostile.map((domain) =>
      one(
        guardDutyEvent({
          ...event.detail,
          service: {
            ...(event.detail.service as object),
            action: { actionType: 'DNS_REQUEST', dnsRequestAction: { domain } },
          },
        }),
      ),
    );
    for (const f of findings) {
      expect(f.indicators).toBeUndefined();
      expect(findingIocs(caseOf(f))).toEqual([]);
    }
  });

  it('ASFF Network: destination domain and addresses, the instance own address left out', () => {
    const asff = loadEvent(
      'securityhub',
      'securityhub-asff-finding-guardduty-ec2-sshbruteforce.awsdocs',
    ) as Record<string, unknown>;
    const f = one(
      securityHubImported([
        {
          ...asff,
          Network: {
            Direction: 'OUT',
            SourceIpV4: '10.0.0.1',
            DestinationIpV4: '203.0.113.66',
            DestinationDomain: 'cdn-updates.example',
          },
        },
      ]),
    );
    const own = f.resource.instance?.privateIps ?? [];
    expect(f.indicators?.domains).toEqual(['cdn-updates.example']);
    expect(f.indicators?.ips).toContain('203.0.113.66');
    for (const ip of own) expect(f.indicators?.ips).not.toContain(ip);
  });
});
