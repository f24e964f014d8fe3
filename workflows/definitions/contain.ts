/** The containment child workflow. */
import { step, fail } from './states.js';

export function containDefinition() {
  const onError = 'ContainmentFailed';
  const P = { 'caseId.$': '$.CaseId' };
  void P;
  return {
    Comment:
      'forensics-bot contain: detach, isolate (two moves per ENI), restrict IAM, tag. Input {CaseId, InstanceId, Account, Region, KeepEndpoints}.',
    StartAt: 'DetachInstance',
    States: {
      DetachInstance: step('detachInstance', { next: 'IsolateNetwork', onError }),
      IsolateNetwork: step('isolateNetwork', {
        params: { 'keepEndpoints.$': '$.KeepEndpoints' },
        next: 'ChooseProfile',
        onError,
      }),
      ChooseProfile: {
        Type: 'Choice',
        Choices: [{ Variable: '$.KeepEndpoints', BooleanEquals: true, Next: 'QuarantineProfile' }],
        Default: 'DenyAllProfile',
      },
      QuarantineProfile: step('restrictIam', {
        params: { mode: 'quarantine' },
        next: 'MarkContained',
        onError,
      }),
      DenyAllProfile: step('restrictIam', { params: { mode: 'deny-all' }, next: 'MarkContained', onError }),
      MarkContained: step('markContained', { onError }),
      [onError]: fail('Containment stopped; the case records which ENIs moved.'),
    },
  };
}
