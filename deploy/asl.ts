import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './bundling.js';

/**
 * Reading the state machine definitions in `workflows/definitions/*.asl.json`: their names, the
 * `${…}` placeholders they use, and the service integrations their Task states call, from which the
 * stack derives each state machine's least-privilege role.
 */

export const DEFINITIONS_DIR = join(REPO_ROOT, 'workflows', 'definitions');

export interface WorkflowDefinition {
  /** File name without `.asl.json`, e.g. `acquire-memory`. */
  readonly name: string;
  /** PascalCase of the name, e.g. `AcquireMemory` (the substitution `${AcquireMemoryStateMachineArn}`). */
  readonly pascal: string;
  readonly text: string;
}

export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** Every definition on disk, sorted by name. */
export function loadDefinitions(dir = DEFINITIONS_DIR): WorkflowDefinition[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));
  } catch {
    return [];
  }
  return files.sort().map((file) => {
    const name = basename(file, '.asl.json');
    return { name, pascal: pascalCase(name), text: readFileSync(join(dir, file), 'utf8') };
  });
}

/** The `${Name}` placeholders a definition uses (Step Functions definition substitutions). */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();
}

/** What one Task state calls. */
export type Integration =
  | { kind: 'lambda'; functionArn: string; waitForTaskToken: boolean }
  | { kind: 'startExecution'; stateMachineArn: string; sync: boolean }
  | { kind: 'other'; resource: string; state: string };

interface AslState {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Arguments?: Record<string, unknown>;
  Branches?: { States?: Record<string, AslState> }[];
  Iterator?: { States?: Record<string, AslState> };
  ItemProcessor?: { States?: Record<string, AslState> };
}

/** Walks every state (Parallel branches and Map processors included) and lists what the Tasks call. */
export function integrations(text: string): Integration[] {
  const definition = JSON.parse(text) as { States?: Record<string, AslState> };
  const found: Integration[] = [];
  const walk = (states: Record<string, AslState> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === 'Task' && state.Resource) found.push(classify(name, state));
      for (const branch of state.Branches ?? []) walk(branch.States);
      walk(state.Iterator?.States);
      walk(state.ItemProcessor?.States);
    }
  };
  walk(definition.States);
  return found;
}

function classify(name: string, state: AslState): Integration {
  const resource = state.Resource!;
  const params = state.Parameters ?? state.Arguments ?? {};
  const lambdaInvoke = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.exec(resource);
  if (lambdaInvoke) {
    const fn = params['FunctionName'] ?? params['FunctionName.$'];
    return { kind: 'lambda', functionArn: String(fn), waitForTaskToken: Boolean(lambdaInvoke[1]) };
  }
  if (/^(arn:aws:lambda:|\$\{[A-Za-z]+FunctionArn\})/.test(resource)) {
    return { kind: 'lambda', functionArn: resource, waitForTaskToken: false };
  }
  const start = /^arn:aws:states:::states:startExecution(\.sync(:2)?)?$/.exec(resource);
  if (start) {
    const arn = params['StateMachineArn'] ?? params['StateMachineArn.$'];
    return { kind: 'startExecution', stateMachineArn: String(arn), sync: Boolean(start[1]) };
  }
  return { kind: 'other', resource, state: name };
}
