/**
 * Wires the whole product on one machine: dynalite with the case table, the local Slack, the simulated
 * AWS organization, local Step Functions running the real ASL with the real steps, the bot's real
 * handlers, and the HTTP server of the sandbox API and page. `startSandbox()` is what `npm start` and
 * the browser test run; `stop()` undoes all of it.
 */
import { tagAsAnalyst } from './tagging.js';
import type { SimulatedOrganization } from './aws/organization.js';
import { type Components, InFlight, loadComponents } from './components.js';
import type { LocalStepFunctions } from './stepfunctions/local-sfn.js';
import { applyLogLevel } from '../bot/core/logger.js';
import { applyVariables, restoreVariables, SANDBOX, sandboxVariables } from './environment.js';
import { startLocalDynamo } from './dynamo.js';
import {
  describeInstance,
  findCloudInstance,
  SAMPLES,
  sample as findSample,
  type SampleTarget,
} from './samples.js';
import type { ComponentStatus, EventDelivery, SampleInfo, SandboxApp } from './server/app.js';
import { startHttpServer } from './server/http-server.js';
import { type FunctionUrlEvent, functionUrlEvent, readFunctionUrlResult } from './slack/function-url.js';
import { type ClickInput, type CommandInput, type DeliveryResult, LocalSlack } from './slack/local-slack.js';
import { routesOf, sandboxRules } from './routing.js';
import { pickTargets } from './targets.js';
import { attackSequenceEvent, outbreakInstances } from './outbreak.js';

export interface SandboxOptions {
  /** Port of the page and API on 127.0.0.1 (default 3000; 0 = a free port). */
  port?: number;
  signingSecret?: string;
  /** Slack's burst limit on chat.postMessage (off by default). */
  realisticRateLimits?: boolean;
}

export interface Sandbox extends SandboxApp {
  readonly url: string;
  readonly port: number;
  readonly org: SimulatedOrganization;
  readonly stepFunctions: LocalStepFunctions;
  readonly components: Components;
  /**
   * Waits until every event the organization's services emitted (Security Hub's events for the findings
   * the bot updated) has been routed and handled; then every such delivery so far, with its event.
   */
  emittedDeliveries(): Promise<(EventDelivery & { event?: unknown })[]>;
  stop(): Promise<void>;
}

class NotWiredError extends Error {
  override name = 'NotWiredError';
}

/** Starts everything; resolves when the page answers. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const cleanup: (() => unknown)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch {
        // keep undoing the rest
      }
    }
  };
  try {
    const signingSecret = options.signingSecret ?? process.env.SLACK_SIGNING_SECRET ?? SANDBOX.signingSecret;
    const dynamo = await startLocalDynamo(SANDBOX.table);
    cleanup.push(() => dynamo.stop());
    const slack = new LocalSlack({
      signingSecret,
      botToken: SANDBOX.botToken,
      realisticRateLimits: options.realisticRateLimits ?? false,
    });
    const { apiUrl } = await slack.start();
    cleanup.push(() => slack.stop());

    const before = applyVariables(
      sandboxVariables({ dynamoEndpoint: dynamo.endpoint, slackApiUrl: apiUrl, signingSecret }),
    );
    cleanup.push(() => restoreVariables(before));
    applyLogLevel(); // the logger was created before SANDBOX_LOG_LEVEL reached POWERTOOLS_LOG_LEVEL
    await resetCachedSettings();

    const inFlight = new InFlight();
    const components = inFlight.track(await loadComponents());
    const org = new components.SimulatedOrganization({
      externalId: SANDBOX.externalId,
      evidenceBucket: SANDBOX.evidenceBucket,
      regionalEvidenceBuckets: SANDBOX.regionalEvidenceBuckets,
      securityAccount: SANDBOX.securityAccount,
      forensicsAccount: SANDBOX.forensicsAccount,
      // CloudTrail shows an event minutes after the call in AWS; here seconds, like the sandbox's other waits.
      cloudTrailDelayMs: 5_000,
      // EC2 throttles each action per account and region: an outbreak contained at once meets it here too.
      ec2RequestLimits: true,
    });
    org.seedDefault();
    org.install();
    cleanup.push(() => org.uninstall());
    // Case lines go through the outbox (a simulated SQS FIFO queue and its drainer), as in AWS (issue 13).
    const { startSandboxOutbox } = await import('./aws/services/sqs-event-source.js');
    const outbox = await startSandboxOutbox({
      onError: (error) => console.error('[sandbox] outbox drainer:', error),
    });
    cleanup.push(() => outbox.stop());
    const stepFunctions = startStepFunctions(components);
    // Undone in reverse: the server stops taking requests, executions are aborted, then the handler
    // calls still running (the steps, the progress of the aborted executions) finish while DynamoDB,
    // the local Slack and the simulated organization still answer them.
    cleanup.push(() => settle(inFlight, stepFunctions, SETTLE_MS));
    cleanup.push(() => stepFunctions.stop());

    const app = sandboxApp(slack, signingSecret, components, org, stepFunctions);
    // What the organization's services emit (Security Hub's event for a finding the bot updated) goes
    // through the sandbox's EventBridge like any other event, as it does in AWS.
    const emitted: (EventDelivery & { event?: unknown })[] = [];
    const emitting = new Set<Promise<void>>();
    org.onEvent((event) => {
      const delivery = app.deliverEvent(event).then(
        (d) => {
          emitted.push({ ...d, event });
        },
        (error: unknown) => {
          console.error('[sandbox] delivering an event Security Hub emitted failed:', error);
        },
      );
      emitting.add(delivery);
      void delivery.finally(() => emitting.delete(delivery));
    });
    cleanup.push(() => org.onEvent(undefined));
    const emittedDeliveries = async (): Promise<(EventDelivery & { event?: unknown })[]> => {
      // an emitted event reaches the listener on the next turn (setImmediate), then it is in `emitting`
      do {
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.all([...emitting]);
      } while (emitting.size);
      return [...emitted];
    };
    const server = await startHttpServer(app, options.port ?? 3000);
    cleanup.push(() => server.close());
    slack.setPermalinkBase(server.url);

    return Object.assign(app, {
      url: server.url,
      port: server.port,
      org,
      stepFunctions,
      components,
      emittedDeliveries,
      stop: undo,
    });
  } catch (error) {
    await undo();
    throw error;
  }
}

/** A case as the page may show it: the approval's task token is never shown (DESIGN.md). */
function withoutSecrets<T extends { taskToken?: unknown }>(record: T): Omit<T, 'taskToken'> {
  const { taskToken: _token, ...rest } = record;
  return rest;
}

/** How long stopping waits for handler calls in flight. */
const SETTLE_MS = 3_000;

async function settle(
  inFlight: InFlight,
  stepFunctions: LocalStepFunctions,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const executions = stepFunctions.executions();
  if (executions.length) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(executions.map((e) => stepFunctions.waitFor(e.executionArn))),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
  await inFlight.settle(Math.max(0, deadline - Date.now()));
}

/** Settings are memoized per cold start; a sandbox started in a process that read them must re-read. */
async function resetCachedSettings(): Promise<void> {
  const config = await import('../bot/core/config.js');
  for (const settings of [config.tableSettings, config.slackSettings, config.workspaceSettings])
    settings.reset();
  (await import('../bot/core/table.js')).resetDb();
  (await import('../bot/slack/client.js')).resetSlackWebClient();
  (await import('../bot/slack/secrets.js')).resetSlackSecrets();
}

function startStepFunctions(components: Components): LocalStepFunctions {
  const { LocalStepFunctions, steps, progress, loadDefinitions } = components;
  return new LocalStepFunctions({
    definitions: loadDefinitions(),
    stepHandler: steps,
    // Waits (approval reminders, polls) are shortened so a case completes in seconds.
    waitSeconds: 0,
    onStatusChange: async (event: unknown) => {
      try {
        await progress(event);
      } catch (error) {
        console.error('[sandbox] progress handler failed:', error);
      }
    },
  });
}

function sandboxApp(
  slack: LocalSlack,
  signingSecret: string,
  components: Components,
  org: SimulatedOrganization,
  stepFunctions: LocalStepFunctions,
): SandboxApp {
  const need = <T>(value: T | undefined, what: string): T => {
    if (!value) throw new NotWiredError(`${what} is not available in this sandbox`);
    return value;
  };
  const bot = components.slack;
  const toBot = async (event: FunctionUrlEvent): Promise<DeliveryResult> =>
    readFunctionUrlResult(await bot(event, {}));
  const targets = () => pickTargets();
  const sampleTarget = (aboutInstance: boolean, index: number): SampleTarget | undefined => {
    const all = targets();
    if (all.length === 0) return undefined;
    return aboutInstance ? all[index % all.length] : all[0];
  };

  // The deploy's intake rules (deploy/constructs/intake-rules.ts builds the same), for this sandbox's state
  // machines. The local Step Functions report their own status changes to the progress handler directly.
  const rules = sandboxRules(
    Object.keys(components.loadDefinitions()).map((name) => stepFunctions.stateMachineArn(name)),
  );

  const app: SandboxApp = {
    slack,
    signingSecret,
    async deliverEvent(event: unknown): Promise<EventDelivery> {
      // The GuardDuty findings an event carries exist in GuardDuty (its detector holds them), and Security
      // Hub's imports in Security Hub, rule or no rule.
      org.recordGuardDutyFindingsOf(event);
      org.recordSecurityHubFindingsOf(event);
      const routes = routesOf(rules, event);
      if (routes.dropped) return { rules: [], dropped: routes.dropped };
      const delivery: EventDelivery = { rules: routes.deliveries.map((d) => d.rule) };
      for (const { handler } of routes.deliveries) {
        delivery.handler = handler;
        delivery.result = await components[handler](event);
      }
      return delivery;
    },
    click: (input: ClickInput) => slack.click(bot, input),
    command: (input: CommandInput) => slack.command(bot, input),
    openHome: (input) => slack.openHome(bot, input),
    clickHome: (input) => slack.clickHome(bot, input),
    submitView: (input) => slack.submitView(bot, input),
    closeView: (input) => slack.closeView(bot, input),
    slackRequest: (request) => toBot(functionUrlEvent(request)),
    cloud: () => org.state(),
    setFaults(faults) {
      org.setFaults(faults);
      return org.getFaults();
    },
    faults: () => org.getFaults(),
    objectBody: (bucket, key, versionId) => org.objectBody(bucket, key, versionId),
    startExecution({ stateMachine, name, input }) {
      const arn =
        stateMachine === 'case' ? process.env.CASE_STATE_MACHINE_ARN : process.env.RELEASE_STATE_MACHINE_ARN;
      if (!arn) throw new NotWiredError(`the ${stateMachine} state machine is not wired`);
      const { executionArn } = stepFunctions.startExecution({
        stateMachineArn: arn,
        name,
        input: JSON.stringify(input),
      });
      return { executionArn, name: executionArn.split(':').pop()! };
    },
    samples(): SampleInfo[] {
      return SAMPLES.map((s, i) => ({
        name: s.name,
        title: s.title,
        source: s.source,
        ...(s.aboutInstance ? { target: sampleTarget(true, i === 0 ? 0 : i) } : {}),
      }));
    },
    async injectSample(name, target) {
      const s = need(findSample(name), `Sample ${name}`);
      const index = SAMPLES.indexOf(s);
      const fallback = sampleTarget(s.aboutInstance, index) ?? {
        account: SANDBOX.memberAccounts[0],
        region: SANDBOX.region,
        instanceId: 'i-0123456789abcdef0',
      };
      const where = { ...fallback, ...target };
      if (s.outbreak) {
        // The instances exist before GuardDuty names them: the page shows them in Cloud, and each case contains a real one.
        const event = attackSequenceEvent(outbreakInstances(org.world, s.outbreak), SANDBOX.securityAccount);
        return { ...(await app.deliverEvent(event)), event };
      }
      const event = s.build(where);
      if (s.aboutInstance) describeInstance(event, findCloudInstance(org.state(), where));
      // A tag sample is a person tagging the instance: the tag is really set, and CloudTrail knows who.
      if (s.source === 'tag') await tagAsAnalyst(org, where, event.detail.tags as Record<string, string>);
      return { ...(await app.deliverEvent(event)), event };
    },
    async cases() {
      const { listOpenCases } = await import('../bot/core/case-store.js');
      return (await listOpenCases(50)).map(withoutSecrets);
    },
    async caseRecord(id) {
      const { getCase } = await import('../bot/core/case-store.js');
      const record = await getCase(id);
      return record && withoutSecrets(record);
    },
    status(): ComponentStatus[] {
      // Every part is imported statically: if one failed to load, the sandbox did not start.
      return [
        'handlers/slack',
        'handlers/findings',
        'handlers/progress',
        'handlers/steps',
        'aws/organization',
        'stepfunctions/local-sfn',
      ].map((name) => ({ name, ok: true }));
    },
  };
  return app;
}
