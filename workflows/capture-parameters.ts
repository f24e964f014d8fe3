/**
 * The parameters of the `ForensicsBot-CaptureMemory` document (memory capture contract, shared/DESIGN.md):
 * what `workflows/steps/memory-capture.ts` sends, what the deploy declares with these allowed patterns (SSM
 * rejects a command whose value does not match, so no value can smuggle shell into the script), and what the
 * sandbox's SSM accepts. None is a secret: anyone with `ssm:ListCommands` in the member account reads them.
 */
export interface CaptureParameter {
  pattern: string;
  description: string;
  optional?: boolean;
}

export const CAPTURE_PARAMETERS: Record<string, CaptureParameter> = {
  CaseId: { pattern: '^CASE-\\d{8}-[0-9A-HJKMNP-TV-Z]{4}$', description: 'The case id' },
  Bucket: { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'Evidence bucket' },
  Key: {
    pattern: '^CASE-\\d{8}-[0-9A-HJKMNP-TV-Z]{4}/memory/[A-Za-z0-9._-]{1,200}$',
    description: 'Object key of the image',
  },
  Region: { pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d{1,2}$', description: 'Region of the evidence bucket' },
  KmsKeyId: {
    pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(key|alias)/[A-Za-z0-9/_-]{1,256}$',
    description: 'The evidence bucket key the upload names (SSE-KMS)',
  },
  ToolsUri: {
    pattern: '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([A-Za-z0-9._/-]*/)?$',
    description: 'Tools prefix holding avml-x86_64 and avml-aarch64',
  },
  AvmlSha256: { pattern: '^[0-9a-f]{64}$', description: 'Pinned SHA-256 of the AVML of this architecture' },
  InstanceProfile: {
    pattern: '^([\\w+=,.@-]{1,128})?$',
    description:
      'The instance profile the workflow put on: the upload waits until the metadata service serves its credentials',
    optional: true,
  },
  Tool: { pattern: '^(avml|lime|auto)?$', description: 'Capture tool', optional: true },
  LimeModuleUri: {
    pattern: '^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._-]+)*/?)?$',
    description: 'LiME module prefix (<prefix>/<kernel>/<arch>/lime.ko)',
    optional: true,
  },
};
