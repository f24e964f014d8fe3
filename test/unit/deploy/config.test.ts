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

  it('keeps the approval reminder before the expiry', () => {
    // Act / Assess
    expect(() =>
      parseDeployConfig({ ...BASE, approvalRemindMinutes: '60', approvalExpireMinutes: '60' }),
    ).toThrow(/approvalRemindMinutes must be less than approvalExpireMinutes/);
    expect(parseDeployConfig(BASE)).toMatchObject({ approvalRemindMinutes: 15, approvalExpireMinutes: 60 });
  });

  it('takes one extra snapshot key per region, of the forensics account, never the home region', () => {
    // Prepare
    const eu = 'arn:aws:kms:eu-west-1:222222222222:alias/forensics-bot-snapshots';

    // Act / Assess
    expect(parseDeployConfig({ ...BASE, extraSnapshotKeyArns: eu }).extraSnapshotKeyArns).toEqual([eu]);
    expect(() => parseDeployConfig({ ...BASE, extraSnapshotKeyArns: `${eu},${eu}` })).toThrow(
      /more than one snapshot key for eu-west-1/,
    );
    expect(() =>
      parseDeployConfig({
        ...BASE,
        extraSnapshotKeyArns: 'arn:aws:kms:us-east-1:222222222222:alias/other',
      }),
    ).toThrow(/more than one snapshot key for us-east-1/);
    expect(() =>
      parseDeployConfig({ ...BASE, extraSnapshotKeyArns: 'arn:aws:kms:eu-west-1:333333333333:alias/x' }),
    ).toThrow(/not a key of the forensics account 222222222222/);
  });

  it('accepts a LiME prefix only as s3://bucket/prefix', () => {
    // Act / Assess
    expect(parseDeployConfig({ ...BASE, limeModulePrefix: 's3://lime-mods/kernels' }).limeModulePrefix).toBe(
      's3://lime-mods/kernels',
    );
    expect(() => parseDeployConfig({ ...BASE, limeModulePrefix: 'https://example.com/x' })).toThrow(
      /limeModulePrefix/,
    );
  });
});
