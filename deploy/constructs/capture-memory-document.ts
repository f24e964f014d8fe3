import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../bundling.js';
import { NAMES } from '../names.js';

export const SCRIPTS_DIR = join(REPO_ROOT, 'workflows', 'scripts');

/**
 * Allowed patterns of the document's parameters: SSM rejects a command whose value does not match, so a
 * case id or object key can never smuggle shell into the script. Every `{{ Name }}` the script uses must
 * be listed here, or the synth fails naming it.
 */
export const PARAMETER_PATTERNS: Record<
  string,
  { pattern: string; description: string; optional?: boolean }
> = {
  CaseId: { pattern: '^CASE-\\d{8}-[0-9A-HJKMNP-TV-Z]{4}$', description: 'The case id' },
  Bucket: { pattern: '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$', description: 'Evidence bucket' },
  Key: {
    pattern: '^CASE-\\d{8}-[0-9A-HJKMNP-TV-Z]{4}/[A-Za-z0-9._/-]{1,900}$',
    description: 'Object key of the image',
  },
  Region: { pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d{1,2}$', description: 'Region of the evidence bucket' },
  ExpectedBytes: {
    pattern: '^\\d{0,15}$',
    description: 'Expected size of the memory image in bytes',
    optional: true,
  },
  AccessKeyId: { pattern: '^[A-Z0-9]{16,128}$', description: 'Upload session access key id' },
  SecretAccessKey: { pattern: '^[A-Za-z0-9/+=]{16,128}$', description: 'Upload session secret key' },
  SessionToken: { pattern: '^[A-Za-z0-9/+=]{16,4096}$', description: 'Upload session token' },
  LimeModuleUri: {
    pattern: '^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]{0,900})?)?$',
    description: 'LiME module prefix',
    optional: true,
  },
  Tool: { pattern: '^(avml|lime|auto)?$', description: 'Capture tool', optional: true },
};

/** The memory-capture script shipped by the workflows (first `*memory*` script in `workflows/scripts/`). */
export function findCaptureScript(dir = SCRIPTS_DIR): string | undefined {
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir)
    .filter((f) => /memory/i.test(f) && /\.(sh|bash)$/.test(f))
    .sort()[0];
  return file ? join(dir, file) : undefined;
}

/**
 * Parameters a script uses: `{{ Name }}` (interpolated into the text by older agents) and `$SSM_Name`
 * (environment variables, `interpolationType: ENV_VAR`, the only way the upload credentials arrive).
 */
export function scriptParameters(script: string): string[] {
  const braces = [...script.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!);
  const env = [...script.matchAll(/\bSSM_([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return [...new Set([...braces, ...env])].sort();
}

/** The SSM Command document (schema 2.2) running the script on Linux with validated parameters. */
export function captureMemoryContent(script: string): Record<string, unknown> {
  const names = scriptParameters(script);
  const unknown = names.filter((n) => !PARAMETER_PATTERNS[n]);
  if (unknown.length > 0) {
    throw new Error(
      `the memory-capture script uses {{ ${unknown.join(' }}, {{ ')} }} which has no allowed pattern in deploy/constructs/capture-memory-document.ts`,
    );
  }
  return {
    schemaVersion: '2.2',
    description:
      'forensics-bot: stream a memory image of this instance to the evidence bucket (nothing written to disk)',
    parameters: Object.fromEntries(
      names.map((n) => {
        const p = PARAMETER_PATTERNS[n]!;
        return [
          n,
          {
            type: 'String',
            description: p.description,
            // values reach the script as SSM_<Name> environment variables, never spliced into its text
            interpolationType: 'ENV_VAR',
            allowedPattern: p.pattern,
            ...(p.optional ? { default: '' } : {}),
          },
        ];
      }),
    ),
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'captureMemory',
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: { timeoutSeconds: '7200', runCommand: script.split('\n') },
      },
    ],
  };
}

export interface CaptureMemoryDocumentProps {
  /** Script text (default: read from `workflows/scripts/` at synth time). */
  readonly script?: string;
}

/** The `ForensicsBot-CaptureMemory` Command document in this account and region. */
export class CaptureMemoryDocument extends Construct {
  readonly document?: ssm.CfnDocument;

  constructor(scope: Construct, id: string, props: CaptureMemoryDocumentProps = {}) {
    super(scope, id);
    const path = props.script === undefined ? findCaptureScript() : undefined;
    const script = props.script ?? (path ? readFileSync(path, 'utf8') : undefined);
    if (script === undefined) {
      Annotations.of(this).addWarningV2(
        'forensics-bot:NoCaptureScript',
        `No memory-capture script in ${SCRIPTS_DIR}: the ${NAMES.captureMemoryDocument} document is not created`,
      );
      return;
    }
    this.document = new ssm.CfnDocument(this, 'Document', {
      name: NAMES.captureMemoryDocument,
      documentType: 'Command',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      targetType: '/AWS::EC2::Instance',
      content: captureMemoryContent(script),
    });
  }
}
