/** The release child workflow: puts back what containment changed. */
import { step, fail } from './states.js';

export function releaseDefinition() {
  const onError = 'ReleaseFailed';
  return {
    Comment:
      'forensics-bot release: restore the recorded configuration; evidence untouched. Input {CaseId, InstanceId, Account, Region}.',
    StartAt: 'RestoreNetwork',
    States: {
      RestoreNetwork: step('restoreNetwork', { next: 'RestoreIam', onError }),
      RestoreIam: step('restoreIam', { next: 'ReattachInstance', onError }),
      ReattachInstance: step('reattachInstance', { next: 'FinishRelease', onError }),
      FinishRelease: step('finishRelease', { onError }),
      [onError]: fail('Release stopped part-way; the case records what was restored.'),
    },
  };
}
