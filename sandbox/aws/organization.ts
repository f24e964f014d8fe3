/**
 * The simulated AWS organization. `install()` hooks every SDK client made by `createAwsClient`: a
 * middleware at the start of the `deserialize` step answers the command from this organization's state,
 * so the real client still validates, serializes, signs and — importantly — retries (throttling errors
 * are retried by the SDK's retry middleware; with the virtual clock its back-off waits are simulated, see
 * `retry.ts`).
 * Clients of services not simulated here (DynamoDB, Step Functions) pass through untouched.
 */
import { guardDutyFindingsOf, recordGuardDutyFinding } from './services/guardduty.js';
import { recordSecurityHubFindingsOf } from './services/securityhub.js';
import type { DeserializeHandlerOutput, MetadataBearer } from '@smithy/types';
import { onAwsClientCreated, type HookableClient } from '../../bot/core/aws-clients.js';
import { type Credentials, actionOf, resolveCaller, sessionAllows } from './access.js';
import { type ClockMode, SimClock } from './clock.js';
import { DENIED, THROTTLE, awsError, serviceOfClient } from './errors.js';
import { EC2_REQUEST_LIMITS, type Ec2RequestLimits, Ec2RequestLimiter } from './ec2-request-limits.js';
import { callFailure, type Faults, faultsSchema, isDenied } from './faults.js';
import type { CallContext, OrgSettings } from './handler.js';
import { type InstanceCredentials, instanceCredentials } from './imds.js';
import { SeededRandom } from './random.js';
import { VirtualRetryStrategy } from './retry.js';
import { seedDefault } from './seed.js';
import { handlers } from './services/index.js';
import { terminateInstance } from './services/ec2-instances.js';
import { type CloudState, snapshotState } from './state.js';
import { World } from './world.js';

export interface OrganizationOptions {
  externalId?: string;
  securityAccount?: string;
  forensicsAccount?: string;
  evidenceBucket?: string;
  /**
   * Evidence buckets the deployment has in other regions (region -> name; `EVIDENCE_BUCKETS`): an S3
   * endpoint serves only its own region's buckets, so an isolated instance there needs one.
   */
  regionalEvidenceBuckets?: Record<string, string>;
  /** `virtual` (default): latency and retry waits advance simulated time only. `real`: they sleep. */
  clock?: ClockMode;
  /** Seed of the random source used by fault injection. */
  randomSeed?: number;
  /** How long CloudTrail's event history takes to show an event (default 5 minutes, as AWS typically). */
  cloudTrailDelayMs?: number;
  /**
   * EC2's per-account, per-region, per-action request limits (ec2-request-limits.ts): `true` for the
   * defaults, or figures of one's own. Off by default because most tests make their calls in no simulated
   * time at all, where a rate means nothing; the sandbox, the outbreak benchmark and the limits' own tests
   * turn it on.
   */
  ec2RequestLimits?: boolean | Ec2RequestLimits;
}

export interface CallRecord {
  seq: number;
  client: string;
  command: string;
  account: string;
  region: string;
  /** `ok`, or the error name returned. */
  outcome: string;
  /** Simulated ms (clock offset) at which the call completed. */
  atMs: number;
}

export const DEFAULT_EXTERNAL_ID = 'forensics-bot-sandbox';

export class SimulatedOrganization {
  readonly world = new World();
  readonly settings: OrgSettings;
  readonly clock: SimClock;
  readonly calls: CallRecord[] = [];
  private faults: Faults = {};
  /** Calls each `fail` rule has matched since the faults were set. */
  private failCounts: number[] = [];
  private random: SeededRandom;
  private readonly ec2Limiter?: Ec2RequestLimiter;
  private removeHook?: () => void;
  private depth = 0;
  private clientCount = 0;

  constructor(options: OrganizationOptions = {}) {
    const forensicsAccount = options.forensicsAccount ?? '222222222222';
    this.settings = {
      externalId: options.externalId ?? DEFAULT_EXTERNAL_ID,
      securityAccount: options.securityAccount ?? '111111111111',
      forensicsAccount,
      evidenceBucket: options.evidenceBucket ?? `forensics-evidence-${forensicsAccount}`,
      regionalEvidenceBuckets: options.regionalEvidenceBuckets ?? {},
      irRoleName: 'IRAutomation',
      evidenceUploadRoleName: 'ForensicsBot-EvidenceUpload',
      cloudTrailDelayMs: options.cloudTrailDelayMs ?? 5 * 60_000,
    };
    this.clock = new SimClock(options.clock ?? 'virtual');
    this.random = new SeededRandom(options.randomSeed);
    if (options.ec2RequestLimits)
      this.ec2Limiter = new Ec2RequestLimiter(
        options.ec2RequestLimits === true ? EC2_REQUEST_LIMITS : options.ec2RequestLimits,
      );
  }

  /** Seeds the sandbox's accounts (see `seed.ts` for the ids it exports). */
  seedDefault(): this {
    seedDefault(this.world, this.settings, this.clock.now());
    return this;
  }

  /** Answers commands of clients created from now on. Idempotent. */
  install(): this {
    // Credentials must never be looked up on the network (the instance metadata service).
    process.env.AWS_EC2_METADATA_DISABLED ??= 'true';
    this.removeHook ??= onAwsClientCreated((client) => this.attach(client));
    return this;
  }

  uninstall(): void {
    this.removeHook?.();
    this.removeHook = undefined;
  }

  /** Replaces the injected faults (`{}` clears them); `terminate` takes effect at once. */
  setFaults(faults: Faults): void {
    this.faults = faultsSchema.parse(faults);
    this.failCounts = [];
    for (const instanceId of this.faults.terminate ?? []) {
      for (const account of this.world.accounts.values())
        for (const region of account.regions.values())
          if (region.instances.has(instanceId)) terminateInstance(this.world, region, instanceId);
    }
  }

  getFaults(): Faults {
    return structuredClone(this.faults);
  }

  /** Length of the longest chain of calls that had to wait for each other (serial AWS calls). */
  get serialCalls(): number {
    return this.depth;
  }

  /** Forgets the call log and the serial-call counter (e.g. between benchmark phases). */
  resetCalls(): void {
    this.calls.length = 0;
    this.depth = 0;
  }

  /** An object's bytes as the simulated S3 holds them (`GET /api/cloud/s3/:bucket/<key>`); no access check. */
  objectBody(bucket: string, key: string, versionId?: string) {
    const versions = this.world.buckets.get(bucket)?.objects.get(key) ?? [];
    const version = versionId ? versions.find((v) => v.versionId === versionId) : versions.at(-1);
    if (!version || version.deleteMarker) return undefined;
    return {
      body: version.body,
      contentType: version.contentType,
      versionId: version.versionId,
      sha256: version.sha256,
    };
  }

  /** What a process on the instance gets from the instance metadata service: its profile's credentials. */
  instanceCredentials(instanceId: string): InstanceCredentials {
    return instanceCredentials(this.world, instanceId, this.clock.now());
  }

  /** Credentials of `role` for a process on the instance (the metadata service's view during a swap). */
  instanceCredentialsFor(instanceId: string, role: string): InstanceCredentials {
    return instanceCredentials(this.world, instanceId, this.clock.now(), role);
  }

  /**
   * GuardDuty produced this finding (the `detail` of a `GuardDuty Finding` event): it is now in its account's
   * and region's detector, where the administrator can archive it.
   */
  recordGuardDutyFinding(detail: Record<string, unknown>) {
    return recordGuardDutyFinding(this.world, detail);
  }

  /** Records every GuardDuty finding an EventBridge event carries (GuardDuty's own, or through Security Hub). */
  recordGuardDutyFindingsOf(event: unknown): void {
    for (const detail of guardDutyFindingsOf(event)) recordGuardDutyFinding(this.world, detail);
  }

  /** Records the findings a Security Hub import event carries, as Security Hub holds them. */
  recordSecurityHubFindingsOf(event: unknown): void {
    recordSecurityHubFindingsOf(this.world, event);
  }

  /**
   * Events the organization's services emit (Security Hub's event for a finding it updated) go to
   * `listener` once the call that caused them has returned; undefined: they wait for `takeEvents`.
   */
  onEvent(listener: ((event: Record<string, unknown>) => void) | undefined): void {
    this.world.listenForEvents(listener);
  }

  /** The emitted events nobody listened for, oldest first; they are delivered once. */
  takeEvents(): Record<string, unknown>[] {
    return this.world.pendingEvents.splice(0);
  }

  /** JSON snapshot of the organization (for assertions and `/api/cloud`). */
  state(): CloudState {
    return snapshotState(this.world, this.faults.ssmOffline);
  }

  /** Answers one command as `credentials` in `region`; throws the service's error. */
  async handle(
    clientName: string,
    commandName: string,
    input: Record<string, unknown>,
    credentials: Credentials | undefined,
    region: string,
    transport: { secure: boolean } = { secure: true },
  ): Promise<MetadataBearer> {
    const service = serviceOfClient(clientName);
    if (!service) throw new Error(`${clientName} is not simulated`);
    const startDepth = this.depth;
    let account = this.settings.securityAccount;
    let outcome = 'ok';
    try {
      await this.clock.sleep(this.faults.latencyMs ?? 0);
      const table = handlers[service];
      const fn = table[commandName];
      if (!fn) throw new Error(`${clientName}.${commandName} is not simulated`);
      const resolved = resolveCaller(this.world, this.settings, credentials, region, this.clock.now());
      const caller = 'error' in resolved ? resolved : { ...resolved, secureTransport: transport.secure };
      if ('error' in caller)
        throw awsError(service, caller.error, 'The security token included in the request is invalid', 403);
      account = caller.account;
      const fail = (code: string, message: string, status?: number): never => {
        throw awsError(service, code, message, status);
      };
      if (this.faults.throttle && this.random.next() < this.faults.throttle) {
        const [code, status] = THROTTLE[service];
        fail(code, 'Rate exceeded', status);
      }
      const command = commandName.replace(/Command$/, '');
      if (
        service === 'ec2' &&
        this.ec2Limiter &&
        !this.ec2Limiter.take(account, region, command, this.clock.now())
      )
        fail('RequestLimitExceeded', 'Request limit exceeded.', 503);
      const { action, resource } = actionOf(service, commandName, input);
      if (
        isDenied(this.faults, caller.account, command) ||
        !sessionAllows(this.world, caller, action, resource)
      ) {
        const [code, status] = DENIED[service];
        fail(
          code,
          `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource}`,
          status,
        );
      }
      const injected = callFailure(this.faults, this.failCounts, caller.account, command);
      if (injected)
        fail(injected.error, injected.message ?? `Injected failure of ${command} (sandbox faults)`, 400);
      const ctx: CallContext = {
        world: this.world,
        caller,
        service,
        command: commandName,
        clock: this.clock,
        faults: this.faults,
        here: this.world.region(caller.account, region),
        org: this.settings,
        fail,
        now: () => new Date(this.clock.now()),
      };
      const result = await fn(ctx, input);
      return {
        ...result,
        $metadata: { httpStatusCode: 200, requestId: `sim-${this.calls.length + 1}`, attempts: 1 },
      };
    } catch (error) {
      outcome = error instanceof Error ? error.name : 'Error';
      throw error;
    } finally {
      this.depth = Math.max(this.depth, startDepth + 1);
      this.calls.push({
        seq: this.calls.length + 1,
        client: clientName,
        command: commandName,
        account,
        region,
        outcome,
        atMs: this.clock.simulatedMs,
      });
    }
  }

  private attach(client: HookableClient): void {
    const service = serviceOfClient(client.constructor.name);
    if (!service) return;
    const config = client.config as HookableClient['config'] & {
      credentials?: () => Promise<Credentials>;
      retryStrategy?: () => Promise<unknown>;
    };
    // Without credentials the default chain fails (or would ask the instance metadata service, which
    // `install()` disables): such a caller is the security account's own code.
    const resolveCredentials = config.credentials;
    const own = { accessKeyId: 'AKIASIMULATEDSECURITY', secretAccessKey: 'simulated-not-secret' };
    config.credentials = async () => {
      try {
        return resolveCredentials ? await resolveCredentials() : own;
      } catch (error) {
        // Only the default chain finding nothing means "the security account's own code"; a provider the
        // caller gave (an AssumeRole that was refused) fails the call, as the real SDK does.
        if ((error as Error)?.name === 'CredentialsProviderError') return own;
        throw error;
      }
    };
    if (this.clock.mode === 'virtual' && config.retryStrategy) {
      const original = config.retryStrategy;
      this.clientCount += 1;
      const seed = this.clientCount;
      let chosen: Promise<unknown> | undefined;
      config.retryStrategy = () => {
        chosen ??= original().then((strategy) => {
          // Only the SDK's default strategies are swapped; a strategy the caller built is kept as it is.
          const name = (strategy as object).constructor?.name;
          if (name !== 'StandardRetryStrategy' && name !== 'AdaptiveRetryStrategy') return strategy;
          const maxAttempts = async () =>
            (await (strategy as { maxAttempts?: () => Promise<number> }).maxAttempts?.()) ?? 3;
          return new VirtualRetryStrategy(maxAttempts, this.clock, seed);
        });
        return chosen;
      };
    }
    client.middlewareStack.add(
      (_next: unknown, context: { clientName?: string; commandName?: string }) =>
        async (args: {
          input: Record<string, unknown>;
        }): Promise<DeserializeHandlerOutput<MetadataBearer>> => {
          const credentials = config.credentials ? await config.credentials() : undefined;
          const region = await config.region();
          const output = await this.handle(
            context.clientName ?? client.constructor.name,
            context.commandName ?? 'UnknownCommand',
            args.input,
            credentials,
            region,
          );
          return { output, response: { statusCode: 200, headers: {} } };
        },
      { step: 'deserialize', name: 'simulatedAwsOrganization', priority: 'high', override: true },
    );
  }
}
