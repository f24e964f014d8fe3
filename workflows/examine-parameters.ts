import { CAPTURE_PARAMETERS, type CaptureParameter } from './capture-parameters.js';

/**
 * The parameters of the `ForensicsBot-Examine` document (workflows/scripts/examine-worker.sh, run on the
 * forensic worker): what `workflows/steps/examine-worker.ts` sends, what the deploy declares with these
 * patterns (SSM refuses a value that does not match, so none can smuggle shell into the script), what the
 * sandbox's SSM accepts. None is a secret: the worker reads the evidence with its own instance profile.
 */
const from = (name: string): CaptureParameter => {
  const p = CAPTURE_PARAMETERS[name];
  if (!p) throw new Error(`the capture declares no ${name} parameter`);
  return p;
};

const ISO = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$';

export const EXAMINE_PARAMETERS: Record<string, CaptureParameter> = {
  CaseId: from('CaseId'),
  Bucket: from('Bucket'),
  Region: from('Region'),
  KmsKeyId: from('KmsKeyId'),
  // JSON of the inputs: [{"kind","key","versionId","sha256","bytes"}]; only the characters such JSON of
  // case keys, version ids and hex hashes uses (no quote-escaping, no `$`, no backquote).
  Inputs: {
    pattern: '^\\[[A-Za-z0-9._/:,"{}+= -]{2,7000}\\]$',
    description: 'The evidence objects to examine, with the SHA-256 and size the case recorded (JSON)',
  },
  Iocs: {
    pattern: '^[A-Za-z0-9.:,_-]{0,2000}$',
    description: 'The finding indicators (comma-separated)',
    optional: true,
  },
  Since: { pattern: ISO, description: 'Start of the timeline window (ISO-8601 UTC)' },
  LockMode: { pattern: '^(COMPLIANCE|GOVERNANCE)$', description: 'Object Lock mode of the outputs' },
  RetainUntil: { pattern: ISO, description: 'Object Lock retention of the outputs (ISO-8601 UTC)' },
  Mode: {
    pattern: '^(examine|fetch)?$',
    description:
      'examine (default): examine and upload the outputs; fetch: only read and verify the evidence onto the worker (an investigator workstation)',
    optional: true,
  },
  Stamp: {
    pattern: '^\\d{8}T\\d{6,9}Z$',
    description: 'This examination run (the folder of its outputs when an earlier run kept the plain names)',
  },
};

/** One input as the document's `Inputs` carries it. */
export interface WorkerInput {
  kind: 'disk-image' | 'memory' | 'triage';
  key: string;
  versionId?: string;
  sha256: string;
  bytes?: number;
}
