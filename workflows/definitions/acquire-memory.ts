/** The memory child workflow: capture, verify, live triage. */
import { catchTo, step, fail } from './states.js';

export function acquireMemoryDefinition() {
  const onError = 'MemoryCaptureFailed';
  return {
    Comment:
      'forensics-bot acquire-memory: SSM capture script streams to S3 as the quarantine profile; bounded poll loop (cancelled at its end); the image re-read and hashed in the forensics account; then the live triage the same way (optional: recorded when not collected). Input {CaseId, InstanceId, Account, Region}.',
    StartAt: 'StartCapture',
    States: {
      StartCapture: step('startMemoryCapture', { resultPath: '$.Memory', next: 'WaitForCapture', onError }),
      WaitForCapture: { Type: 'Wait', SecondsPath: '$.Memory.pollSeconds', Next: 'PollCapture' },
      PollCapture: step('pollMemoryCapture', {
        params: { 'memory.$': '$.Memory' },
        resultPath: '$.Memory',
        next: 'CaptureDone',
        onError,
      }),
      CaptureDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Memory.done', BooleanEquals: true, Next: 'VerifyImage' }],
        Default: 'WaitForCapture',
      },
      VerifyImage: step('verifyEvidence', {
        comment:
          'Re-reads the uploaded version in the forensics account and hashes it; a mismatch fails. The quarantine profile stays on for the live triage, which restores an analysis profile after it.',
        params: { 'memory.$': '$.Memory', keepProfile: true },
        resultPath: '$.Verified',
        next: 'StartTriage',
        onError,
      }),
      // Live triage (issue 12): only here, after a verified image (so on a Linux instance whose SSM agent
      // was online) and before isolation is tightened. Optional evidence: every failure is recorded and the
      // acquisition still succeeds.
      StartTriage: step('startLiveTriage', {
        params: { 'memory.$': '$.Memory' },
        resultPath: '$.Triage',
        next: 'WaitForTriage',
        onError: 'TriageNotCollected',
        catchers: catchTo('TriageNotCollected', '$.TriageFailure'),
      }),
      WaitForTriage: { Type: 'Wait', SecondsPath: '$.Triage.pollSeconds', Next: 'PollTriage' },
      PollTriage: step('pollLiveTriage', {
        params: { 'triage.$': '$.Triage' },
        resultPath: '$.Triage',
        next: 'TriageDone',
        onError: 'TriageNotCollected',
        catchers: catchTo('TriageNotCollected', '$.TriageFailure'),
      }),
      TriageDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Triage.done', BooleanEquals: true, Next: 'VerifyTriage' }],
        Default: 'WaitForTriage',
      },
      VerifyTriage: step('verifyLiveTriage', {
        comment:
          'Re-reads the archive in the forensics account and hashes it; recorded as a triage artifact.',
        params: { 'triage.$': '$.Triage' },
        resultPath: '$.TriageVerified',
        next: 'Captured',
        onError: 'TriageNotCollected',
        catchers: catchTo('TriageNotCollected', '$.TriageFailure'),
      }),
      TriageNotCollected: step('recordTriageFailure', {
        comment:
          'Says why the triage was not collected and restores an analysis profile; never fails memory.',
        params: { 'failure.$': '$.TriageFailure' },
        resultPath: '$.TriageReport',
        next: 'Captured',
        onError: 'Captured',
        catchers: catchTo('Captured', '$.TriageReportFailure'),
      }),
      Captured: { Type: 'Succeed' },
      [onError]: fail('Memory was not captured; the case says why.'),
    },
  };
}
