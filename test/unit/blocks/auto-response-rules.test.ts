import { describe, expect, it } from 'vitest';
import { ruleCriteria, rulesBlocks, rulesText } from '../../../bot/blocks/auto-response-rules.js';
import { parseAutoResponse } from '../../../bot/intake/auto-response.js';

const view = (config: unknown, allow = false) => ({
  config: parseAutoResponse(config, allow),
  allowUnattendedContainment: allow,
  hour: { cases: 3, refused: 1 },
});

describe('Function: rulesBlocks', () => {
  it('shows at most 45 rules of 50 and counts the rest, inside Block Kit limits', () => {
    // Prepare
    const rules = Array.from({ length: 50 }, (_, i) => ({ name: `r${i}`, types: ['A*'], action: 'notify' }));

    // Act
    const blocks = rulesBlocks(view({ rules }));

    // Assess
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(blocks)).toContain('*45. r44*');
    expect(JSON.stringify(blocks)).not.toContain('*46. r45*');
    expect(JSON.stringify(blocks)).toContain('and 5 more');
    expect(rulesText(view({ rules }))).toBe('50 auto-response rules, first match wins');
  });

  it('says which resources each action acts on: notify any, the others EC2 instances only (issue 14)', () => {
    const text = JSON.stringify(
      rulesBlocks(
        view({
          rules: [
            { name: 'n', types: ['X'], action: 'notify' },
            { name: 'a', types: ['Y'], action: 'analyze' },
          ],
        }),
      ),
    );
    expect(text).toContain('post the card only; acts on any resource');
    expect(text).toContain('no containment); acts on EC2 instances');
  });

  it('says the global dry run, the cap and this hour, and whether unattended containment is allowed', () => {
    const text = JSON.stringify(
      rulesBlocks(
        view(
          { dryRun: true, maxCasesPerHour: 5, rules: [{ name: 'c', types: ['X'], action: 'contain' }] },
          true,
        ),
      ),
    );
    expect(text).toContain('`contain` (dry run)');
    expect(text).toContain('acts on EC2 instances'); // which resources the action supports (issue 14)
    expect(text).toContain('At most 5 automatic cases an hour (this hour: 3, 1 refused)');
    expect(text).toContain('*dry run*: no rule acts');
    expect(text).toContain('unattended containment allowed');
  });

  it('escapes every configured text and keeps inline code closed', () => {
    const [rule] = parseAutoResponse(
      {
        rules: [
          { name: 'x', types: ['<@U0ALICE>`*'], tags: ['team=<https://evil|click>'], action: 'analyze' },
        ],
      },
      false,
    ).rules;
    const words = ruleCriteria(rule!);
    expect(words).toBe("types `&lt;@U0ALICE&gt;'*`, tags `team=&lt;https://evil|click&gt;`");
  });
});
