/**
 * KMS keys: each member region has the AWS-managed `aws/ebs` key and a customer key; the forensics
 * account has a customer key per region whose policy lets the members use it. Any account's `aws/ebs`
 * key appears on first use, as in AWS (`defaultEbsKey`). A key is usable by its
 * account and by the accounts its policy names; AWS-managed keys by their account only.
 */
import type * as KMS from '@aws-sdk/client-kms';
import type { HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { keyArn } from '../seed.js';
import type { KmsKey, World } from '../world.js';

/** Finds a key by id, ARN, alias name or alias ARN, as seen from `account` in `region`. */
export function findKey(world: World, account: string, region: string, ref: string): KmsKey | undefined {
  const arnMatch = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(ref);
  const [keyRegion, keyAccount, kind, rest] = arnMatch
    ? [arnMatch[1]!, arnMatch[2]!, arnMatch[3]!, arnMatch[4]!]
    : [region, account, ref.startsWith('alias/') ? 'alias' : 'key', ref.replace(/^alias\//, '')];
  const keys = world.accounts.get(keyAccount)?.regions.get(keyRegion)?.kmsKeys;
  if (!keys) return undefined;
  if (kind === 'key') return keys.get(rest);
  return [...keys.values()].find((k) => k.aliases.includes(`alias/${rest}`));
}

/**
 * The account's AWS-managed `aws/ebs` key in `region`. AWS creates it the first time EBS encryption needs
 * it in that account and region (there is no call to create it), so it is made here on first use.
 */
export function defaultEbsKey(world: World, account: string, region: string): KmsKey {
  const found = findKey(world, account, region, 'alias/aws/ebs');
  if (found) return found;
  const arn = keyArn(account, region, 1);
  const keyId = arn.split('/')[1]!;
  const key: KmsKey = {
    keyId,
    arn,
    account,
    region,
    aliases: ['alias/aws/ebs'],
    manager: 'AWS',
    description: 'Default key that protects my EBS volumes when no other key is defined',
    allowedAccounts: [],
  };
  world.region(account, region).kmsKeys.set(keyId, key);
  return key;
}

/** Whether `account` may use `key` (encrypt, decrypt, re-encrypt, create grants). */
export function canUseKey(key: KmsKey, account: string): boolean {
  return key.account === account || (key.manager === 'CUSTOMER' && key.allowedAccounts.includes(account));
}

export const kmsHandlers: HandlerTable = {
  DescribeKeyCommand: handler<KMS.DescribeKeyCommandInput, KMS.DescribeKeyCommandOutput>((ctx, input) => {
    const key = findKey(ctx.world, ctx.caller.account, ctx.caller.region, input.KeyId ?? '');
    if (!key) ctx.fail('NotFound', `Key '${input.KeyId}' does not exist`);
    if (!canUseKey(key!, ctx.caller.account))
      ctx.fail(
        'AccessDeniedException',
        `User: ${ctx.caller.arn} is not authorized to perform: kms:DescribeKey on resource: ${key!.arn}`,
      );
    return {
      KeyMetadata: {
        KeyId: key!.keyId,
        Arn: key!.arn,
        AWSAccountId: key!.account,
        KeyManager: key!.manager,
        KeyState: 'Enabled',
        Enabled: true,
        Description: key!.description,
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        Origin: 'AWS_KMS',
        MultiRegion: false,
      },
    };
  }),

  ListAliasesCommand: handler<KMS.ListAliasesCommandInput, KMS.ListAliasesCommandOutput>((ctx) => ({
    Aliases: [...ctx.here.kmsKeys.values()].flatMap((k) =>
      k.aliases.map((alias) => ({
        AliasName: alias,
        AliasArn: `arn:aws:kms:${k.region}:${k.account}:${alias}`,
        TargetKeyId: k.keyId,
      })),
    ),
    Truncated: false,
  })),
};
