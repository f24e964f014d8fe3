import { describe, expect, it } from 'vitest';
import { MULTI_ACCOUNT, synth } from './synth.js';

describe('Deploy: the audit trail is append-only by IAM', () => {
  it('denies every bot function UpdateItem and DeleteItem on audit partitions', () => {
    const { security } = synth(MULTI_ACCOUNT);
    const policies = Object.values(security.findResources('AWS::IAM::Policy')) as any[];
    const withTable = policies.filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('dynamodb:PutItem'),
    );
    expect(withTable.length).toBeGreaterThan(0);
    for (const policy of withTable) {
      const deny = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Effect === 'Deny');
      expect(deny, policy.Properties.PolicyName).toBeDefined();
      expect(deny.Action).toEqual(
        expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
      );
      expect(deny.Condition).toEqual({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } });
    }
  });
});
