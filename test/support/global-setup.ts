import type { TestProject } from 'vitest/node';
import { bundleHandler, HANDLERS } from '../../deploy/bundling.js';
import { startDynalite } from '../../sandbox/dynamo.js';

/** One dynalite for the whole run; each test file makes its own table (see `useCaseTable`). */
export default async function setup(project: TestProject) {
  // The Lambda bundles, built once before any test (seconds when sources changed, a few stat calls when
  // not): a synth in a test then reuses them instead of racing its own timeout on a busy machine.
  for (const handler of HANDLERS) bundleHandler(handler);
  const dynalite = await startDynalite();
  project.provide('dynamoEndpoint', dynalite.endpoint);
  return () => dynalite.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
