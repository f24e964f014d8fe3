import { runStep } from '../workflows/run-step.js';

/** Lambda entry point of every workflow step: `{ step: "<name>", ...input }` (see `workflows/steps/`). */
export const handler = (event: unknown): Promise<unknown> => runStep(event);
