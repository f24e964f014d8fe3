import { describe, expect, it } from 'vitest';
import { parseDeployConfig, readDeployConfig } from '../../../deploy/config.js';

const BASE = {
  securityAccount: '111111111111',
  forensicsAccount: '222222222222',
  organizationId: 'o-exampleorg1',
  externalId: 'ext-id-1234',
  alertsChannel: 'C0ALERTS',
  commandersChannel: 'C0COMMANDERS',
  respondersGroup: 'S0RESPONDERS',
  commandersGroup: 'S0COMMANDERS',
};

describe('Function: parseDeployConfig', () => {
  it('names every missing parameter in one message', () => {
    // Act / Assess
    expect(() => parseDeployConfig({ securityAccount: '111111111111' })).toThrow(
      /externalId is missing.*alertsChannel is missing.*commandersChannel is missing/,
    );
  });

  it('rejects a malformed account id, naming the key', () => {
    // Act / Assess
    expect(() => parseDeployConfig({ ...BASE, forensicsAccount: '2222' })).toThrow(
      /forensicsAccount: forensicsAccount must be a 12-digit AWS account id/,
    );
  });

  it('requires the forensics account and the organization outside single-account mode', () => {
    // Prepare
    const { forensicsAccount: _f, organizationId: _o, ...rest } = BASE;

    // Act / Assess
    expect(() => parseDeployConfig(rest)).toThrow(/forensicsAccount is missing.*organizationId is missing/);
  });

  it('puts everything in the security account in single-account mode', () => {
    // Prepare
    const { forensicsAccount: _f, organizationId: _o, ...rest } = BASE;

    // Act
    const config = parseDeployConfig({ ...rest, singleAccount: 'true' });

    // Assess
    expect(config.singleAccount).toBe(true);
    expect(config.forensicsAccount).toBe('111111111111');
    expect(config.organizationId).toBeUndefined();
  });

  it('applies the documented defaults', () => {
    // Act
    const config = parseDeployConfig(BASE);

    // Assess
    expect(config).toMatchObject({
      region: 'us-east-1',
      alertsMinSeverity: 'HIGH',
      slackConcurrency: 10,
      securityHubActions: true,
      evidenceRetentionDays: 365,
      evidenceRetentionMode: 'GOVERNANCE',
      glacierAfterDays: 30,
      analysisAzs: ['us-east-1a', 'us-east-1b'],
    });
  });

  it('reads -c key=value strings like cdk.json values', () => {
    // Prepare
    const context: Record<string, unknown> = {
      ...BASE,
      slackConcurrency: '25',
      securityHubActions: 'false',
      analysisAzs: 'eu-west-1a,eu-west-1c',
    };

    // Act
    const config = readDeployConfig((key) => context[key]);

    // Assess
    expect(config.slackConcurrency).toBe(25);
    expect(config.securityHubActions).toBe(false);
    expect(config.analysisAzs).toEqual(['eu-west-1a', 'eu-west-1c']);
  });
});
