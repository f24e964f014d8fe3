/** The disk child workflow: snapshots, copies into the forensics account, raw images. */
import { RETRY, step, fail } from './states.js';

export function acquireDiskDefinition() {
  const onError = 'DiskAcquisitionFailed';
  const disk = { 'disk.$': '$.Disk' };
  return {
    Comment:
      'forensics-bot acquire-disk: snapshots, re-encryption of aws/ebs ones, share and copy into the forensics account; bounded poll loops. Input {CaseId, InstanceId, Account, Region, RetainArtefacts}.',
    StartAt: 'CreateSnapshots',
    States: {
      CreateSnapshots: step('snapshotVolumes', { resultPath: '$.Disk', next: 'WaitForSnapshots', onError }),
      WaitForSnapshots: { Type: 'Wait', SecondsPath: '$.Disk.pollSeconds', Next: 'PollSnapshots' },
      PollSnapshots: step('pollSnapshots', {
        params: disk,
        resultPath: '$.Disk',
        next: 'SnapshotsReady',
        onError,
      }),
      SnapshotsReady: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.Disk.done', BooleanEquals: false, Next: 'WaitForSnapshots' },
          { Variable: '$.Disk.phase', StringEquals: 'snapshots', Next: 'ReencryptSnapshots' },
          { Variable: '$.Disk.phase', StringEquals: 'reencrypted', Next: 'CopySnapshots' },
        ],
        Default: 'RecordSnapshots',
      },
      ReencryptSnapshots: step('reencryptSnapshots', {
        params: disk,
        resultPath: '$.Disk',
        next: 'ReencryptionStarted',
        onError,
      }),
      ReencryptionStarted: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Disk.done', BooleanEquals: true, Next: 'CopySnapshots' }],
        Default: 'WaitForSnapshots',
      },
      CopySnapshots: step('copySnapshots', {
        params: disk,
        resultPath: '$.Disk',
        next: 'WaitForSnapshots',
        onError,
      }),
      RecordSnapshots: step('recordSnapshots', {
        params: { ...disk, 'retainArtefacts.$': '$.RetainArtefacts' },
        resultPath: '$.Recorded',
        next: 'StartDiskImages',
        onError,
      }),
      // Raw images from the locked copies (issue 11): one chunk per volume per invocation, looped, so no
      // image is bound by Lambda's 15 minutes; a failed chunk is retried with the same input (its resume point).
      StartDiskImages: step('startDiskImages', {
        params: disk,
        resultPath: '$.Imaging',
        next: 'ImagesDone',
        onError,
      }),
      ImagesDone: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Imaging.done', BooleanEquals: false, Next: 'ImageDisks' }],
        Default: 'RecordDiskImages',
      },
      ImageDisks: {
        ...step('imageDisks', {
          params: { 'imaging.$': '$.Imaging' },
          resultPath: '$.Imaging',
          next: 'ImagesDone',
          onError,
        }),
        Retry: [
          ...RETRY,
          {
            ErrorEquals: [
              'BlockReadFailedError',
              'BlockChecksumMismatchError',
              'HashThreadFailedError',
              'S3ServiceException',
              'InternalError',
            ],
            IntervalSeconds: 5,
            MaxAttempts: 3,
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          },
        ],
      },
      RecordDiskImages: step('recordDiskImages', {
        params: { ...disk, 'imaging.$': '$.Imaging' },
        resultPath: '$.Images',
        onError,
      }),
      [onError]: fail('Disk evidence was not secured; the case says why.'),
    },
  };
}
