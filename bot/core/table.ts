import { DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { createAwsClient, homeRegion } from './aws-clients.js';
import { tableSettings } from './config.js';

/**
 * One table holds everything (single-table design):
 *
 * | item                   | pk                                   | sk                 |
 * |------------------------|--------------------------------------|--------------------|
 * | case record            | `CASE#<caseId>`                      | `CASE`             |
 * | audit event (of a case)| `AUDIT#<caseId>`                     | `AUDIT#<iso>#<n>`  |
 * | audit event (no case)  | `AUDIT#<yyyy-mm-dd>`                 | `<iso>#<n>`        |
 * | open-case guard        | `INSTANCE#<account>#<region>#<id>`   | `OPEN`             |
 * | alert fingerprint      | `FP#<fingerprint>`                   | `FP`               |
 * | console execution link | `EXEC#<executionArn>`                | `EXEC`             |
 *
 * `gsi1pk = 'OPEN'` is set on case records while a case is open (a sparse index for `/forensics list`).
 * `expiresAt` (epoch seconds) is the TTL attribute, used by alert fingerprints only; never by audit events.
 * `AWS_ENDPOINT_URL_DYNAMODB` points the client at dynalite in the sandbox and tests.
 */
export const TABLE_KEYS = {
  pk: 'pk',
  sk: 'sk',
  gsi1: 'gsi1',
  gsi1pk: 'gsi1pk',
  gsi1sk: 'gsi1sk',
  ttl: 'expiresAt',
};

/** The table's shape, shared by the test setup, the sandbox and (mirrored) the CDK stack. */
export function caseTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

let documentClient: DynamoDBDocumentClient | undefined;

/** The document client, made on first use (so test and sandbox hooks apply). */
export function db(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(createAwsClient(DynamoDBClient, { region: homeRegion() }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
}

export function tableName(): string {
  return tableSettings().CASE_TABLE;
}

/** For tests: forget the client (after the endpoint changes). */
export function resetDb(): void {
  documentClient = undefined;
}

/** True when a DynamoDB error is a failed condition (a lost race or an existing item). */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * An update under a condition: the item as it is after (`ReturnValues` ALL_NEW), or undefined when the
 * condition failed (a lost race, or nothing to change); any other error is thrown.
 */
export async function updateIf<T>(input: Omit<UpdateCommandInput, 'TableName'>): Promise<T | undefined> {
  try {
    const out = await db().send(
      new UpdateCommand({ TableName: tableName(), ReturnValues: 'ALL_NEW', ...input }),
    );
    return out.Attributes as T;
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
}
