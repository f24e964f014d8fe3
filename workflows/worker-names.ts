/**
 * Names the forensic worker's deploy (deploy/constructs/examine-worker.ts, forensic-ami.ts) and its steps
 * (workflows/steps/examine-worker.ts) share (issue 12, item 4). The launcher's IAM conditions name them,
 * so a step that tagged or named differently would be refused, never half-allowed.
 */
export const WORKER_NAMES = {
  /** Role the steps assume in the forensics account to run workers. */
  launcherRole: 'ForensicsBot-ExamineLauncher',
  /** The Command document that runs the examination on a worker (workflows/scripts/examine-worker.sh). */
  examineDocument: 'ForensicsBot-Examine',
  /** Every case's worker role and instance profile live under this path. */
  rolePath: '/forensics-bot/worker/',
  /** The permissions boundary every worker role is created with. */
  boundaryPolicy: 'forensics-bot-worker-boundary',
  /** The launch settings (JSON) the forensics stack writes and the launch step reads. */
  settingsParameter: '/forensics-bot/examine-worker/settings',
  /** Where the AMI pipeline writes the newest AMI id. */
  amiParameter: '/forensics-bot/examine-worker/ami',
  /** The tag every worker carries (the launcher may terminate and command tagged workers only). */
  roleTag: 'forensics-bot:role',
  roleTagValue: 'examine-worker',
  /** The investigator's workstation (`/forensics workstation`) carries this value instead. */
  workstationTagValue: 'workstation',
} as const;
