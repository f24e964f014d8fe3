import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../bundling.js';
import { NAMES } from '../names.js';
import { CAPTURE_PARAMETERS, type CaptureParameter } from '../../workflows/capture-parameters.js';
import { TRIAGE_PARAMETERS } from '../../workflows/triage-parameters.js';

/**
 * The bot's Command documents, each one shell script of `workflows/scripts/` run on Linux with validated
 * parameters (their patterns: workflows/capture-parameters.ts, workflows/triage-parameters.ts): `ForensicsBot-CaptureMemory`
 * (capture-memory.sh) and `ForensicsBot-LiveTriage` (live-triage.sh).
 */
export const SCRIPTS_DIR = join(REPO_ROOT, 'workflows', 'scripts');

/** The capture document's parameters and their allowed patterns. */
export const PARAMETER_PATTERNS = CAPTURE_PARAMETERS;

/** What makes a script a document. */
export interface ScriptDocumentSpec {
  /** The document's name (deploy/names.ts). */
  readonly name: string;
  /** Which file of `workflows/scripts/` it ships (the first `.sh`/`.bash` whose name matches). */
  readonly file: RegExp;
  readonly parameters: Record<string, CaptureParameter>;
  readonly description: string;
  /** The step's name (`PluginName` in GetCommandInvocation). */
  readonly stepName: string;
  readonly timeoutSeconds: number;
}

export const CAPTURE_MEMORY: ScriptDocumentSpec = {
  name: NAMES.captureMemoryDocument,
  file: /memory/i,
  parameters: CAPTURE_PARAMETERS,
  description:
    'forensics-bot: stream a memory image of this instance to the evidence bucket (nothing written to disk)',
  stepName: 'captureMemory',
  timeoutSeconds: 7200,
};

export const LIVE_TRIAGE: ScriptDocumentSpec = {
  name: NAMES.liveTriageDocument,
  file: /triage/i,
  parameters: TRIAGE_PARAMETERS,
  description:
    'forensics-bot: live triage of this instance (processes, sockets, users, modules, mounts, crontabs) as one archive to the evidence bucket (built in RAM)',
  stepName: 'liveTriage',
  timeoutSeconds: 600,
};

/** The script a document ships (first matching `.sh`/`.bash` in `workflows/scripts/`). */
export function findScript(file: RegExp, dir = SCRIPTS_DIR): string | undefined {
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir)
    .filter((f) => file.test(f) && /\.(sh|bash)$/.test(f))
    .sort()[0];
  return found ? join(dir, found) : undefined;
}

/** The memory-capture script shipped by the workflows (first `*memory*` script in `workflows/scripts/`). */
export function findCaptureScript(dir = SCRIPTS_DIR): string | undefined {
  return findScript(CAPTURE_MEMORY.file, dir);
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
    throw new Error('the script has a here-document: its comment-like lines cannot be dropped');
  return script.split('\n').filter((line, i) => (i === 0 ? true : !/^\s*(#.*)?$/.test(line)));
}

/** The SSM Command document (schema 2.2) running the script on Linux with validated parameters. */
export function scriptDocumentContent(script: string, spec: ScriptDocumentSpec): Record<string, unknown> {
  const names = scriptParameters(script);
  const unknown = names.filter((n) => !spec.parameters[n]);
  if (unknown.length > 0) {
    throw new Error(
      `the ${spec.name} script uses {{ ${unknown.join(' }}, {{ ')} }} which the document does not declare (workflows/capture-parameters.ts, triage-parameters.ts)`,
    );
  }
  return {
    schemaVersion: '2.2',
    description: spec.description,
    parameters: Object.fromEntries(
      names.map((n) => {
        const p = spec.parameters[n]!;
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
        name: spec.stepName,
        precondition: { StringEquals: ['platformType', 'Linux'] },
        inputs: { timeoutSeconds: String(spec.timeoutSeconds), runCommand: shippedLines(script) },
      },
    ],
  };
}

export const captureMemoryContent = (script: string) => scriptDocumentContent(script, CAPTURE_MEMORY);
export const liveTriageContent = (script: string) => scriptDocumentContent(script, LIVE_TRIAGE);

export interface ScriptDocumentProps {
  /** Script text (default: read from `workflows/scripts/` at synth time). */
  readonly script?: string;
}
export type CaptureMemoryDocumentProps = ScriptDocumentProps;

/** One of the bot's Command documents in this account and region; none (and a warning) without its script. */
export class ScriptDocument extends Construct {
  readonly document?: ssm.CfnDocument;

  constructor(scope: Construct, id: string, spec: ScriptDocumentSpec, props: ScriptDocumentProps = {}) {
    super(scope, id);
    const path = props.script === undefined ? findScript(spec.file) : undefined;
    const script = props.script ?? (path ? readFileSync(path, 'utf8') : undefined);
    if (script === undefined) {
      Annotations.of(this).addWarningV2(
        'forensics-bot:NoDocumentScript',
        `No script matching ${spec.file} in ${SCRIPTS_DIR}: the ${spec.name} document is not created`,
      );
      return;
    }
    this.document = new ssm.CfnDocument(this, 'Document', {
      name: spec.name,
      documentType: 'Command',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      targetType: '/AWS::EC2::Instance',
      content: scriptDocumentContent(script, spec),
    });
  }
}

/** The `ForensicsBot-CaptureMemory` Command document. */
export class CaptureMemoryDocument extends ScriptDocument {
  constructor(scope: Construct, id: string, props: ScriptDocumentProps = {}) {
    super(scope, id, CAPTURE_MEMORY, props);
  }
}

/** The `ForensicsBot-LiveTriage` Command document (run after the memory capture). */
export class LiveTriageDocument extends ScriptDocument {
  constructor(scope: Construct, id: string, props: ScriptDocumentProps = {}) {
    super(scope, id, LIVE_TRIAGE, props);
  }
}
