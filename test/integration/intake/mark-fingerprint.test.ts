import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../../bot/findings/normalize.js';
import { getFingerprint, markFingerprint, recordDelivery } from '../../../bot/intake/fingerprints.js';
import { loadEvent } from '../../support/events.js';
import { useCaseTable } from '../../support/table.js';
import { guardDutyEvent } from '../../unit/findings/fixtures.js';

function aFinding() {
  const detail = loadEvent('guardduty', 'guardduty-detailonly-ec2-canary-stateless-integtest.sample');
  const finding = normalizeEvent(guardDutyEvent(detail)).findings[0];
  if (!finding) throw new Error('the fixture gave no finding');
  return finding;
}

useCaseTable();

describe('Store: markFingerprint (the Slack side takes a card over)', () => {
  it('records the case or the dismissal on a fingerprint intake knows', async () => {
    const fingerprint = `gd:mark-${Date.now()}`;
    await recordDelivery(fingerprint, aFinding(), 'd-1', new Date(), 7);
    await markFingerprint(fingerprint, { caseId: 'CASE-20261123-AB12' });
    await markFingerprint(fingerprint, { dismissedBy: 'U0ALICE' });
    const record = await getFingerprint(fingerprint);
    expect(record?.caseId).toBe('CASE-20261123-AB12');
    expect(record?.dismissedBy).toBe('U0ALICE');
  });

  it('never creates a half record for a card intake never posted (a case opened by tag or command)', async () => {
    const fingerprint = `gd:unknown-${Date.now()}`;
    await expect(markFingerprint(fingerprint, { caseId: 'CASE-20261123-AB12' })).resolves.toBeUndefined();
    expect(await getFingerprint(fingerprint)).toBeUndefined();
  });
});
