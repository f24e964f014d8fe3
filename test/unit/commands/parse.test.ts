import { describe, expect, it } from 'vitest';
import { parseForensicsCommand } from '../../../bot/commands/parse.js';

describe('Function: parseForensicsCommand', () => {
  it.each([
    ['help', { kind: 'help' }],
    ['', { kind: 'help' }],
    ['list', { kind: 'list' }],
    ['list after case-20250101-abcd', { kind: 'list', after: 'CASE-20250101-ABCD' }],
    ['rules', { kind: 'rules' }],
    ['status CASE-20250101-ABCD', { kind: 'status', caseId: 'CASE-20250101-ABCD' }],
    ['STATUS case-20250101-abcd', { kind: 'status', caseId: 'CASE-20250101-ABCD' }],
    ['release CASE-20250101-ABCD', { kind: 'release', caseId: 'CASE-20250101-ABCD' }],
    ['close CASE-20250101-ABCD', { kind: 'close', caseId: 'CASE-20250101-ABCD' }],
    // issue 12, item 4: an investigator's workstation, 4 hours unless said
    ['workstation case-20250101-abcd', { kind: 'workstation', caseId: 'CASE-20250101-ABCD', hours: 4 }],
    ['workstation CASE-20250101-ABCD 8', { kind: 'workstation', caseId: 'CASE-20250101-ABCD', hours: 8 }],
    [
      'retry case-20250101-abcd  trust policy   fixed',
      { kind: 'retry', caseId: 'CASE-20250101-ABCD', reason: 'trust policy fixed' },
    ],
    [
      'analyze i-0123456789abcdef0',
      { kind: 'analyze', instanceId: 'i-0123456789abcdef0', region: 'us-east-1' },
    ],
    [
      'contain i-0123456789abcdef0 444444444444 eu-west-1',
      { kind: 'contain', instanceId: 'i-0123456789abcdef0', account: '444444444444', region: 'eu-west-1' },
    ],
  ])('reads "%s"', (text, expected) => {
    expect(parseForensicsCommand(text, { region: 'us-east-1' })).toEqual(expected);
  });

  it.each([
    ['status', 'needs exactly one case id'],
    ['status CASE-20250101-ABCI', 'not a case id'],
    ['close CASE-20250101-ABCD extra', 'needs exactly one case id'],
    ['analyze', 'needs an instance id'],
    ['analyze i-12', 'not an EC2 instance id'],
    ['contain i-0123456789abcdef0 1234', 'not an AWS account id'],
    ['contain i-0123456789abcdef0 444444444444 mars-1', 'not an AWS region'],
    ['list everything', 'takes nothing, or `after CASE-ID`'],
    ['list after <!channel>', 'takes nothing, or `after CASE-ID`'],
    ['list before CASE-20250101-ABCD', 'takes nothing, or `after CASE-ID`'],
    ['rules crypto', 'takes no arguments'],
    ['retry', 'needs a case id'],
    ['retry CASE-20250101-ABCD', 'needs a reason'],
    ['retry CASE-20250101-ABCD ok', 'needs a reason'],
    [`retry CASE-20250101-ABCD ${'x'.repeat(501)}`, 'at most 500'],
    ['delete CASE-20250101-ABCD', 'Unknown subcommand'],
    ['workstation', 'needs a case id'],
    ['workstation CASE-20250101-ABCD 0', 'whole number from 1 to 24'],
    ['workstation CASE-20250101-ABCD 2.5', 'whole number from 1 to 24'],
  ])('answers "%s" with usage help', (text, problem) => {
    const parsed = parseForensicsCommand(text);
    expect(parsed.kind).toBe('usage');
    expect(parsed.kind === 'usage' && parsed.problem).toContain(problem);
  });
});
