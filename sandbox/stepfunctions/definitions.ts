import {
  kebabCase,
  readDefinitions,
  substitute as substituteText,
} from '../../workflows/definitions/files.js';

/** Every `workflows/definitions/*.asl.json` by name (`case`, `contain`, …), as written (substitutions kept). */
export function loadDefinitions(): Record<string, object> {
  return Object.fromEntries(readDefinitions().map((d) => [d.name, JSON.parse(d.text) as object]));
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
  const text = substituteText(JSON.stringify(definition), (name) => {
    if (name === 'StepsFunctionArn') return arns.stepsFunction;
    const child = /^([A-Za-z0-9]+)StateMachineArn$/.exec(name)?.[1];
    return child ? arns.stateMachine(kebabCase(child)) : undefined;
  });
  return JSON.parse(text) as object;
}
