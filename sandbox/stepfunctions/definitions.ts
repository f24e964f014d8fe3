import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where the workflows live. */
export const DEFINITIONS_DIR = join(import.meta.dirname, '..', '..', 'workflows', 'definitions');

/** `acquire-memory` -> `AcquireMemory` (the `${AcquireMemoryStateMachineArn}` substitution). */
export const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');

/** `AcquireMemory` -> `acquire-memory`. */
export const kebab = (pascalName: string) => pascalName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** Every `workflows/definitions/*.asl.json` by name (`case`, `contain`, …), as written (placeholders kept). */
export function loadDefinitions(dir = DEFINITIONS_DIR): Record<string, object> {
  const out: Record<string, object> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .sort())
    out[basename(file, '.asl.json')] = JSON.parse(readFileSync(join(dir, file), 'utf8')) as object;
  return out;
}

export interface Arns {
  stepsFunction: string;
  stateMachine: (name: string) => string;
}

/**
 * Replaces the CDK definition substitutions (`${StepsFunctionArn}`, `${<Pascal>StateMachineArn}`) as the
 * deploy does, so the definition validates and runs with real-looking ARNs.
 */
export function substitute(definition: object, arns: Arns): object {
  const text = JSON.stringify(definition)
    .replaceAll('${StepsFunctionArn}', arns.stepsFunction)
    .replace(/\$\{([A-Za-z0-9]+)StateMachineArn\}/g, (_m, p: string) => arns.stateMachine(kebab(p)));
  const left = text.match(/\$\{[A-Za-z0-9_]+\}/);
  if (left) throw new Error(`Definition uses ${left[0]}, which the local runner cannot substitute`);
  return JSON.parse(text) as object;
}
