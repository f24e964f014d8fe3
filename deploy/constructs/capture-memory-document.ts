import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../bundling.js';
import { NAMES } from '../names.js';
import { CAPTURE_PARAMETERS } from '../../workflows/capture-parameters.js';

export const SCRIPTS_DIR = join(REPO_ROOT, 'workflows', 'scripts');

/** The document's parameters and their allowed patterns (one owner: workflows/capture-parameters.ts). */
export const PARAMETER_PATTERNS = CAPTURE_PARAMETERS;

/** The memory-capture script shipped by the workflows (first `*memory*` script in `workflows/scripts/`). */
export function findCaptureScript(dir = SCRIPTS_DIR): string | undefined {
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir)
    .filter((f) => /memory/i.test(f) && /\.(sh|bash)$/.test(f))
    .sort()[0];
  return file ? join(dir, file) : undefined;
}

/**
 * Parameters a script uses: `$SSM_Name` (environment variables, `interpolationType: ENV_VAR`) and any
 * `{{ Name }}` (which an agent would splice into the text: the shipped script has none).
 */
export function scriptParameters(script: string): string[] {
  const braces = [...script.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!);
  const env = [...script.matchAll(/\bSSM_([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return [...new Set([...braces, ...env])].sort();
}

/**
 * The script as the document carries it: without its comment-only and blank lines (the member stack is
 * deployed as a StackSet from an inline template, at most 51,200 bytes). Only whole-line comments go: the
 * script has no here-documents, so no such line is data.
 */
export function shippedLines(script: string): string[] {
  if (/(^|[^<])<<-?\s*['"]?[A-Za-z_]\w*['"]?\s*$/m.test(script))
    throw new Error('the capture script has a here-document: its comment-like lines cannot be dropped');
  return script.split('\n').filter((line, i) => (i === 0 ? true : !/^\s*(#.*)?$/.test(line)));
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
        inputs: { timeoutSeconds: '7200', runCommand: shippedLines(script) },
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
