import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * The state machine definitions as files: `workflows/definitions/<name>.asl.json`, with `${Name}` CDK
 * definition substitutions (`${StepsFunctionArn}`, `${<Pascal>StateMachineArn}`). One reader for the
 * deploy (which substitutes the real ARNs), the local runner and the tests.
 */

export const DEFINITIONS_DIR = import.meta.dirname;

export interface DefinitionFile {
  /** File name without `.asl.json`, e.g. `acquire-memory`. */
  readonly name: string;
  /** PascalCase of the name, e.g. `AcquireMemory` (the substitution `${AcquireMemoryStateMachineArn}`). */
  readonly pascal: string;
  readonly text: string;
}

/** `acquire-memory` -> `AcquireMemory`. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** `AcquireMemory` -> `acquire-memory`. */
export function kebabCase(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Every definition file, sorted by name (none when the folder is missing). */
export function readDefinitions(dir = DEFINITIONS_DIR): DefinitionFile[] {
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

const SUBSTITUTION = /\$\{([A-Za-z0-9_]+)\}/g;

/** The `${Name}` substitutions a definition uses, each once, sorted. */
export function substitutionNames(text: string): string[] {
  return [...new Set([...text.matchAll(SUBSTITUTION)].map((m) => m[1]!))].sort();
}

/** The definition with every `${Name}` replaced; a name without a value is an error naming it. */
export function substitute(text: string, values: (name: string) => string | undefined): string {
  return text.replace(SUBSTITUTION, (whole, name: string) => {
    const value = values(name);
    if (value === undefined) throw new Error(`The definition uses ${whole}, which has no value`);
    return value;
  });
}

/** The parts of a state that hold nested states. */
export interface NestingState {
  Type?: string;
  Branches?: { States?: Record<string, NestingState> }[];
  Iterator?: { States?: Record<string, NestingState> };
  ItemProcessor?: { States?: Record<string, NestingState> };
}

/** Visits every state, Parallel branches and Map processors included, parents before their children. */
export function eachState<S extends NestingState>(
  states: Record<string, S> | undefined,
  visit: (state: S, name: string) => void,
): void {
  for (const [name, state] of Object.entries(states ?? {})) {
    visit(state, name);
    for (const branch of state.Branches ?? []) eachState(branch.States as Record<string, S>, visit);
    eachState(state.Iterator?.States as Record<string, S> | undefined, visit);
    eachState(state.ItemProcessor?.States as Record<string, S> | undefined, visit);
  }
}
