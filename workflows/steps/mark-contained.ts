import { recordContained } from '../../bot/core/case-store.js';
import { member } from '../aws/member.js';
import { INSTANCE_STATUS, tagInstance } from './instance.js';
import { advanceCase, defineStep, scopeOf, TargetInput } from './step.js';

/** Containment is complete: the tag and the case say so. */
export const markContained = defineStep({
  name: 'markContained',
  label: 'Contained',
  input: TargetInput,
  async run(input) {
    await tagInstance(member(scopeOf(input)), input.instanceId, INSTANCE_STATUS.contained, input.caseId);
    const containedAt = new Date().toISOString();
    await advanceCase(input.caseId, 'contained');
    await recordContained(input.caseId, containedAt);
    return { containedAt };
  },
  report: () => ({ outcome: 'succeeded', detail: 'isolated, out of service, permissions restricted' }),
});
