/**
 * The state machine definitions are written here in TypeScript and generated into
 * `workflows/definitions/<name>.asl.json` (`npx tsx workflows/definitions/build.ts`), so that every Task
 * gets the same Retry and Catch and a rename cannot miss a state. The JSON files are what deploys and
 * what the tests run; a test checks they match this builder.
 *
 * JSONPath only (aws-local-stepfunctions ignores JSONata and `Assign`). Placeholders are CDK definition
 * substitutions: `${StepsFunctionArn}`, `${ContainStateMachineArn}`, `${AcquireMemoryStateMachineArn}`,
 * `${AcquireDiskStateMachineArn}`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { acquireDiskDefinition } from './acquire-disk.js';
import { acquireMemoryDefinition } from './acquire-memory.js';
import { caseDefinition } from './case.js';
import { containDefinition } from './contain.js';
import { examineDefinition } from './examine.js';
import { releaseDefinition } from './release.js';

/** Every definition by file name. */
export function allDefinitions(): Record<string, object> {
  return {
    case: caseDefinition(),
    contain: containDefinition(),
    'acquire-memory': acquireMemoryDefinition(),
    'acquire-disk': acquireDiskDefinition(),
    release: releaseDefinition(),
    examine: examineDefinition(),
  };
}

export const render = (definition: object) => `${JSON.stringify(definition, null, 2)}\n`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, definition] of Object.entries(allDefinitions()))
    writeFileSync(join(import.meta.dirname, `${name}.asl.json`), render(definition));
}
