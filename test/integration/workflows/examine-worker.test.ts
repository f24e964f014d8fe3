import { createHash } from 'node:crypto';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { createAwsClient } from '../../../bot/core/aws-clients.js';
import { closeCase } from '../../../bot/cases/service.js';
import { requireCase } from '../../../bot/core/case-store.js';
import { handler } from '../../../handlers/steps.js';
import { canBuildImages } from '../../../sandbox/disks/build.js';
import { workerTwin } from '../../../sandbox/aws/services/forensic-worker.js';
import { which } from '../../../workflows/examine/tools.js';
import { WORKER_NAMES } from '../../../workflows/worker-names.js';
import { eventually, inputOf, openTestCase, runCase, SEEDED, useWorkflowWorld } from './harness.js';

/**
 * Issue 12, item 4: with `EXAMINE_WORKER=ec2` the case is examined on its own forensic worker in the
 * forensics account. Through the twin: the launcher creates the case's worker role (under the boundary),
 * starts the worker from the forensic AMI in the analysis VPC, waits for its SSM agent, runs
 * `ForensicsBot-Examine` — on this machine, with the real Sleuth Kit and YARA, the evidence read and the
 * outputs written with the worker's own instance-profile credentials — records it as the local path does,
 * and terminates the worker and deletes its role, also when the examination fails.
 */
let beforeStep: ((step: string, caseId: string) => void | Promise<void>) | undefined;
const world = useWorkflowWorld(
  {
    DISK_IMAGE: 'raw',
    EVIDENCE_LOCK_MODE: 'COMPLIANCE',
    EXAMINE_WORKER: 'ec2',
    EXAMINE_POLL_SECONDS: '1',
    // the local Step Functions does not wait: the polls come back to back while the engine runs
    EXAMINE_MAX_POLLS: '100000',
    // the close's clean-up (bot/workflow-client.ts startWorkerCleanup) on the local Step Functions
    EXAMINE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:forensics-bot-examine',
  },
  {
    stepHandler: async (event: unknown) => {
      const e = event as { step?: string; caseId?: string };
      if (e.step && e.caseId) await beforeStep?.(e.step, e.caseId);
      return handler(event);
    },
  },
);
const FORENSICS = '222222222222';
const forensics = () => world.org.world.region(FORENSICS, 'us-east-1');
const bucket = () => world.org.world.buckets.get(world.org.settings.evidenceBucket)!;
const stored = (uri: string) =>
  bucket()
    .objects.get(uri.replace(`s3://${bucket().name}/`, ''))!
    .at(-1)!;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const workersOf = (caseId: string) =>
  [...forensics().instances.values()].filter(
    (i) => i.tags['ir-case-id'] === caseId && i.tags[WORKER_NAMES.roleTag] === WORKER_NAMES.roleTagValue,
  );
const tools = !!which('fls') && !!which('yara');
/** The first test's case (examined, evidence secured): the workstation test opens one for it. */
let examinedCase: string | undefined;

describe.skipIf(!canBuildImages() || !tools)(
  'Workflow: examination on the forensic worker (EXAMINE_WORKER=ec2)',
  () => {
    it('a contained compromised web server is examined on its own worker, which is terminated after, with its role', async () => {
      const record = await openTestCase(SEEDED.instances.demo, ['contain']);

      const execution = await runCase(world, inputOf(record, 'not-required'));

      expect(execution.status).toBe('SUCCEEDED');
      const after = await requireCase(record.id);
      expect([after.status, after.failure]).toEqual(['evidence-secured', undefined]);
      const e = after.examination!;
      expect([e.status, e.worker]).toEqual(['completed', 'forensic worker (EXAMINE_WORKER=ec2)']);
      // the same planted traces as the local examination finds
      const paths = e.findings
        .filter((f) => f.severity === 'critical' || f.severity === 'high')
        .map((f) => f.path);
      expect(paths).toContain('/tmp/.ICE-unix/kdevtmpfsi');
      expect(paths).toContain('/etc/ld.so.preload');
      // every output written by the worker, under the case's examination prefix, locked, hashed as recorded
      expect(e.outputs.map((o) => o.name).sort()).toEqual(['findings.json', 'report.md', 'timeline.csv']);
      for (const o of e.outputs) {
        expect(o.uri).toMatch(new RegExp(`^s3://${bucket().name}/${record.id}/examination/`));
        const object = stored(o.uri);
        expect(sha256(object.body)).toBe(o.sha256);
        expect(object.lockMode).toBe('COMPLIANCE');
      }
      expect(
        after.artifacts
          .filter((a) => a.kind === 'examination')
          .map((a) => a.sha256)
          .sort(),
      ).toEqual(e.outputs.map((o) => o.sha256).sort());
      // one worker, launched from the forensic AMI into the analysis VPC with the lifetime guard, terminated
      const [worker, ...more] = workersOf(record.id);
      expect(more).toEqual([]);
      expect(worker!.state).toBe('terminated');
      expect(worker!.shutdownBehavior).toBe('terminate');
      expect(workerTwin(world.org.world).analysisVpcs.has(worker!.vpcId)).toBe(true);
      const account = world.org.world.account(FORENSICS);
      expect(account.roles.has(`ForensicsBot-Worker-${record.id}`)).toBe(false);
      expect(account.instanceProfiles.has(`ForensicsBot-Worker-${record.id}`)).toBe(false);
      const steps = after.steps.map((s) => s.step);
      expect(steps).toContain('Forensic worker started');
      expect(steps).toContain('Forensic worker terminated');
      examinedCase = record.id;
    }, 300_000);

    it('a workstation for an investigator: a worker with the case’s evidence verified onto it, opened through Session Manager, terminated after its hours', async () => {
      // Prepare: what `/forensics workstation CASE-ID 2` starts (bot/workflow-client.ts startWorkstation)
      const record = await requireCase(examinedCase!);

      // Act
      const execution = await world.sfn.waitFor(
        world.sfn.startExecution({
          stateMachineArn: world.sfn.stateMachineArn('examine'),
          name: `${record.id}-workstation-1`,
          input: JSON.stringify({
            CaseId: record.id,
            InstanceId: record.target.instanceId,
            Account: record.target.account,
            Region: record.target.region,
            Workstation: { hours: 2, requestedBy: 'U0ALICE' },
          }),
        }).executionArn,
      );

      // Assess
      expect(execution.status).toBe('SUCCEEDED');
      const stations = [...forensics().instances.values()].filter(
        (i) => i.tags['ir-case-id'] === record.id && i.tags['forensics-bot:purpose'] === 'workstation',
      );
      expect(stations.map((w) => w.state)).toEqual(['terminated']);
      const after = await requireCase(record.id);
      const ready = after.steps.find((s) => s.step === 'Forensic workstation ready');
      expect(ready?.detail).toContain(`aws ssm start-session --target ${stations[0]!.instanceId}`);
      expect(after.steps.map((s) => s.step)).toContain('Evidence on the workstation');
      expect(after.steps.map((s) => s.step)).toContain('Forensic workstation terminated');
      expect(world.org.world.account(FORENSICS).roles.has(`ForensicsBot-Workstation-${record.id}`)).toBe(
        false,
      );
      // the examination stands: a workstation records nothing of it
      expect(after.examination?.status).toBe('completed');
    }, 300_000);

    it('a failed examination (an image that no longer hashes to its record) still terminates the worker', async () => {
      const record = await openTestCase(SEEDED.instances.multiEni, ['contain']);
      beforeStep = async (step, caseId) => {
        if (step !== 'startWorkerExamination') return;
        const root = (await requireCase(caseId)).artifacts.find(
          (a) => a.kind === 'disk-image' && a.source?.endsWith('(/dev/xvda)'),
        )!;
        const body = stored(root.uri).body;
        body.writeUInt8(body.readUInt8(1080) ^ 0xff, 1080);
      };
      let execution: Awaited<ReturnType<typeof runCase>>;
      try {
        execution = await runCase(world, inputOf(record, 'not-required'));
      } finally {
        beforeStep = undefined;
      }

      // the case finishes (containment stands), its examination failed and says why, the worker is gone
      expect(execution.status).toBe('SUCCEEDED');
      const after = await requireCase(record.id);
      expect(after.examination?.status).toBe('failed');
      expect(after.examination?.reason).toMatch(/forensic worker .* read back as .* it was not examined/);
      expect(after.status).toBe('evidence-incomplete');
      expect(workersOf(record.id).map((w) => w.state)).toEqual(['terminated']);
      expect(world.org.world.account(FORENSICS).roles.has(`ForensicsBot-Worker-${record.id}`)).toBe(false);
    }, 300_000);

    it('a case closed while its worker examines: the close starts the clean-up, and the worker is terminated with its role', async () => {
      const record = await openTestCase(SEEDED.instances.noEndpoints, ['contain']);
      let closed = false;
      beforeStep = async (step, caseId) => {
        if (step !== 'pollWorkerExamination' || closed) return;
        closed = true;
        await closeCase(caseId, { userId: 'U0CAROL', name: 'carol' });
      };
      let execution: Awaited<ReturnType<typeof runCase>>;
      try {
        execution = await runCase(world, inputOf(record, 'not-required'));
      } finally {
        beforeStep = undefined;
      }

      expect(execution.status).toBe('ABORTED');
      const cleanup = world.sfn.executions().filter((x) => x.name.startsWith(`${record.id}-cleanup-`));
      expect(cleanup).toHaveLength(1);
      await eventually(
        () =>
          world.sfn.executions().find((x) => x.name === cleanup[0]!.name)?.status === 'SUCCEEDED' &&
          workersOf(record.id).every((w) => w.state === 'terminated'),
        60_000,
      );
      expect(workersOf(record.id)).toHaveLength(1);
      await eventually(
        () => !world.org.world.account(FORENSICS).roles.has(`ForensicsBot-Worker-${record.id}`),
        60_000,
      );
      expect((await requireCase(record.id)).status).toBe('closed');
    }, 300_000);

    it('the twin refuses the launcher what its IAM conditions refuse: an untagged launch, terminating anything but a worker', async () => {
      const sts = createAwsClient(STSClient, { region: 'us-east-1' });
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${FORENSICS}:role/${WORKER_NAMES.launcherRole}`,
          RoleSessionName: 'test',
          ExternalId: world.org.settings.externalId,
        }),
      );
      const c = assumed.Credentials!;
      const ec2 = createAwsClient(EC2Client, {
        region: 'us-east-1',
        credentials: {
          accessKeyId: c.AccessKeyId!,
          secretAccessKey: c.SecretAccessKey!,
          sessionToken: c.SessionToken!,
        },
      });
      const settings = JSON.parse(
        workerTwin(world.org.world).parameters.get(
          `${FORENSICS}/us-east-1:${WORKER_NAMES.settingsParameter}`,
        )!,
      );
      const imageId = workerTwin(world.org.world).parameters.get(
        `${FORENSICS}/us-east-1:${WORKER_NAMES.amiParameter}`,
      )!;

      await expect(
        ec2.send(
          new RunInstancesCommand({
            ImageId: imageId,
            InstanceType: 'm6i.xlarge',
            MinCount: 1,
            MaxCount: 1,
            SubnetId: settings.subnetIds[0],
            SecurityGroupIds: [settings.securityGroupId],
          }),
        ),
      ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      // an instance of the forensics account that is not a worker (an earlier worker's copy, untagged)
      const earlier = [...forensics().instances.values()][0]!;
      const bystander = world.org.world.id('i');
      forensics().instances.set(bystander, { ...earlier, instanceId: bystander, state: 'running', tags: {} });
      await expect(
        ec2.send(new TerminateInstancesCommand({ InstanceIds: [bystander] })),
      ).rejects.toMatchObject({
        name: 'UnauthorizedOperation',
      });
      expect(forensics().instances.get(bystander)!.state).toBe('running');
    });

    // Last: it moves the simulated clock past the sessions the other tests hold.
    it('a worker its workflow lost terminates itself: the shutdown its user data schedules, with InstanceInitiatedShutdownBehavior=terminate', async () => {
      // Prepare: a worker launched by the launch step alone (its workflow gone before any termination)
      const record = await requireCase(examinedCase!);
      const worker = (await handler({
        step: 'launchExamineWorker',
        caseId: record.id,
        instanceId: record.target.instanceId,
        account: record.target.account,
        region: record.target.region,
        executionName: 'a-workflow-that-died',
      })) as { instanceId: string; maxHours: number };
      expect(forensics().instances.get(worker.instanceId)!.state).toBe('running');

      // Act: its lifetime passes, and someone looks (with a fresh session: the clock jumped hours)
      world.org.clock.advance(worker.maxHours * 3_600_000 + 1_000);
      const sts = createAwsClient(STSClient, { region: 'us-east-1' });
      const c = (
        await sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${FORENSICS}:role/${WORKER_NAMES.launcherRole}`,
            RoleSessionName: 'lifetime',
            ExternalId: world.org.settings.externalId,
          }),
        )
      ).Credentials!;
      const ec2 = createAwsClient(EC2Client, {
        region: 'us-east-1',
        credentials: {
          accessKeyId: c.AccessKeyId!,
          secretAccessKey: c.SecretAccessKey!,
          sessionToken: c.SessionToken!,
        },
      });
      const seen = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [worker.instanceId] }));

      // Assess
      expect(seen.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
    });
  },
);
