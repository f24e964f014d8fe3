/**
 * The evidence bucket's policy as the deploy writes it (`evidence-policy.json`, generated from the CDK
 * construct by `evidence-policy-synth.ts`), resolved for one simulated bucket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BucketPolicy, resolveIntrinsics } from './services/s3-policy.js';

export interface EvidencePolicyFile {
  bucketLogicalId: string;
  keyLogicalId: string;
  bucketPolicy: unknown;
  keyPolicy: unknown;
}

/** The organization id the simulated accounts belong to (`aws:PrincipalOrgID`). */
export const SANDBOX_ORGANIZATION_ID = 'o-sandbox0001';

export interface EvidencePolicyValues {
  bucket: string;
  owner: string;
  region: string;
  keyArn: string;
  stepsRoleArn: string;
  organizationId?: string;
}

let cached: EvidencePolicyFile | undefined;

export function evidencePolicyFile(): EvidencePolicyFile {
  cached ??= JSON.parse(readFileSync(join(import.meta.dirname, 'evidence-policy.json'), 'utf8'));
  return cached!;
}

/** The bucket policy with its `Ref`s, `Fn::GetAtt`s and `{{…}}` placeholders resolved. */
export function evidenceBucketPolicy(
  v: EvidencePolicyValues,
  file: EvidencePolicyFile = evidencePolicyFile(),
): BucketPolicy {
  const values = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': v.owner,
    'AWS::Region': v.region,
    [`${file.bucketLogicalId}.Arn`]: `arn:aws:s3:::${v.bucket}`,
    [file.bucketLogicalId]: v.bucket,
    [`${file.keyLogicalId}.Arn`]: v.keyArn,
    StepsRoleArn: v.stepsRoleArn,
    OrganizationId: v.organizationId ?? SANDBOX_ORGANIZATION_ID,
  };
  return resolveIntrinsics(file.bucketPolicy, values) as BucketPolicy;
}
