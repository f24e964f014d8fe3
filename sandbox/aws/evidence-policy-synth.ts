/**
 * Synthesizes the evidence bucket construct of the deploy (`deploy/constructs/evidence-bucket.ts`) and
 * keeps its bucket and key policies, unresolved, in `sandbox/aws/evidence-policy.json`, which the simulated
 * S3 evaluates (`services/s3-policy.ts`). Run `npx tsx sandbox/aws/evidence-policy-synth.ts` after changing
 * the construct; a test (`test/integration/sim/s3-policy.test.ts`) fails while the file is stale. Kept out
 * of the sandbox's start-up path because loading aws-cdk-lib and synthesizing takes seconds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { EvidenceBucket } from '../../deploy/constructs/evidence-bucket.js';
import type { EvidencePolicyFile } from './evidence-policy.js';

export const EVIDENCE_POLICY_FILE = join(import.meta.dirname, 'evidence-policy.json');

/** The construct's policies as CloudFormation writes them, with `{{…}}` for the values the sandbox gives. */
export function synthesizeEvidencePolicy(): EvidencePolicyFile {
  const app = new App();
  // Environment-agnostic: account, region and partition stay `Ref`s the sandbox resolves per bucket.
  const stack = new Stack(app, 'EvidencePolicy');
  new EvidenceBucket(stack, 'Evidence', {
    retentionDays: 365,
    retentionMode: 'COMPLIANCE',
    glacierAfterDays: 0,
    stepsRoleArn: '{{StepsRoleArn}}',
    organizationId: '{{OrganizationId}}',
  });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = Object.entries(template.Resources);
  const find = (type: string, test: (id: string) => boolean = () => true) => {
    const hit = resources.find(([id, r]) => r.Type === type && test(id));
    if (!hit) throw new Error(`The evidence bucket construct has no ${type}`);
    return hit;
  };
  const [bucketId] = find('AWS::S3::Bucket', (id) => id.startsWith('EvidenceBucket'));
  const [keyId, key] = find('AWS::KMS::Key');
  const [, policy] = find(
    'AWS::S3::BucketPolicy',
    (id) => (template.Resources[id]!.Properties.Bucket as { Ref?: string }).Ref === bucketId,
  );
  return {
    bucketLogicalId: bucketId,
    keyLogicalId: keyId,
    bucketPolicy: policy.Properties.PolicyDocument,
    keyPolicy: key.Properties.KeyPolicy,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  writeFileSync(EVIDENCE_POLICY_FILE, `${JSON.stringify(synthesizeEvidencePolicy(), null, 2)}\n`);
