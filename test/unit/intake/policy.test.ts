import { afterEach, describe, expect, it } from 'vitest';
import { matchesGlob } from '../../../bot/intake/glob.js';
import { decide, type PolicySettings, routeChannel } from '../../../bot/intake/policy.js';
import { intakeSettings } from '../../../bot/intake/settings.js';
import { ConfigurationError } from '../../../bot/core/errors.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { loadEvent } from '../../support/events.js';

const finding = () =>
  normalizeEvent(loadEvent('guardduty', 'guardduty-finding-ec2-canary-stateless-integtest.composed'))
    .findings[0]!;

function settings(env: Record<string, string>): PolicySettings {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  intakeSettings.reset();
  try {
    return { ...intakeSettings(), ALERTS_CHANNEL: 'C0ALERTS' };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    intakeSettings.reset();
  }
}

afterEach(() => intakeSettings.reset());

describe('Function: decide', () => {
  it('posts a MEDIUM finding to the alerts channel by default', () => {
    expect(decide(finding(), settings({}))).toEqual({ action: 'post', channel: 'C0ALERTS' });
  });

  it('ignores a finding below the minimum severity, as a label or a score, saying why', () => {
    expect(decide(finding(), settings({ MIN_SEVERITY: 'high' }))).toEqual({
      action: 'ignore',
      reason: 'severity MEDIUM (5) is below HIGH',
    });
    expect(decide(finding(), settings({ MIN_SEVERITY: '5' })).action).toBe('post');
  });

  it('ignores by account, by type pattern and by the opt-out tag (unless its value is false)', () => {
    const f = finding();
    expect(decide(f, settings({ IGNORE_ACCOUNTS: '123456789012' })).action).toBe('ignore');
    expect(decide(f, settings({ IGNORE_FINDING_TYPES: 'canary:*' })).action).toBe('ignore');
    f.resource.instance!.tags = { 'forensics-bot:ignore': 'yes' };
    expect(decide(f, settings({}))).toMatchObject({
      action: 'ignore',
      reason: expect.stringContaining('opt-out tag'),
    });
    f.resource.instance!.tags = { 'forensics-bot:ignore': 'false' };
    expect(decide(f, settings({})).action).toBe('post');
    f.resource.instance!.tags = { 'team:skip': '' };
    expect(decide(f, settings({ IGNORE_TAG: 'team:skip' })).action).toBe('ignore');
  });

  it('counts a NOTIFIED Security Hub CSPM finding on the card it has, never posting one (issue 14)', () => {
    const f = { ...finding(), source: 'securityhub' as const, workflowStatus: 'NOTIFIED' };
    expect(decide(f, settings({}))).toMatchObject({ action: 'repeat-only', channel: 'C0ALERTS' });
    // the floor still holds, and a NEW one is posted as before
    expect(decide(f, settings({ MIN_SEVERITY: 'HIGH' })).action).toBe('ignore');
    expect(decide({ ...f, workflowStatus: 'NEW' }, settings({})).action).toBe('post');
  });

  it('only updates the card of an archived finding, even below the minimum severity', () => {
    const f = { ...finding(), archived: true };
    expect(decide(f, settings({ MIN_SEVERITY: 'CRITICAL' }))).toMatchObject({
      action: 'update-only',
      channel: 'C0ALERTS',
    });
  });
});

describe('Function: routeChannel', () => {
  it('prefers the account route, then the highest severity route reached, then the default', () => {
    const f = finding();
    expect(routeChannel(f, settings({ CHANNEL_ROUTES: '123456789012=C0ACC,MEDIUM=C0MED' }))).toBe('C0ACC');
    expect(routeChannel(f, settings({ CHANNEL_ROUTES: 'LOW=C0LOW,MEDIUM=C0MED,CRITICAL=C0CRIT' }))).toBe(
      'C0MED',
    );
    expect(routeChannel(f, settings({ CHANNEL_ROUTES: 'HIGH=C0HIGH' }))).toBe('C0ALERTS');
  });
});

describe('Function: intakeSettings', () => {
  it('names a malformed variable', () => {
    expect(() => settings({ CHANNEL_ROUTES: 'prod=C1' })).toThrow(ConfigurationError);
    expect(() => settings({ CHANNEL_ROUTES: 'prod=C1' })).toThrow(/CHANNEL_ROUTES is malformed/);
    expect(() => settings({ MIN_SEVERITY: 'SEVERE' })).toThrow(/MIN_SEVERITY is malformed/);
  });

  it('has the documented defaults', () => {
    expect(settings({})).toMatchObject({
      MIN_SEVERITY: 'LOW',
      IGNORE_TAG: 'forensics-bot:ignore',
      ANALYZE_ACTION_ID: 'ForensicsAnalyze',
      CONTAIN_ACTION_ID: 'ForensicsContain',
      STORM_MAX_POSTS: 3,
      STORM_WINDOW_SECONDS: 3,
      SECURITY_HUB_UPDATES: true,
    });
  });
});

describe('Function: matchesGlob', () => {
  it('matches * as any run and everything else literally', () => {
    expect(matchesGlob('Recon:EC2/PortProbe', 'Recon:*')).toBe(true);
    expect(matchesGlob('Recon:EC2/PortProbe', 'Recon:EC2/Port.robe')).toBe(false);
  });
});
