import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { requireCase } from '../../../bot/core/case-store.js';
import { handler } from '../../../handlers/steps.js';
import { addEvidenceBucket } from '../../../sandbox/aws/seed.js';
import { SANDBOX_AVML } from '../../../sandbox/aws/services/ssm.js';
import { memberCredentials } from '../../../workflows/aws/member.js';
import {
  inputOf,
  MEMBER,
  openTestCase,
  REGION,
  runCase,
  SEEDED,
  timeline,
  captureMemory,
  objectsUnder as objectsInBucket,
  useTestSettings,
  useWorkflowWorld,
} from './harness.js';

const EU = 'eu-west-1';
const EU_BUCKET = 'forensics-evidence-222222222222-eu-west-1';
const world = useWorkflowWorld({ EVIDENCE_BUCKETS: `${EU}=${EU_BUCKET}` });
beforeAll(() => addEvidenceBucket(world.org.world, world.org.settings, EU, EU_BUCKET));

const setting = useTestSettings(world);

async function caseOn(instanceId: string, region = REGION, actions: ('contain' | 'analyze')[] = ['contain']) {
  const record = await openTestCase(instanceId, actions, { region });
  const target = { caseId: record.id, instanceId, account: MEMBER, region };
  const plan = (await handler({ step: 'recordConfiguration', ...target, acquireMemory: true })) as {
    MemoryFirst: boolean;
  };
  return { target, plan };
}

const capture = (target: object) => captureMemory(target);

const objectsUnder = (bucket: string, key: string) => objectsInBucket(world, bucket, key);
const pendingUploads = (bucket: string) => [
  ...(world.org.world.buckets.get(bucket)?.uploads?.values() ?? []),
];

describe('Memory evidence: what the workflow sends and who uploads', () => {
  it('puts no credential in the command: ListCommands in the member account shows only the contract parameters', async () => {
    const { target } = await caseOn(SEEDED.instances.autoScaledPeer);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });

    const started = (await handler({ step: 'startMemoryCapture', ...target })) as any;

    // what anyone with ssm:ListCommands in the member account can read
    const ssm = createAwsClient(SSMClient, {
      region: REGION,
      credentials: await memberCredentials({ account: MEMBER, region: REGION, caseId: target.caseId }),
    });
    const listed = await ssm.send(new ListCommandsCommand({ CommandId: started.commandId }));
    const parameters = listed.Commands![0]!.Parameters!;
    expect(Object.keys(parameters).sort()).toEqual(
      [
        'AvmlSha256',
        'Bucket',
        'CaseId',
        'InstanceProfile',
        'Key',
        'KmsKeyId',
        'Region',
        'Tool',
        'ToolsUri',
      ].sort(),
    );
    const text = JSON.stringify(parameters);
    expect(text).not.toMatch(/A[SK]IA[A-Z0-9]{12,}|Secret|Token|Credential/i);
    for (const s of world.org.world.sessions.values()) {
      expect(text).not.toContain(s.secretAccessKey);
      expect(text).not.toContain(s.accessKeyId);
    }
    expect(parameters.AvmlSha256).toEqual([SANDBOX_AVML.x86_64]);
  });

  it('refuses an upload with the workload role: the bucket policy admits only the quarantine profile', async () => {
    // Prepare: the command the step would send, but sent while the instance still has its own profile
    const { target } = await caseOn(SEEDED.instances.multiEni);
    const started = (await handler({ step: 'startMemoryCapture', ...target })) as any;
    const { r } = { r: world.org.world.region(MEMBER, REGION) };
    const association = [...r.associations.values()].find(
      (a) => a.instanceId === SEEDED.instances.multiEni && a.state === 'associated',
    )!;
    association.profileArn = association.profileArn.replace(/ForensicsBot-Quarantine$/, SEEDED.profiles.web);

    // Act
    let state = started;
    const failure = await (async () => {
      try {
        for (let i = 0; i < 5 && !state.done; i++)
          state = await handler({ step: 'pollMemoryCapture', ...target, memory: state });
      } catch (error) {
        return error as Error;
      }
    })();

    // Assess
    expect(failure?.name).toBe('MemoryCaptureFailedError');
    expect(failure?.message).toMatch(/AccessDenied.*web-server-role/);
    expect(objectsUnder(started.bucket, started.key)).toEqual([]);
  });
});

describe('Memory evidence: an analysis gets its instance profile back', () => {
  it('puts the quarantine profile on only for the upload, then restores what the instance had (here: none)', async () => {
    const { target } = await caseOn(SEEDED.instances.noEndpoints, REGION, ['analyze']);
    const profiles = () =>
      [...world.org.world.region(MEMBER, REGION).associations.values()]
        .filter((a) => a.instanceId === SEEDED.instances.noEndpoints && a.state === 'associated')
        .map((a) => a.profileArn.split('/').pop());

    const started = (await handler({ step: 'startMemoryCapture', ...target })) as any;
    const during = profiles();
    let state = started;
    for (let i = 0; i < 5 && !state.done; i++)
      state = await handler({ step: 'pollMemoryCapture', ...target, memory: state });
    await handler({ step: 'verifyEvidence', ...target, memory: state });

    expect(during).toEqual(['ForensicsBot-Quarantine']);
    expect(profiles()).toEqual([]);
  });
});

describe('Memory evidence: verified in the forensics account', () => {
  it('a Contain case captures memory, re-reads the exact version, hashes it and records version and lock', async () => {
    const record = await openTestCase(SEEDED.instances.demo, ['contain']);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    const artifact = after.artifacts.find((a) => a.kind === 'memory')!;
    const key = artifact.uri.replace(`s3://${world.org.settings.evidenceBucket}/`, '');
    const [version] = objectsUnder(world.org.settings.evidenceBucket, key);
    expect(artifact).toMatchObject({ sha256: version!.sha256, bytes: version!.body.length });
    expect(artifact.details).toMatchObject({
      versionId: version!.versionId,
      objectLock: { mode: 'GOVERNANCE', retainUntil: version!.retainUntil!.toISOString() },
      arch: 'x86_64',
      tool: 'avml',
      toolVersion: 'avml 0.14.0 (current CLI)',
      system: {
        uri: `${artifact.uri}.system.tar`,
        versionId: expect.any(String),
        files: expect.arrayContaining([
          expect.objectContaining({ name: expect.stringMatching(/^System\.map-/) }),
        ]),
      },
      toolSha256: SANDBOX_AVML.x86_64,
      kernel: expect.stringMatching(/amzn/),
      order: 'isolate-first',
    });
    expect(after.memoryPlan).toMatchObject({ order: 'isolate-first', memoryFirst: false, regional: true });
    expect(timeline(after)).toContain('Memory image verified');
  });

  it('fails the acquisition, plainly, when the bytes in S3 are not what the instance reported', async () => {
    const { target } = await caseOn(SEEDED.instances.autoScaled);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });
    const done = await capture(target);
    // what a suspect whose binaries lie would print as its result line
    const lying = { ...done, result: { ...done.result, sha256: 'f'.repeat(64) } };

    await expect(handler({ step: 'verifyEvidence', ...target, memory: lying })).rejects.toMatchObject({
      name: 'MemoryCaptureFailedError',
      message: expect.stringMatching(
        /^Memory acquisition failed: version \S+ of s3:\/\/.* has SHA-256 [0-9a-f]{64}.*the instance reported f{64}.*The object is not evidence\.$/,
      ),
    });
    expect((await requireCase(target.caseId)).artifacts.some((a) => a.kind === 'memory')).toBe(false);
  });

  it('fails when something else wrote under the key: which version is the upload cannot be told', async () => {
    const { target } = await caseOn(SEEDED.instances.autoScaledPeer);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });
    const done = await capture(target);
    const s3 = createAwsClient(S3Client, { region: REGION });
    await s3.send(new PutObjectCommand({ Bucket: done.bucket, Key: done.key, Body: 'not memory' }));

    await expect(handler({ step: 'verifyEvidence', ...target, memory: done })).rejects.toMatchObject({
      name: 'MemoryCaptureFailedError',
      message: expect.stringContaining('has 2 versions'),
    });
  });
});

describe('Memory evidence: the capture fails as it fails in AWS, leaving nothing complete-looking', () => {
  it.each([
    ['tool-missing', /avml-x86_64.*404/],
    ['tool-fails', /avml failed after \d+ of \d+ bytes/],
    ['upload-refused', /AccessDenied/],
    ['region-unreachable', /Could not connect to the endpoint URL/],
  ] as const)('%s', async (failure, message) => {
    const { target } = await caseOn(SEEDED.instances.demo);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });
    world.org.setFaults({ memoryCapture: [{ failure, instanceId: SEEDED.instances.demo }] });
    const started = (await handler({ step: 'startMemoryCapture', ...target })) as any;

    let state = started;
    const error = await (async () => {
      try {
        for (let i = 0; i < 5; i++)
          state = await handler({ step: 'pollMemoryCapture', ...target, memory: state });
      } catch (e) {
        return e as Error;
      }
    })();

    expect(error).toMatchObject({
      name: 'MemoryCaptureFailedError',
      message: expect.stringMatching(message),
    });
    expect(objectsUnder(started.bucket, started.key)).toEqual([]);
    expect(pendingUploads(started.bucket).filter((u) => u.key === started.key)).toEqual([]);
  });

  it('cancels the command when polling gives up', async () => {
    const { target } = await caseOn(SEEDED.instances.demo);
    const started = (await handler({ step: 'startMemoryCapture', ...target })) as any;
    world.org.setFaults({ ssmOffline: [SEEDED.instances.demo] });

    await expect(
      handler({ step: 'pollMemoryCapture', ...target, memory: { ...started, polls: started.maxPolls - 1 } }),
    ).rejects.toMatchObject({ name: 'PollLimitReachedError', message: expect.stringContaining('cancelled') });
    const invocation = world.org.world
      .region(MEMBER, REGION)
      .invocations.get(`${started.commandId}/${SEEDED.instances.demo}`);
    expect(invocation?.status).toBe('Cancelled');
  });
});

describe('Memory evidence: regions, order of volatility, architectures', () => {
  it('without a bucket in its region, an isolated eu-west-1 instance cannot reach the us-east-1 bucket (as in AWS)', async () => {
    setting('EVIDENCE_BUCKETS', undefined);
    const { target, plan } = await caseOn(SEEDED.instances.euWest, EU);
    // the plan says memory first for this reason; forced through the endpoints anyway, AWS would fail:
    expect(plan.MemoryFirst).toBe(true);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });

    await expect(capture(target)).rejects.toMatchObject({
      name: 'MemoryCaptureFailedError',
      message: expect.stringMatching(
        /Could not connect to the endpoint URL: "https:\/\/forensics-evidence-222222222222\.s3\.us-east-1/,
      ),
    });
    expect((await requireCase(target.caseId)).memoryPlan).toMatchObject({
      memoryFirst: true,
      regional: false,
      reason: expect.stringContaining('EVIDENCE_BUCKETS'),
    });
  });

  it("with a bucket in eu-west-1 (EVIDENCE_BUCKETS), the isolated instance's image goes there through its endpoint", async () => {
    const { target, plan } = await caseOn(SEEDED.instances.euWest, EU);
    expect(plan.MemoryFirst).toBe(false);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });

    const done = await capture(target);
    await handler({ step: 'verifyEvidence', ...target, memory: done });

    expect(done).toMatchObject({ bucket: EU_BUCKET, bucketRegion: EU });
    expect(objectsUnder(EU_BUCKET, done.key)).toHaveLength(1);
    expect((await requireCase(target.caseId)).memoryPlan).toMatchObject({
      bucket: EU_BUCKET,
      regional: true,
    });
  });

  it('MEMORY_ORDER=memory-first captures before isolation, and the case records the order', async () => {
    setting('MEMORY_ORDER', 'memory-first');
    const record = await openTestCase(SEEDED.instances.multiEni, ['contain']);

    const execution = await runCase(world, inputOf(record, 'not-required'));

    expect(execution.status).toBe('SUCCEEDED');
    const after = await requireCase(record.id);
    const steps = timeline(after);
    expect(steps.indexOf('Memory image verified')).toBeLessThan(steps.indexOf('Network isolated'));
    expect(after.memoryPlan).toMatchObject({ order: 'memory-first', memoryFirst: true });
    expect(after.artifacts.find((a) => a.kind === 'memory')?.details).toMatchObject({
      order: 'memory-first',
    });
  });

  it('an aarch64 instance captures with the aarch64 AVML', async () => {
    const { target } = await caseOn(SEEDED.instances.arm, EU);
    await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });

    const done = await capture(target);
    await handler({ step: 'verifyEvidence', ...target, memory: done });

    expect(done).toMatchObject({ arch: 'aarch64', avmlSha256: SANDBOX_AVML.aarch64 });
    expect(done.result).toMatchObject({
      arch: 'aarch64',
      toolSha256: SANDBOX_AVML.aarch64,
      kernel: expect.stringMatching(/aarch64$/),
    });
    const artifact = (await requireCase(target.caseId)).artifacts.find((a) => a.kind === 'memory');
    expect(artifact?.details).toMatchObject({ arch: 'aarch64', toolSha256: SANDBOX_AVML.aarch64 });
  });

  it('refuses to run when the pinned hash of the instance architecture is not configured, naming the setting', async () => {
    setting('AVML_SHA256_AARCH64', undefined);
    const { target } = await caseOn(SEEDED.instances.arm, EU);

    await expect(handler({ step: 'startMemoryCapture', ...target })).rejects.toMatchObject({
      name: 'StepNotConfiguredError',
      message: expect.stringContaining('AVML_SHA256_AARCH64'),
    });
  });
});
