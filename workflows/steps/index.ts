import { awaitApproval, checkApprovalExpiry, recordDenial } from './approval.js';
import { detachInstance } from './detach-instance.js';
import { imageDisks, recordDiskImages, startDiskImages } from './disk-image.js';
import {
  copySnapshots,
  pollSnapshots,
  recordSnapshots,
  reencryptSnapshots,
  snapshotVolumes,
} from './disk-snapshots.js';
import { examineEvidence } from './examine-evidence.js';
import {
  launchExamineWorker,
  pollExamineWorker,
  pollWorkerExamination,
  startWorkerExamination,
  terminateExamineWorker,
  workstationReady,
} from './examine-worker.js';
import { finishCase, secureAfterFailure, skipContainment } from './finish-case.js';
import { isolateNetwork } from './isolate-network.js';
import { writeManifest } from './manifest.js';
import { pollLiveTriage, recordTriageFailure, startLiveTriage, verifyLiveTriage } from './live-triage.js';
import { markContained } from './mark-contained.js';
import { pollMemoryCapture, startMemoryCapture } from './memory-capture.js';
import { prepareCase } from './prepare-case.js';
import { preserveInstance } from './preserve-instance.js';
import { recordConfiguration } from './record-configuration.js';
import { finishRelease, reattachInstance, restoreIam, restoreNetwork } from './release.js';
import { restrictIam } from './restrict-iam.js';
import { verifyEvidence } from './verify-evidence.js';
import type { StepModule } from './step.js';

/** Every step the definitions call, by the `step` name of the Lambda payload. */
export const STEPS: Record<string, StepModule> = Object.fromEntries(
  [
    prepareCase,
    recordConfiguration,
    preserveInstance,
    awaitApproval,
    checkApprovalExpiry,
    recordDenial,
    detachInstance,
    isolateNetwork,
    restrictIam,
    markContained,
    startMemoryCapture,
    pollMemoryCapture,
    verifyEvidence,
    startLiveTriage,
    pollLiveTriage,
    verifyLiveTriage,
    recordTriageFailure,
    snapshotVolumes,
    pollSnapshots,
    reencryptSnapshots,
    copySnapshots,
    recordSnapshots,
    startDiskImages,
    imageDisks,
    recordDiskImages,
    examineEvidence,
    launchExamineWorker,
    pollExamineWorker,
    startWorkerExamination,
    pollWorkerExamination,
    terminateExamineWorker,
    workstationReady,
    writeManifest,
    skipContainment,
    finishCase,
    secureAfterFailure,
    restoreNetwork,
    restoreIam,
    reattachInstance,
    finishRelease,
  ].map((s) => [s.name, s as unknown as StepModule]),
);

export type StepName = keyof typeof STEPS;
