import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { resetDb } from '../../bot/core/table.js';
import { createCaseTable as createTable } from '../../sandbox/dynamo.js';
import { tableSettings } from '../../bot/core/config.js';

/** Creates a table of the real shape in the run's dynalite. */
export async function createCaseTable(name = `cases-${randomUUID().slice(0, 8)}`): Promise<string> {
  await createTable(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '', name);
  return name;
}

/** A fresh case table for this test file, set as CASE_TABLE. */
export function useCaseTable(): { readonly name: string } {
  const state = { name: '' };
  beforeAll(async () => {
    state.name = await createCaseTable();
    process.env.CASE_TABLE = state.name;
    tableSettings.reset();
    resetDb();
  });
  return state;
}
