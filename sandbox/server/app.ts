/**
 * What the sandbox's HTTP API needs from the running sandbox. `sandbox/wiring.ts` implements it; the
 * routes only translate HTTP to these calls, so they stay thin and testable with a fake.
 */
import type { SimObject } from '../components.js';
import type { HttpRequestLike } from '../slack/function-url.js';
import type {
  ClickInput,
  CommandInput,
  DeliveryResult,
  LocalSlack,
  ViewInput,
  ViewSubmitInput,
  ViewSubmitResult,
} from '../slack/local-slack.js';

export interface SampleInfo {
  name: string;
  title: string;
  source: string;
  /** The instance it will be about, when it names one. */
  target?: { account: string; region: string; instanceId: string };
}

export interface EventDelivery {
  /** The handler the event went to; absent when the intake rules dropped it. */
  handler?: 'findings' | 'progress';
  /** The intake rules that matched it (one delivery each, as EventBridge makes them). */
  rules: string[];
  /** The handler's answer (of the last delivery). */
  result?: unknown;
  /** No rule matched: which came closest, why not, and the sentence the page shows. */
  dropped?: { closest?: { rule: string; reason: string }; message: string };
}

export interface ComponentStatus {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface SandboxApp {
  readonly slack: LocalSlack;
  readonly signingSecret: string;
  /**
   * One EventBridge event, routed by the deploy's intake rules with the deploy's defaults: delivered to the
   * function of each rule that matches it, or dropped (and said so) when none does.
   */
  deliverEvent(event: unknown): Promise<EventDelivery>;
  /** A user clicks a button: the real block_actions payload, signed, to the bot's Function URL handler. */
  click(input: ClickInput): Promise<DeliveryResult>;
  /** A user submits a modal the bot opened for them: the signed view_submission goes to the bot. */
  submitView(input: ViewSubmitInput): Promise<ViewSubmitResult>;
  /** A user closes a modal the bot opened for them. */
  closeView(input: ViewInput): Promise<{ outcome: 'closed'; delivery?: DeliveryResult }>;
  /** A user types `/forensics <text>`. */
  command(input: CommandInput): Promise<DeliveryResult>;
  /** A user opens the bot's Home tab (the signed app_home_opened event), or clicks a button in it. */
  openHome(input: { user: string }): Promise<DeliveryResult>;
  clickHome(input: { user: string; actionId: string; value?: string }): Promise<DeliveryResult>;
  /** A raw HTTP request to the bot's Slack endpoint (`POST /slack/events`). */
  slackRequest(request: HttpRequestLike): Promise<DeliveryResult>;
  /** The simulated AWS state. */
  cloud(): unknown;
  /** Replaces the injected faults; answers the faults now in force. */
  setFaults(faults: Record<string, unknown>): unknown;
  faults(): unknown;
  /** The body of an object in the simulated S3 (its current version, or `versionId`). */
  objectBody(bucket: string, key: string, versionId?: string): SimObject | undefined;
  /** Starts a workflow as the Step Functions console would (any execution name, the given input). */
  startExecution(input: {
    stateMachine: 'case' | 'release';
    name?: string;
    input: Record<string, unknown>;
  }): { executionArn: string; name: string };
  samples(): SampleInfo[];
  /** Builds the sample's event (patched to a seeded instance, or `target`) and delivers it. */
  injectSample(
    name: string,
    target?: Partial<SampleInfo['target']>,
  ): Promise<EventDelivery & { event: unknown }>;
  /** Open cases, newest first (for the page). */
  cases(): Promise<unknown[]>;
  /** One case record (status, steps, artifacts), or undefined. */
  caseRecord(id: string): Promise<unknown>;
  status(): ComponentStatus[];
}
