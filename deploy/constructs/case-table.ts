import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { caseTableDefinition, TABLE_KEYS } from '../../bot/core/table.js';

export interface CaseTableProps {
  /** Keep the table when the stack is deleted (default true: cases and audit events are records). */
  readonly retain?: boolean;
}

type AttributeType = 'S' | 'N' | 'B';

const attributeType = (t: AttributeType | string | undefined): dynamodb.AttributeType => {
  if (t === 'N') return dynamodb.AttributeType.NUMBER;
  if (t === 'B') return dynamodb.AttributeType.BINARY;
  return dynamodb.AttributeType.STRING;
};

/**
 * The case table, built from `caseTableDefinition` (the same definition the tests and the sandbox
 * create in dynalite), so keys and indexes cannot drift apart. Adds what only AWS has: point-in-time
 * recovery, the TTL attribute of alert fingerprints, encryption at rest and deletion protection.
 */
export class CaseTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: CaseTableProps = {}) {
    super(scope, id);
    const definition = caseTableDefinition('unused');
    const typeOf = (name: string) =>
      attributeType(definition.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType);
    const key = (type: 'HASH' | 'RANGE', schema = definition.KeySchema) => {
      const name = schema?.find((k) => k.KeyType === type)?.AttributeName;
      return name ? { name, type: typeOf(name) } : undefined;
    };
    const partitionKey = key('HASH');
    if (!partitionKey) throw new Error('caseTableDefinition has no partition key');

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey,
      sortKey: key('RANGE'),
      billingMode:
        definition.BillingMode === 'PAY_PER_REQUEST'
          ? dynamodb.BillingMode.PAY_PER_REQUEST
          : dynamodb.BillingMode.PROVISIONED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_KEYS.ttl,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.retain ?? true,
      removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of definition.GlobalSecondaryIndexes ?? []) {
      const partition = key('HASH', index.KeySchema);
      if (!index.IndexName || !partition) continue;
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: partition,
        sortKey: key('RANGE', index.KeySchema),
        projectionType:
          index.Projection?.ProjectionType === 'KEYS_ONLY'
            ? dynamodb.ProjectionType.KEYS_ONLY
            : dynamodb.ProjectionType.ALL,
      });
    }
  }
}
