/**
 * `CONTAIN_TAG_APPROVAL` (issue 10, item 10): by default a `SecurityIncidentStatus=Contain` tag contains
 * without approval (whoever may tag the instance has decided, as in the seed framework); set to `required`,
 * the tag's case waits for a commander like any other containment. A custom action always asks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StartCaseRequest } from '../../../bot/cases/service.js';
import { processEvent } from '../../../bot/intake/service.js';
import { useCaseTable } from '../../support/table.js';
import { tagChange } from '../../unit/findings/fixtures.js';
import { setIntakeEnv, useLocalSlack } from './support.js';

useCaseTable();
useLocalSlack();
afterEach(() => setIntakeEnv({ CONTAIN_TAG_APPROVAL: undefined }));

async function approvalOfContainTag(instanceId: string): Promise<StartCaseRequest['approval']> {
  const calls: StartCaseRequest[] = [];
  await processEvent(
    tagChange(instanceId, { SecurityIncidentStatus: 'Contain' }, ['SecurityIncidentStatus']),
    {
      startCase: async (req) => {
        calls.push(req);
        return { record: { id: 'CASE-20240101-CCCC' } as never, created: true };
      },
    },
  );
  expect(calls).toHaveLength(1);
  return calls[0]!.approval;
}

describe('Setting: CONTAIN_TAG_APPROVAL', () => {
  it('a Contain tag contains without approval by default', async () => {
    expect(await approvalOfContainTag('i-0123456789abcdef1')).toBe('not-required');
  });

  it('with CONTAIN_TAG_APPROVAL=required a Contain tag asks a commander', async () => {
    setIntakeEnv({ CONTAIN_TAG_APPROVAL: 'required' });
    expect(await approvalOfContainTag('i-0123456789abcdef2')).toBe('required');
  });

  it('refuses a value it does not know at cold start, naming the setting', async () => {
    setIntakeEnv({ CONTAIN_TAG_APPROVAL: 'sometimes' });
    await expect(approvalOfContainTag('i-0123456789abcdef3')).rejects.toThrow(/CONTAIN_TAG_APPROVAL/);
  });
});
