import {
  CopySnapshotCommand,
  CreateSnapshotsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, SEEDED, SimulatedOrganization } from '../../../sandbox/aws/index.js';
import { assume, clients, memberClients, rejection } from './support.js';

type Clients = Awaited<ReturnType<typeof memberClients>>;

async function snapshotSet(c: Clients, instanceId: string) {
  const out = await c.ec2.send(
    new CreateSnapshotsCommand({
      InstanceSpecification: { InstanceId: instanceId },
      TagSpecifications: [
        { ResourceType: 'snapshot', Tags: [{ Key: 'ir-case-id', Value: 'CASE-20250101-ABCD' }] },
      ],
    }),
  );
  return out.Snapshots!.map((s) => s.SnapshotId!);
}

async function untilSettled(c: Clients, ids: string[]) {
  for (let poll = 0; poll < 10; poll += 1) {
    const { Snapshots } = await c.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
    if (Snapshots!.every((s) => s.State !== 'pending')) return Snapshots!;
  }
  throw new Error('snapshots never settled');
}

describe('Function: EBS snapshots in the simulated organization', () => {
  const org = new SimulatedOrganization().seedDefault().install();
  afterAll(() => org.uninstall());
  beforeEach(() => org.setFaults({}));

  it('takes one crash-consistent set of every volume, pending until a couple of polls later', async () => {
    const c = await memberClients();
    const ids = await snapshotSet(c, SEEDED.instances.demo);
    const first = await c.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
    const settled = await untilSettled(c, ids);

    expect(ids).toHaveLength(2);
    expect(first.Snapshots!.every((s) => s.State === 'pending')).toBe(true);
    expect(settled.map((s) => s.State)).toEqual(['completed', 'completed']);
    expect(settled.map((s) => s.KmsKeyId)).toEqual([
      KEYS.awsEbs('333333333333', 'us-east-1'),
      KEYS.workload('333333333333', 'us-east-1'),
    ]);
    expect(settled[0]!.Tags).toContainEqual({ Key: 'ir-case-id', Value: 'CASE-20250101-ABCD' });
  });

  it('refuses to share a snapshot encrypted with aws/ebs, as AWS does', async () => {
    const c = await memberClients();
    const [root] = await snapshotSet(c, SEEDED.instances.autoScaled);
    await untilSettled(c, [root!]);
    const error = await rejection(
      c.ec2.send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: root,
          Attribute: 'createVolumePermission',
          CreateVolumePermission: { Add: [{ UserId: '222222222222' }] },
        }),
      ),
    );
    expect(error.name).toBe('InvalidParameter');
    expect(error.message).toMatch(/AWS Managed CMK can't be shared/);
  });

  it('re-encrypts with the forensics key, shares, and copies into the forensics account', async () => {
    // Prepare: an aws/ebs snapshot in the member account
    const member = await memberClients();
    const [root] = await snapshotSet(member, SEEDED.instances.autoScaled);
    await untilSettled(member, [root!]);
    const forensicsKey = KEYS.forensics('us-east-1');

    // Act: re-encrypt, share, copy as the forensics account
    const { SnapshotId: reencrypted } = await member.ec2.send(
      new CopySnapshotCommand({
        SourceSnapshotId: root,
        SourceRegion: 'us-east-1',
        Encrypted: true,
        KmsKeyId: forensicsKey,
      }),
    );
    await untilSettled(member, [reencrypted!]);
    await member.ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: reencrypted,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: '222222222222' }] },
      }),
    );
    const forensics = clients('us-east-1', await assume('222222222222'));
    const { SnapshotId: copy } = await forensics.ec2.send(
      new CopySnapshotCommand({
        SourceSnapshotId: reencrypted,
        SourceRegion: 'us-east-1',
        Encrypted: true,
        KmsKeyId: forensicsKey,
      }),
    );
    await untilSettled(forensics, [copy!]);
    await member.ec2.send(new DeleteSnapshotCommand({ SnapshotId: reencrypted }));

    // Assess: the state, not the calls
    const snapshots = org
      .state()
      .accounts.flatMap((a) => a.regions)
      .flatMap((r) => r.snapshots);
    const original = snapshots.find((s) => s.snapshotId === root)!;
    const final = snapshots.find((s) => s.snapshotId === copy)!;
    expect(final).toMatchObject({
      owner: '222222222222',
      state: 'completed',
      kmsKeyId: forensicsKey,
      copiedFrom: { snapshotId: reencrypted, account: '333333333333' },
    });
    expect(snapshots.find((s) => s.snapshotId === reencrypted)).toBeUndefined();
    expect(original.kmsKeyId).toBe(KEYS.awsEbs('333333333333', 'us-east-1'));
  });

  it('lets the forensics account copy only what was shared with it', async () => {
    const member = await memberClients();
    const [root] = await snapshotSet(member, SEEDED.instances.noEndpoints);
    await untilSettled(member, [root!]);
    const forensics = clients('us-east-1', await assume('222222222222'));
    const error = await rejection(
      forensics.ec2.send(new CopySnapshotCommand({ SourceSnapshotId: root, SourceRegion: 'us-east-1' })),
    );
    expect(error.name).toBe('InvalidSnapshot.NotFound');
  });

  it('encrypts a copy without a key under the receiving account default aws/ebs key, made on first use as AWS does', async () => {
    // Prepare: in eu-west-1, a snapshot re-encrypted under the forensics snapshot key and shared with
    // the forensics account, which has no aws/ebs key there yet
    const member = await memberClients('333333333333', 'eu-west-1');
    const [root] = await snapshotSet(member, SEEDED.instances.euWest);
    await untilSettled(member, [root!]);
    const { SnapshotId: shareable } = await member.ec2.send(
      new CopySnapshotCommand({
        SourceSnapshotId: root,
        SourceRegion: 'eu-west-1',
        Encrypted: true,
        KmsKeyId: KEYS.forensics('eu-west-1'),
      }),
    );
    await untilSettled(member, [shareable!]);
    await member.ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: shareable,
        Attribute: 'createVolumePermission',
        CreateVolumePermission: { Add: [{ UserId: '222222222222' }] },
      }),
    );
    const forensicsKeys = () => [...org.world.region('222222222222', 'eu-west-1').kmsKeys.values()];
    expect(forensicsKeys().some((k) => k.aliases.includes('alias/aws/ebs'))).toBe(false);

    // Act
    const forensics = clients('eu-west-1', await assume('222222222222'));
    const { SnapshotId: copy } = await forensics.ec2.send(
      new CopySnapshotCommand({ SourceSnapshotId: shareable, SourceRegion: 'eu-west-1', Encrypted: true }),
    );
    const [settled] = await untilSettled(forensics, [copy!]);

    // Assess
    const ebs = KEYS.awsEbs('222222222222', 'eu-west-1');
    expect(settled).toMatchObject({ State: 'completed', Encrypted: true, KmsKeyId: ebs });
    expect(forensicsKeys().find((k) => k.arn === ebs)).toMatchObject({
      manager: 'AWS',
      aliases: ['alias/aws/ebs'],
    });
  });

  it('refuses a copy key from another region', async () => {
    const member = await memberClients();
    const [root] = await snapshotSet(member, SEEDED.instances.noEndpoints);
    await untilSettled(member, [root!]);
    const error = await rejection(
      member.ec2.send(
        new CopySnapshotCommand({
          SourceSnapshotId: root,
          SourceRegion: 'us-east-1',
          Encrypted: true,
          KmsKeyId: KEYS.forensics('eu-west-1'),
        }),
      ),
    );
    expect(error.name).toBe('InvalidParameterValue');
  });

  it('ends snapshots of a faulted instance in state error', async () => {
    const c = await memberClients();
    org.setFaults({ snapshotError: [SEEDED.instances.multiEni] });
    const ids = await snapshotSet(c, SEEDED.instances.multiEni);
    const settled = await untilSettled(c, ids);
    expect(settled.map((s) => s.State)).toEqual(['error']);
  });

  it('describes the keys: aws/ebs is AWS-managed, the forensics key is usable by the members', async () => {
    const c = await memberClients();
    const ebs = await c.kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }));
    const forensics = await c.kms.send(new DescribeKeyCommand({ KeyId: KEYS.forensics('us-east-1') }));
    expect(ebs.KeyMetadata?.KeyManager).toBe('AWS');
    expect(forensics.KeyMetadata).toMatchObject({ KeyManager: 'CUSTOMER', AWSAccountId: '222222222222' });
  });
});
