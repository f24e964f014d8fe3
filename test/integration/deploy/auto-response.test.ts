/**
 * The deploy's side of auto-response (issue 14, item 3): `autoResponse` from cdk.json reaches the two
 * functions that read it as one JSON variable, validated again there at cold start, and no other function.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseAutoResponse } from '../../../bot/intake/auto-response.js';
import type { DeployConfigInput } from '../../../deploy/config.js';
import { MULTI_ACCOUNT, resources, synth } from './synth.js';

type Json = Record<string, unknown>;

const RULES = {
  maxCasesPerHour: 4,
  rules: [
    { name: 'lab', tags: ['env=lab'], action: 'notify' },
    { name: 'crypto-mining', types: ['CryptoCurrency:EC2/*'], minSeverity: 'HIGH', action: 'analyze' },
    {
      name: 'miners in prod',
      types: ['CryptoCurrency:*'],
      tags: ['env=prod'],
      action: 'contain',
      dryRun: true,
    },
  ],
};
const INPUT: DeployConfigInput = {
  ...MULTI_ACCOUNT,
  autoResponse: RULES,
  allowUnattendedContainment: true,
} as DeployConfigInput;

function variablesOf(prefix: string): Json {
  const { security } = synth(INPUT);
  const [, fn] = resources(security, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))!;
  return ((fn.Properties as Json).Environment as { Variables: Json }).Variables;
}

describe('Function: the auto-response environment', () => {
  it('gives the findings and Slack functions the rules and the permission, validated as at cold start', () => {
    for (const prefix of ['BotFindings', 'BotSlack']) {
      // Act
      const vars = variablesOf(prefix);

      // Assess
      expect(vars.ALLOW_UNATTENDED_CONTAINMENT, prefix).toBe('true');
      const config = parseAutoResponse(vars.AUTO_RESPONSE as string, true);
      expect(config.maxCasesPerHour).toBe(4);
      expect(config.rules.map((r) => [r.name, r.action, r.dryRun])).toEqual([
        ['lab', 'notify', false],
        ['crypto-mining', 'analyze', false],
        ['miners in prod', 'contain', true],
      ]);
      expect(() => parseAutoResponse(vars.AUTO_RESPONSE as string, false)).toThrow(/rule 3 "miners in prod"/);
    }
  });

  it('gives them to no other function (the steps environment is the largest of Lambda 4 KB)', () => {
    for (const prefix of ['BotSteps', 'BotProgress']) {
      const vars = variablesOf(prefix);
      expect(vars.AUTO_RESPONSE, prefix).toBeUndefined();
      expect(vars.ALLOW_UNATTENDED_CONTAINMENT, prefix).toBeUndefined();
    }
  });

  it('warns at synth about a rule whose types are never about an instance, and still synthesizes (issue 14)', () => {
    // Prepare: an analyze rule on IAM user findings only
    const input = {
      ...MULTI_ACCOUNT,
      autoResponse: { rules: [{ name: 'keys', types: ['UnauthorizedAccess:IAMUser/*'], action: 'analyze' }] },
    } as DeployConfigInput;
    // Act
    const { stacks } = synth(input);
    // Assess
    const warnings = Annotations.fromStack(stacks.security).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toContainEqual(
      expect.stringContaining(
        'autoResponse: rule 1 "keys": analyze acts on EC2 instances only, and every type it matches (UnauthorizedAccess:IAMUser/*) is about another resource: it can never act',
      ),
    );
  });

  it('fails the synth on a contain rule the deployment did not allow, naming the rule', () => {
    expect(() => synth({ ...MULTI_ACCOUNT, autoResponse: RULES } as DeployConfigInput)).toThrow(
      /autoResponse: rule 3 "miners in prod": action contain/,
    );
  });
});
