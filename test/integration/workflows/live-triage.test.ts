import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { requireCase } from '../../../bot/core/case-store.js';
import { handler } from '../../../handlers/steps.js';
import { checkTriage, readTriage } from '../../../workflows/examine/triage.js';
import { memberCredentials } from '../../../workflows/aws/member.js';
import {
  captureMemory,
  MEMBER,
  objectsUnder as objectsInBucket,
  openTestCase,
  REGION,
  SEEDED,
  useTestSettings,
  useWorkflowWorld,
} from './harness.js';

/**
 * Live triage over SSM (issue 12, item 2), step by step as the acquire-memory workflow runs it: after the
 * memory image is verified, the triage document runs (simulated from the sandbox's fixtures), its archive
 * is verified in the forensics account and recorded as a `triage` artifact; a triage that cannot finish
 * is cancelled, and its failure is recorded, never thrown further.
 */
const world = useWorkflowWorld();

const setting = useTestSettings(world);

/** A case whose memory image is verified, the profile kept for the triage (as VerifyImage does). */
async function capturedCase(instanceId: string, actions: ('contain' | 'analyze')[] = ['contain']) {
  const record = await openTestCase(instanceId, actions);
  const target = { caseId: record.id, instanceId, account: MEMBER, region: REGION };
  await handler({ step: 'recordConfiguration', ...target, acquireMemory: true });
  if (actions.includes('contain')) await handler({ step: 'isolateNetwork', ...target, keepEndpoints: true });
  const memory = await captureMemory(target, 10);
  await handler({ step: 'verifyEvidence', ...target, memory, keepProfile: true });
  return { target, memory };
}

async function triage(target: object, memory: object) {
  let state = (await handler({ step: 'startLiveTriage', ...target, memory })) as any;
  for (let i = 0; i < 10 && !state.done; i++)
    state = await handler({ step: 'pollLiveTriage', ...target, triage: state });
  return state;
}

const objectsUnder = (bucket: string, key: string) => objectsInBucket(world, bucket, key);

describe('Live triage: collected, verified, recorded', () => {
  it('the compromised web server: the archive is verified in the forensics account and the engine finds the deleted miner from /tmp with its connection', async () => {
    // Prepare
    const { target, memory } = await capturedCase(SEEDED.instances.demo);

    // Act
    const state = await triage(target, memory);
    const verified = (await handler({ step: 'verifyLiveTriage', ...target, triage: state })) as any;

    // Assess: the artifact is the one version the instance uploaded, with the script's hash
    const record = await requireCase(target.caseId);
    const artifact = record.artifacts.find((a) => a.kind === 'triage')!;
    expect(artifact.uri).toMatch(
      new RegExp(
        `^s3://${memory.bucket}/${target.caseId}/memory/${target.instanceId}-\\w+-[0-9a-f]{6}\\.triage\\.tar$`,
      ),
    );
    const [version, ...others] = objectsUnder(memory.bucket, state.key);
    expect(others).toEqual([]);
    expect(artifact).toMatchObject({ sha256: state.result.sha256, bytes: version!.body.length });
    expect(version!.sha256).toBe(state.result.sha256);
    expect(artifact.details).toMatchObject({
      versionId: version!.versionId,
      collectedAt: state.result.collectedAt,
      processes: state.result.processes,
      objectLock: { mode: 'GOVERNANCE' },
    });
    expect(verified).toMatchObject({ versionId: version!.versionId, sha256: state.result.sha256 });
    // uploaded as the quarantine instance profile, like the image
    expect(version!.metadata).toMatchObject({ 'case-id': target.caseId });

    // the archive is the engine's contract: a real tar the examination reads
    const dir = mkdtempSync(join(tmpdir(), 'triage-'));
    try {
      writeFileSync(join(dir, 'triage.tar'), version!.body);
      const parsed = readTriage(join(dir, 'triage.tar'));
      expect(parsed.meta?.instanceId).toBe(target.instanceId);
      const findings = checkTriage(parsed, []);
      const miner = findings.find((f) => /kdevtmpfsi/.test(f.title))!;
      expect(miner.severity).toBe('critical');
      expect(miner.title).toMatch(/deleted/);
      // the ld.so.preload library names it: hidden from listings, found by look-up
      expect(miner.title).toMatch(/hidden from listings of \/proc/);
      expect(miner.path).toBe('/tmp/.ICE-unix/kdevtmpfsi');
      expect(miner.evidence).toMatch(/ESTABLISHED/);
      expect(parsed.crontabs.map((c) => c.path)).toContain('/etc/cron.d/kworker');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends only the six triage parameters, none a credential', async () => {
    // Prepare
    const { target, memory } = await capturedCase(SEEDED.instances.autoScaledPeer);

    // Act
    const started = (await handler({ step: 'startLiveTriage', ...target, memory })) as any;

    // Assess: what anyone with ssm:ListCommands in the member account reads
    const ssm = createAwsClient(SSMClient, {
      region: REGION,
      credentials: await memberCredentials({ account: MEMBER, region: REGION, caseId: target.caseId }),
    });
    const listed = await ssm.send(new ListCommandsCommand({ CommandId: started.commandId }));
    expect(listed.Commands![0]!.DocumentName).toBe('ForensicsBot-LiveTriage');
    expect(Object.keys(listed.Commands![0]!.Parameters!).sort()).toEqual([
      'Bucket',
      'CaseId',
      'InstanceProfile',
      'Key',
      'KmsKeyId',
      'Region',
    ]);
    expect(listed.Commands![0]!.Parameters!.KmsKeyId).toEqual([memory.kmsKeyId]);
    expect(listed.Commands![0]!.Parameters!.InstanceProfile).toEqual(['ForensicsBot-Quarantine']);
  });

  it('an analysis gets its instance profile back after the triage, not between the capture and it', async () => {
    // Prepare
    const { target, memory } = await capturedCase(SEEDED.instances.noEndpoints, ['analyze']);
    const profiles = () =>
      [...world.org.world.region(MEMBER, REGION).associations.values()]
        .filter((a) => a.instanceId === SEEDED.instances.noEndpoints && a.state === 'associated')
        .map((a) => a.profileArn.split('/').pop());
    const between = profiles();

    // Act
    const state = await triage(target, memory);
    await handler({ step: 'verifyLiveTriage', ...target, triage: state });

    // Assess
    expect(between).toEqual(['ForensicsBot-Quarantine']);
    expect(profiles()).toEqual([]);
  });
});

describe('Live triage: given up, refused, recorded', () => {
  it('cancels the command when the polls run out', async () => {
    // Prepare: the agent goes offline after the command was sent, so it never finishes
    setting('TRIAGE_MAX_POLLS', '2');
    const { target, memory } = await capturedCase(SEEDED.instances.autoScaled);
    const started = (await handler({ step: 'startLiveTriage', ...target, memory })) as any;
    world.org.setFaults({ ssmOffline: [target.instanceId] });

    // Act
    let state = started;
    const failure = await (async () => {
      try {
        for (let i = 0; i < 5; i++)
          state = await handler({ step: 'pollLiveTriage', ...target, triage: state });
      } catch (error) {
        return error as Error;
      }
    })();

    // Assess
    expect(failure?.name).toBe('PollLimitReachedError');
    expect(failure?.message).toMatch(
      /Live triage not collected: still Pending after 2 polls; command .* cancelled/,
    );
    const inv = world.org.world
      .region(MEMBER, REGION)
      .invocations.get(`${started.commandId}/${target.instanceId}`);
    expect(inv?.status).toBe('Cancelled');
  });

  it('refuses an archive with a second version under its key, and records why without failing anything', async () => {
    // Prepare
    const { target, memory } = await capturedCase(SEEDED.instances.multiEni);
    const state = await triage(target, memory);
    const versions = world.org.world.buckets.get(memory.bucket)!.objects.get(state.key)!;
    versions.push({ ...versions[0]!, versionId: 'second-version', body: Buffer.from('not the archive') });

    // Act
    const failure = await handler({ step: 'verifyLiveTriage', ...target, triage: state }).catch(
      (error: Error) => error,
    );
    const recorded = (await handler({
      step: 'recordTriageFailure',
      ...target,
      failure: {
        Error: (failure as Error).name,
        Cause: JSON.stringify({ errorMessage: (failure as Error).message }),
      },
    })) as any;

    // Assess
    expect((failure as Error).name).toBe('LiveTriageFailedError');
    expect(recorded.reason).toMatch(/2 versions/);
    const record = await requireCase(target.caseId);
    expect(record.artifacts.some((a) => a.kind === 'triage')).toBe(false);
    expect(record.steps.at(-1)).toMatchObject({
      step: 'Live triage',
      outcome: 'skipped',
      detail: expect.stringMatching(/^not collected: .*2 versions.*optional evidence/),
    });
    expect(record.steps.some((s) => s.outcome === 'failed')).toBe(false);
  });
});
