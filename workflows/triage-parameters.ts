import { CAPTURE_PARAMETERS, type CaptureParameter } from './capture-parameters.js';

/**
 * The parameters of the `ForensicsBot-LiveTriage` document (workflows/scripts/live-triage.sh): what
 * `workflows/steps/live-triage.ts` sends, what the deploy declares, what the sandbox's SSM accepts. They are
 * the capture's destination parameters with the capture's patterns (workflows/capture-parameters.ts owns
 * them): the archive goes where the image goes, under `CASE-…/memory/`, the one prefix the evidence bucket's
 * policy admits for the quarantine profile's uploads. None is a secret.
 */
const from = (name: string): CaptureParameter => {
  const p = CAPTURE_PARAMETERS[name];
  if (!p) throw new Error(`the capture declares no ${name} parameter`);
  return p;
};

export const TRIAGE_PARAMETERS: Record<string, CaptureParameter> = {
  CaseId: from('CaseId'),
  Bucket: from('Bucket'),
  Key: { ...from('Key'), description: 'Object key of the triage archive' },
  Region: from('Region'),
  KmsKeyId: from('KmsKeyId'),
  InstanceProfile: from('InstanceProfile'),
};
