import type { TestProject } from 'vitest/node';
import { startDynalite } from './dynalite.js';

/** One dynalite for the whole run; each test file makes its own table (see `useCaseTable`). */
export default async function setup(project: TestProject) {
  const dynalite = await startDynalite();
  project.provide('dynamoEndpoint', dynalite.endpoint);
  return () => dynalite.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
