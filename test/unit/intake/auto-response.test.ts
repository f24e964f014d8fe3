/**
 * Auto-response rules (issue 14, item 3): the matcher (first match wins, every criterion must hold) and the
 * validation both edges share (synth: deploy/config.ts; cold start: autoResponseSettings).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../bot/core/finding.js';
import { ConfigurationError } from '../../../bot/core/errors.js';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import {
  ACTION_RESOURCES,
  autoResponseEnvironment,
  autoResponseWarnings,
  canActOn,
  firstMatch,
  parseAutoResponse,
  ruleMatches,
  ruleRequester,
  type AutoResponseRuleInput,
} from '../../../bot/intake/auto-response.js';
import { autoResponseSettings } from '../../../bot/intake/settings.js';
import { parseDeployConfig } from '../../../deploy/config.js';
import { cryptoMiningEvent } from '../../support/crypto-mining.js';

/** The real crypto-mining finding (HIGH, 8) on an instance tagged as a test wishes. */
function cryptoFinding(tags: Record<string, string> = {}, account = '333333333333'): Finding {
  const finding = normalizeEvent(cryptoMiningEvent({ tags, account })).findings[0];
  if (!finding) throw new Error('the crypto-mining sample did not normalize');
  return finding;
}

const rules = (...r: AutoResponseRuleInput[]) => parseAutoResponse({ rules: r }, false).rules;

describe('Function: ruleMatches', () => {
  it('matches the finding type by glob, case-insensitively', () => {
    // Prepare
    const finding = cryptoFinding();
    const [crypto, other] = rules(
      { name: 'crypto', types: ['cryptocurrency:EC2/*'], action: 'analyze' },
      { name: 'ssh', types: ['UnauthorizedAccess:EC2/*'], action: 'analyze' },
    );

    // Act / Assess
    expect(finding.type).toBe('CryptoCurrency:EC2/BitcoinTool.B!DNS');
    expect(ruleMatches(crypto!, finding)).toBe(true);
    expect(ruleMatches(other!, finding)).toBe(false);
  });

  it('holds the severity floor as a label or a score', () => {
    const finding = cryptoFinding();
    const [high, critical, score8, score9] = rules(
      { name: 'a', minSeverity: 'high', action: 'analyze' },
      { name: 'b', minSeverity: 'CRITICAL', action: 'analyze' },
      { name: 'c', minSeverity: 8, action: 'analyze' },
      { name: 'd', minSeverity: '9', action: 'analyze' },
    );
    expect([high, critical, score8, score9].map((r) => ruleMatches(r!, finding))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('requires the account, every tag (value globs) and the resource type', () => {
    const prod = cryptoFinding({ env: 'prod-eu', team: 'payments' });
    const [rule] = rules({
      name: 'prod payments',
      accounts: ['333333333333'],
      tags: ['env=prod*', 'team=payments'],
      resourceTypes: ['ec2-instance'],
      action: 'request-containment',
    });
    expect(ruleMatches(rule!, prod)).toBe(true);
    expect(ruleMatches(rule!, cryptoFinding({ env: 'prod-eu' }))).toBe(false);
    expect(ruleMatches(rule!, cryptoFinding({ env: 'dev', team: 'payments' }))).toBe(false);
    expect(ruleMatches(rule!, cryptoFinding({ env: 'prod', team: 'payments' }, '444444444444'))).toBe(false);
  });

  it('lets the first matching rule win, a notify rule included', () => {
    const finding = cryptoFinding({ env: 'lab' });
    const ordered = rules(
      { name: 'lab is only noticed', tags: ['env=lab'], action: 'notify' },
      { name: 'crypto', types: ['CryptoCurrency:*'], action: 'analyze' },
    );
    expect(firstMatch(ordered, finding)).toMatchObject({
      position: 1,
      rule: { name: 'lab is only noticed' },
    });
    expect(firstMatch(ordered, cryptoFinding())).toMatchObject({ position: 2, rule: { action: 'analyze' } });
    expect(firstMatch(ordered.slice(0, 1), cryptoFinding())).toBeUndefined();
  });

  it('names the rule as the requester, never as a Slack user', () => {
    expect(ruleRequester({ name: 'crypto' })).toEqual({
      userId: 'auto-response:crypto',
      name: 'auto-response rule "crypto"',
    });
  });
});

describe('Function: parseAutoResponse', () => {
  it('refuses contain without allowUnattendedContainment, naming the rule, even in dry run', () => {
    const config = {
      rules: [{ name: 'miners', types: ['CryptoCurrency:*'], action: 'contain', dryRun: true }],
    };
    expect(() => parseAutoResponse(config, false)).toThrow(
      /rule 1 "miners": action contain .* unless the deployment also sets allowUnattendedContainment: true/,
    );
    expect(parseAutoResponse(config, true).rules[0]).toMatchObject({ action: 'contain', dryRun: true });
  });

  it('names the rule and the key of a malformed rule', () => {
    expect(() =>
      parseAutoResponse(
        {
          rules: [
            { name: 'ok', action: 'notify' },
            { name: 'typo', minSeverty: 'HIGH', action: 'analyze' },
          ],
        },
        false,
      ),
    ).toThrow(/rules\.1 \("typo"\).*minSeverty/);
    expect(() =>
      parseAutoResponse({ rules: [{ name: 'x', types: ['a'], action: 'isolate' }] }, false),
    ).toThrow(/rules\.0 \("x"\)\.action/);
    expect(() =>
      parseAutoResponse({ rules: [{ name: 'x', minSeverity: 'SEVERE', action: 'analyze' }] }, false),
    ).toThrow(/minSeverity: expected one of/);
    expect(() =>
      parseAutoResponse({ rules: [{ name: 'x', tags: ['env'], action: 'analyze' }] }, false),
    ).toThrow(/key=value/);
  });

  it('refuses duplicate names, catch-all actions and rules that exclude instances', () => {
    expect(() =>
      parseAutoResponse(
        {
          rules: [
            { name: 'a', types: ['x'], action: 'notify' },
            { name: 'A', types: ['y'], action: 'notify' },
            { name: 'everything', action: 'analyze' },
            { name: 'keys', resourceTypes: ['iam-access-key'], action: 'analyze' },
          ],
        },
        false,
      ),
    ).toThrow(
      /rule 2 "A": another rule has this name.*rule 3 "everything": analyze needs at least one.*rule 4 "keys": analyze acts on EC2 instances only/,
    );
  });

  it('warns, without refusing, about a rule that may or must match findings its action cannot act on (issue 14)', () => {
    // Prepare
    const config = parseAutoResponse(
      {
        rules: [
          { name: 'mixed', resourceTypes: ['ec2-instance', 's3-bucket'], action: 'analyze' },
          {
            name: 'keys',
            types: ['UnauthorizedAccess:IAMUser/*', 'Policy:S3/*'],
            action: 'request-containment',
          },
          { name: 'miners', types: ['CryptoCurrency:EC2/*', 'CryptoCurrency:*'], action: 'analyze' },
          { name: 'say', types: ['*:IAMUser/*'], action: 'notify' },
        ],
      },
      false,
    );
    // Act
    const warnings = autoResponseWarnings(config);
    // Assess: the first two are named, with why; the EC2 rule and the notify rule are fine
    expect(warnings).toEqual([
      'rule 1 "mixed": analyze acts on EC2 instances only; on findings about s3-bucket it can only say it could not act',
      'rule 2 "keys": request-containment acts on EC2 instances only, and every type it matches (UnauthorizedAccess:IAMUser/*, Policy:S3/*) is about another resource: it can never act',
    ]);
    expect(ACTION_RESOURCES.notify).toContain('iam-access-key');
    expect(canActOn('contain', 'ec2-instance')).toBe(true);
    expect(canActOn('analyze', 's3-bucket')).toBe(false);
  });

  it('reads JSON text, defaults the cap and the dry run, and round-trips through the environment form', () => {
    const config = parseAutoResponse(
      '{"rules":[{"name":"crypto","types":["CryptoCurrency:EC2/*"],"tags":["env=prod"],"action":"analyze"}]}',
      false,
    );
    expect(config).toMatchObject({ dryRun: false, maxCasesPerHour: 10 });
    expect(parseAutoResponse(autoResponseEnvironment(config), false)).toEqual(config);
    expect(parseAutoResponse('', false)).toEqual({ rules: [], dryRun: false, maxCasesPerHour: 10 });
    expect(() => parseAutoResponse('{rules', false)).toThrow(/not JSON/);
  });
});

describe('Function: autoResponseSettings (cold start)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    autoResponseSettings.reset();
  });

  it('refuses a contain rule unless ALLOW_UNATTENDED_CONTAINMENT is exactly true', () => {
    process.env.AUTO_RESPONSE = JSON.stringify({
      rules: [{ name: 'miners', types: ['Crypto*'], action: 'contain' }],
    });
    process.env.ALLOW_UNATTENDED_CONTAINMENT = 'false';
    expect(() => autoResponseSettings()).toThrow(ConfigurationError);
    expect(() => autoResponseSettings()).toThrow(/AUTO_RESPONSE: rule 1 "miners": action contain/);
    process.env.ALLOW_UNATTENDED_CONTAINMENT = 'yes';
    autoResponseSettings.reset();
    expect(() => autoResponseSettings()).toThrow(/ALLOW_UNATTENDED_CONTAINMENT is malformed/);
    process.env.ALLOW_UNATTENDED_CONTAINMENT = 'true';
    autoResponseSettings.reset();
    expect(autoResponseSettings().AUTO_RESPONSE.rules[0]?.action).toBe('contain');
  });

  it('names AUTO_RESPONSE when the rules are malformed', () => {
    process.env.AUTO_RESPONSE = '{"rules":[{"name":"x","action":"analyse","types":["a"]}]}';
    expect(() => autoResponseSettings()).toThrow(/AUTO_RESPONSE is malformed: rules\.0 \("x"\)\.action/);
  });

  it('has no rules when nothing is configured', () => {
    delete process.env.AUTO_RESPONSE;
    expect(autoResponseSettings().AUTO_RESPONSE.rules).toEqual([]);
  });
});

describe('Function: parseDeployConfig (autoResponse at synth)', () => {
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
  const contain = { rules: [{ name: 'miners', types: ['CryptoCurrency:*'], action: 'contain' }] };

  it('fails the synth on a contain rule, naming it, unless allowUnattendedContainment is true', () => {
    expect(() => parseDeployConfig({ ...BASE, autoResponse: contain })).toThrow(
      /autoResponse: rule 1 "miners": action contain/,
    );
    expect(() =>
      parseDeployConfig({ ...BASE, autoResponse: contain, allowUnattendedContainment: 'false' }),
    ).toThrow(/rule 1 "miners"/);
    expect(
      parseDeployConfig({ ...BASE, autoResponse: contain, allowUnattendedContainment: true }).autoResponse
        .rules,
    ).toHaveLength(1);
  });

  it('fails the synth on a bad rule, naming it; takes -c JSON text like a cdk.json object', () => {
    expect(() =>
      parseDeployConfig({
        ...BASE,
        autoResponse: { rules: [{ name: 'crypto', types: [], action: 'analyze' }] },
      }),
    ).toThrow(/autoResponse: rules\.0 \("crypto"\)\.types/);
    const fromCli = parseDeployConfig({
      ...BASE,
      autoResponse:
        '{"maxCasesPerHour":3,"rules":[{"name":"crypto","types":["CryptoCurrency:EC2/*"],"action":"analyze"}]}',
    });
    expect(fromCli.autoResponse).toMatchObject({ maxCasesPerHour: 3, rules: [{ name: 'crypto' }] });
    expect(parseDeployConfig(BASE).autoResponse).toEqual({ rules: [], dryRun: false, maxCasesPerHour: 10 });
  });

  it('refuses rules too large for the functions environment', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      name: `rule number ${i}`,
      types: ['CryptoCurrency:EC2/*', 'Backdoor:EC2/*'],
      action: 'analyze',
    }));
    expect(() => parseDeployConfig({ ...BASE, autoResponse: { rules: many } })).toThrow(
      /more than 2048 bytes/,
    );
  });
});
