import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll } from 'vitest';
import { caseTableDefinition, resetDb } from '../../bot/core/table.js';
import { tableSettings } from '../../bot/core/config.js';

/** Creates a table of the real shape in the run's dynalite. */
export async function createCaseTable(name = `cases-${randomUUID().slice(0, 8)}`): Promise<string> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
  await client.send(new CreateTableCommand(caseTableDefinition(name)));
  client.destroy();
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
