import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaptureInstance, captureInstance, INSTANCE } from './instance.js';

/**
 * The instance's credentials come from its metadata service, through the AWS CLI's own chain, as on EC2
 * (issue 15: no credential travels in the command). EC2 keeps serving the previous profile's credentials
 * for a while after a swap: the capture must not upload with them.
 */
let vm: CaptureInstance;

beforeAll(async () => {
  // A swap that never propagates by itself: the tests end it when they mean to.
  vm = await captureInstance({ imds: { propagationMs: 3_600_000 } });
}, 60_000);

afterAll(async () => {
  await vm?.stop();
});

const versions = (key: string) => vm.org.world.buckets.get(vm.evidenceBucket)!.objects.get(key) ?? [];

describe('capture-memory.sh right after the quarantine profile is put on', () => {
  it('fails plainly when it is not told which profile to wait for: the old role is refused by the bucket', async () => {
    // Act
    vm.useQuarantineProfile();
    const run = await vm.run({ InstanceProfile: '' });

    // Assess: the workload role's credentials, which the evidence bucket's policy refuses
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/AccessDenied.*web-server-role/);
    expect(versions(run.key)).toEqual([]);
  }, 60_000);

  it('waits until the metadata service serves the quarantine profile, then uploads as its role', async () => {
    // Prepare: the swap of the test before is still pending; it propagates 2 s into the capture
    setTimeout(() => vm.propagateProfile(), 2000);

    // Act
    const started = Date.now();
    const run = await vm.run({ InstanceProfile: 'ForensicsBot-Quarantine' });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(versions(run.key)[0]!.uploadedBy).toBe(
      `arn:aws:sts::333333333333:assumed-role/ForensicsBot-Quarantine/${INSTANCE}`,
    );
  }, 60_000);
});

describe('live-triage.sh right after the quarantine profile is put on', () => {
  let triageVm: CaptureInstance;
  beforeAll(async () => {
    triageVm = await captureInstance({ imds: { propagationMs: 3_600_000 } });
  }, 60_000);
  afterAll(async () => {
    await triageVm?.stop();
  });
  const stored = (key: string) =>
    triageVm.org.world.buckets.get(triageVm.evidenceBucket)!.objects.get(key) ?? [];

  it('without the profile to wait for, the archive goes out with the old role, which the bucket refuses', async () => {
    triageVm.useQuarantineProfile();
    const run = await triageVm.runTriage({ InstanceProfile: '' });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/AccessDenied.*web-server-role/);
    expect(stored(run.key)).toEqual([]);
  }, 60_000);

  it('waits until the metadata service serves the quarantine profile, then uploads as its role', async () => {
    setTimeout(() => triageVm.propagateProfile(), 2000);
    const started = Date.now();
    const run = await triageVm.runTriage({ InstanceProfile: 'ForensicsBot-Quarantine' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(stored(run.key)[0]!.uploadedBy).toBe(
      `arn:aws:sts::333333333333:assumed-role/ForensicsBot-Quarantine/${INSTANCE}`,
    );
  }, 60_000);
});
