import {
  type DefinitionFile,
  eachState,
  type NestingState,
  readDefinitions,
} from '../workflows/definitions/files.js';

/**
 * Reading the state machine definitions (`workflows/definitions/files.ts` reads the files and their
 * `${…}` substitutions): the service integrations their Task states call, from which the stack derives
 * each state machine's least-privilege role.
 */

export {
  pascalCase,
  substitutionNames,
} from '../workflows/definitions/files.js';

export type WorkflowDefinition = DefinitionFile;

/** Every definition on disk, sorted by name. */
export const loadDefinitions = readDefinitions;

/** What one Task state calls. */
export type Integration =
  | { kind: 'lambda'; functionArn: string; waitForTaskToken: boolean }
  | { kind: 'startExecution'; stateMachineArn: string; sync: boolean }
  | { kind: 'other'; resource: string; state: string };

interface AslState extends NestingState {
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Arguments?: Record<string, unknown>;
}

/** Lists what every Task calls (Parallel branches and Map processors included). */
export function integrations(text: string): Integration[] {
  const definition = JSON.parse(text) as { States?: Record<string, AslState> };
  const found: Integration[] = [];
  eachState(definition.States, (state, name) => {
    if (state.Type === 'Task' && state.Resource) found.push(classify(name, state));
  });
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
