/**
 * A local Slack workspace over HTTP on 127.0.0.1: the Web API methods forensics-bot uses (real request
 * parsing, response shapes, errors, Block Kit limits, rate limiting), the `response_url`s it hands out,
 * and the requests Slack sends to an app (signed `block_actions` and slash commands), built from the
 * messages the bot actually posted. Tests point `SLACK_API_URL` at `apiUrl`; the sandbox does too.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type FunctionUrlEvent,
  type FunctionUrlResult,
  functionUrlEvent,
  readFunctionUrlResult,
} from './function-url.js';
import { fileObject, receiveUpload } from './files.js';
import { parseSlackArgs, readBody, readBytes, sendJson, tokenOf } from './http.js';
import {
  blockActionsPayload,
  homeActionsPayload,
  interactionBody,
  formEncode,
  signRequest,
  slashCommandFields,
} from './payloads.js';
import { checkMessage } from './block-kit-limits.js';
import { answerResponseUrl, type ResponseTarget, type ResponseUrlPost } from './response-urls.js';
import { WorkspaceState } from './state.js';
import {
  applyViewAnswer,
  clientErrors,
  type InputValues,
  readViewAnswer,
  type ViewOutcome,
  ViewNotFoundError,
  viewClosedPayload,
  viewSubmissionPayload,
} from './views.js';
import { WEB_API_METHODS, withBlockIds } from './web-api.js';
import {
  BOT,
  TEAM,
  VERIFICATION_TOKEN,
  DEFAULT_BOT_TOKEN,
  DEFAULT_SIGNING_SECRET,
  type EphemeralMessage,
  type MessageWithReplies,
  type RecordedCall,
  type SlackChannel,
  type SlackUser,
} from './workspace.js';

export interface LocalSlackOptions {
  /** Signs the requests sent to the bot. Default `sandbox-signing-secret`. */
  signingSecret?: string;
  /** The only bot token the Web API accepts. Default `xoxb-sandbox-token`. */
  botToken?: string;
  /** Port to listen on (127.0.0.1); 0 (default) picks a free one. */
  port?: number;
  /** Where permalinks point (default: this server). The sandbox sets its page's address. */
  permalinkBase?: string;
  /** chat.postMessage beyond ~1 per second per channel answers 429, as Slack does in bursts. */
  realisticRateLimits?: boolean | { burst?: number; perSecond?: number };
  clock?: () => number;
}

/** A request to an app, ready to send: form-encoded body and Slack's headers (signed). */
export interface SlackRequest {
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A Lambda Function URL handler, like `handlers/slack.ts`'s `handler`. */
export type FunctionUrlHandler = (event: FunctionUrlEvent, context?: unknown) => Promise<FunctionUrlResult>;

export interface ClickInput {
  /** User id or name (`U0ALICE` or `alice`). */
  user: string;
  /** Channel id or name. */
  channel: string;
  /** The message holding the button (top level, reply, or the user's ephemeral). */
  ts: string;
  actionId: string;
  /** Picks among buttons sharing an action_id. */
  value?: string;
  /**
   * The version of the message the user's client still shows (a stale client, or a click sent before an
   * update arrived): Slack delivers a click on it with that version's blocks. Must be the same message.
   */
  shown?: { ts: string; blocks?: Record<string, unknown>[] };
}

export interface CommandInput {
  user: string;
  channel: string;
  text: string;
  command?: string;
}

export interface ViewInput {
  /** User id or name: the one the modal was opened for. */
  user: string;
  viewId: string;
}

export interface ViewSubmitInput extends ViewInput {
  /** What the user typed: `{ [block_id]: { [action_id]: text } }`. */
  values?: InputValues;
}

export interface ViewSubmitResult {
  outcome: ViewOutcome;
  /** The app's answer (absent when the client's checks stopped the submission). */
  delivery?: DeliveryResult;
  errors?: Record<string, string>;
  problem?: string;
}

/** An open modal as the page sees it. */
export interface OpenedViewInfo {
  id: string;
  user: string;
  view: Record<string, unknown>;
  errors?: Record<string, string>;
  problem?: string;
}

interface RateRule {
  method?: string;
  remaining: number;
  retryAfterSeconds: number;
}

export class LocalSlack {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly state: WorkspaceState;
  /** Every Web API call answered (not those answered 429), in order. */
  readonly calls: (RecordedCall & { ok: boolean; error?: string })[] = [];
  /** Every POST to a response_url, in order. */
  readonly responses: ResponseUrlPost[] = [];
  private server?: Server;
  private baseUrl = '';
  private readonly rateRules: RateRule[] = [];
  private readonly failures = new Map<string, string[]>();
  private readonly targets = new Map<string, ResponseTarget>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private realistic?: { burst: number; perSecond: number };
  private permalinkBase?: string;

  constructor(private readonly options: LocalSlackOptions = {}) {
    this.signingSecret = options.signingSecret ?? DEFAULT_SIGNING_SECRET;
    this.botToken = options.botToken ?? DEFAULT_BOT_TOKEN;
    this.state = new WorkspaceState(options.clock);
    this.permalinkBase = options.permalinkBase;
    this.setRealisticRateLimits(options.realisticRateLimits ?? false);
  }

  /** Listens on 127.0.0.1; `apiUrl` ends with `/api/` (set it as SLACK_API_URL). */
  async start(): Promise<{ apiUrl: string; url: string; port: number }> {
    const server = createServer((req, res) => {
      void this.handle(req, res).then((handled) => {
        if (!handled) sendJson(res, 404, { ok: false, error: 'not_found' });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', resolve);
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return { apiUrl: this.apiUrl, url: this.baseUrl, port };
  }

  get url(): string {
    return this.baseUrl;
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers `/api/<method>` and `/response/<id>`; false for any other path (for mounting). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/upload/v1/') || url.pathname.startsWith('/files-pri/')) {
      await this.answerFile(req, res, url).catch((error: unknown) =>
        sendJson(res, 500, { ok: false, error: 'internal_error', detail: String(error) }),
      );
      return true;
    }
    const api = /^\/api\/([A-Za-z0-9._]+)$/.exec(url.pathname);
    const response = /^\/response\/([A-Za-z0-9-]+)$/.exec(url.pathname);
    if (!api && !response) return false;
    try {
      const body = await readBody(req);
      let args: Record<string, unknown>;
      try {
        args = parseSlackArgs(req.headers['content-type'], body, url.searchParams);
      } catch {
        sendJson(res, 200, { ok: false, error: 'invalid_json' });
        return true;
      }
      if (api) this.answerMethod(req, res, api[1]!, args);
      else {
        this.responses.push({ id: response![1]!, body: args, at: Date.now() });
        const answer = answerResponseUrl(this.state, this.targets.get(response![1]!), args);
        sendJson(res, answer.status, answer.body);
      }
    } catch (error) {
      sendJson(res, 500, { ok: false, error: 'internal_error', detail: String(error) });
    }
    return true;
  }

  private answerMethod(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    args: Record<string, unknown>,
  ): void {
    const implementation = WEB_API_METHODS[method];
    if (!implementation) {
      sendJson(res, 200, { ok: false, error: 'unknown_method', req_method: method });
      return;
    }
    if (tokenOf(req, args) !== this.botToken) {
      sendJson(res, 200, { ok: false, error: 'invalid_auth' });
      return;
    }
    const retryAfter = this.rateLimited(method, args);
    if (retryAfter !== undefined) {
      sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
      return;
    }
    const { token: _token, ...recorded } = args;
    const injected = this.failures.get(method)?.shift();
    const result = injected
      ? { ok: false, error: injected }
      : implementation(
          { state: this.state, permalinkBase: this.permalinkBase ?? this.baseUrl, baseUrl: this.baseUrl },
          args,
        );
    this.calls.push({
      method,
      args: recorded,
      at: Date.now(),
      ok: result.ok,
      ...(result.ok ? {} : { error: String(result.error) }),
    });
    sendJson(res, 200, result);
  }

  /**
   * The upload URLs (POST of the bytes, no token: the URL is the credential, as Slack's) and the files'
   * `url_private` (GET with the bot token, as Slack requires).
   */
  private async answerFile(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const upload = /^\/upload\/v1\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (upload) {
      if (req.method !== 'POST') return void this.sendText(res, 405, 'POST the bytes');
      const body = await readBytes(req, 1024 * 1024 * 1024);
      const answer = await receiveUpload(this.state, upload[1]!, req.headers['content-type'], body);
      this.calls.push({
        method: 'upload',
        args: { upload_url: `${this.baseUrl}${url.pathname}`, bytes: body.length },
        at: Date.now(),
        ok: answer.status === 200,
        ...(answer.status === 200 ? {} : { error: answer.text }),
      });
      if (answer.status === 200) this.state.changed();
      return void this.sendText(res, answer.status, answer.text);
    }
    const pri = new RegExp(`^/files-pri/${TEAM.id}-([A-Z0-9]+)/(?:download/)?[^/]+$`).exec(url.pathname);
    if (req.method !== 'GET' || !pri) return void this.sendText(res, 404, 'not found');
    if (tokenOf(req, {}) !== this.botToken) return void this.sendText(res, 403, 'not authorized');
    const bytes = this.fileBytes(pri[1]!);
    if (!bytes) return void this.sendText(res, 404, 'not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.end(bytes);
  }

  private sendText(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private rateLimited(method: string, args: Record<string, unknown>): number | undefined {
    const rule = this.rateRules.find((r) => r.remaining > 0 && (!r.method || r.method === method));
    if (rule) {
      rule.remaining--;
      return rule.retryAfterSeconds;
    }
    // chat.update is Tier 3: about 50 a minute for the app in the workspace, whatever the channel.
    if (this.realistic && method === 'chat.update') {
      const now = Date.now();
      const bucket = this.buckets.get('tier3:chat.update') ?? { tokens: 10, at: now };
      bucket.tokens = Math.min(10, bucket.tokens + ((now - bucket.at) / 1000) * (50 / 60));
      bucket.at = now;
      this.buckets.set('tier3:chat.update', bucket);
      if (bucket.tokens < 1) return Math.ceil((1 - bucket.tokens) / (50 / 60));
      bucket.tokens -= 1;
    }
    if (this.realistic && method === 'chat.postMessage') {
      const key = this.state.channel(args.channel)?.id ?? String(args.channel);
      const now = Date.now();
      const bucket = this.buckets.get(key) ?? { tokens: this.realistic.burst, at: now };
      bucket.tokens = Math.min(
        this.realistic.burst,
        bucket.tokens + ((now - bucket.at) / 1000) * this.realistic.perSecond,
      );
      bucket.at = now;
      this.buckets.set(key, bucket);
      if (bucket.tokens < 1) return 1;
      bucket.tokens -= 1;
    }
    return undefined;
  }

  // ---- inspection and fault injection (tests) ----

  /** Top-level messages of a channel (id or name), each with its thread `replies`. */
  messages(channel: string): MessageWithReplies[] {
    const c = this.state.channel(channel);
    if (!c) throw new Error(`no channel ${channel} in the local Slack`);
    return this.state.messagesWithReplies(c);
  }

  /** The ephemeral messages this user (id or name) sees in that channel. */
  ephemerals(channel: string, user: string): EphemeralMessage[] {
    const c = this.state.channel(channel);
    const u = this.state.user(user);
    if (!c || !u) throw new Error(`no channel ${channel} or user ${user} in the local Slack`);
    return c.ephemerals.filter((e) => e.user === u.id).map((e) => structuredClone(e));
  }

  /** Every view the bot opened (views.open, or pushed in answer to a submission), in order. */
  get views(): Record<string, unknown>[] {
    return this.state.views.map((v) => structuredClone(v.view));
  }

  /** The modals open now (for one user, by id or name, or for all), the topmost of a stack last. */
  openViews(user?: string): OpenedViewInfo[] {
    const id = user === undefined ? undefined : this.state.user(user)?.id;
    if (user !== undefined && !id) throw new Error(`no user ${user} in the local Slack`);
    return this.state.views
      .filter((v) => v.status === 'open' && (id === undefined || v.user === id))
      .map((v) => ({
        id: String(v.view.id),
        user: v.user,
        view: structuredClone(v.view),
        ...(v.errors ? { errors: { ...v.errors } } : {}),
        ...(v.problem ? { problem: v.problem } : {}),
      }));
  }

  /** The bytes of a file that was uploaded (and shared or not); undefined for an unknown or pending one. */
  fileBytes(id: string): Buffer | undefined {
    const file = this.state.files.get(id);
    return file?.status === 'pending' ? undefined : file?.bytes;
  }

  /** Slack's file object of a file the bot uploaded (undefined when unknown). */
  file(id: string): Record<string, unknown> | undefined {
    const file = this.state.files.get(id);
    return file
      ? fileObject(
          { state: this.state, baseUrl: this.baseUrl, permalinkBase: this.permalinkBase ?? this.baseUrl },
          file,
        )
      : undefined;
  }

  /** The bot joins or leaves a channel (posts and file shares need membership). */
  setBotMembership(channel: string, member: boolean): void {
    const c = this.state.channel(channel);
    if (!c) throw new Error(`no channel ${channel} in the local Slack`);
    c.botMember = member;
  }

  /** The next `times` calls (of `method`, or of any method) answer HTTP 429 with Retry-After. */
  rateLimit(rule: { method?: string; times: number; retryAfterSeconds?: number }): void {
    this.rateRules.push({
      method: rule.method,
      remaining: rule.times,
      retryAfterSeconds: rule.retryAfterSeconds ?? 1,
    });
  }

  /** Forgets every pending rateLimit rule (a test's leftovers must not hit the next test's calls). */
  clearRateLimits(): void {
    this.rateRules.length = 0;
  }

  /** The next call of `method` answers `{ok:false, error}`. */
  failNext(method: string, error: string): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /**
   * Turns Slack's limits on or off: chat.postMessage about 1 a second per channel after a burst, chat.update
   * Tier 3 (about 50 a minute for the workspace, a burst of 10).
   */
  setRealisticRateLimits(mode: boolean | { burst?: number; perSecond?: number }): void {
    this.buckets.clear();
    this.realistic = mode ? { burst: 3, perSecond: 1, ...(typeof mode === 'object' ? mode : {}) } : undefined;
  }

  /** Where permalinks point from now on (the sandbox page, which opens the channel and thread). */
  setPermalinkBase(url: string): void {
    this.permalinkBase = url.replace(/\/+$/, '');
  }

  /** Called after every change to the workspace (messages, ephemerals, views). */
  onChange(listener: () => void): () => void {
    return this.state.onChange(listener);
  }

  // ---- requests Slack sends to the app ----

  private resolve(userRef: string, channelRef: string): { user: SlackUser; channel: SlackChannel } {
    const user = this.state.user(userRef);
    const channel = this.state.channel(channelRef);
    if (!user) throw new Error(`no user ${userRef} in the local Slack`);
    if (!channel) throw new Error(`no channel ${channelRef} in the local Slack`);
    return { user, channel };
  }

  private responseUrl(target: Omit<ResponseTarget, 'id' | 'uses'>): string {
    const id = randomUUID();
    this.targets.set(id, { ...target, id, uses: 0 });
    return `${this.baseUrl}/response/${id}`;
  }

  /** The real `block_actions` payload of that user clicking that button. Throws when there is no such button. */
  buildBlockActionsPayload(input: ClickInput): Record<string, unknown> {
    const { user, channel } = this.resolve(input.user, input.channel);
    const c = this.state.channel(channel.id)!;
    const shared = this.state.message(c, input.ts);
    const ephemeral = shared ? undefined : c.ephemerals.find((e) => e.ts === input.ts && e.user === user.id);
    const current = shared ?? ephemeral;
    if (!current) throw new Error(`no message ${input.ts} in ${channel.name} visible to ${user.name}`);
    if (input.shown && input.shown.ts !== current.ts)
      throw new Error(`the shown version is of message ${input.shown.ts}, not ${current.ts}`);
    const message = input.shown ? { ...current, blocks: input.shown.blocks } : current;
    const isEphemeral = !shared;
    return blockActionsPayload({
      user,
      channel,
      message: structuredClone(message),
      isEphemeral,
      actionId: input.actionId,
      value: input.value,
      responseUrl: this.responseUrl({
        channel: channel.id,
        user: user.id,
        messageTs: message.ts,
        isEphemeral,
      }),
      triggerId: this.state.triggerId(user.id),
      actionTs: this.state.nextTs(),
    });
  }

  /** The form fields of `/forensics <text>` typed by that user in that channel. */
  buildSlashCommand(input: CommandInput): Record<string, string> {
    const { user, channel } = this.resolve(input.user, input.channel);
    return slashCommandFields({
      user,
      channel,
      command: input.command ?? '/forensics',
      text: input.text,
      responseUrl: this.responseUrl({ channel: channel.id, user: user.id, isEphemeral: true }),
      triggerId: this.state.triggerId(user.id),
    });
  }

  /** Slack's signature headers for this body. */
  sign(
    body: string,
    timestamp?: number,
  ): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
    return signRequest(this.signingSecret, body, timestamp);
  }

  /** A signed form-encoded request with Slack's headers. */
  request(body: string, timestamp?: number): SlackRequest {
    return {
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        accept: 'application/json,*/*',
        'accept-encoding': 'gzip,deflate',
        ...this.sign(body, timestamp),
      },
    };
  }

  /** The signed request of a button click (`payload=<json>`). */
  clickRequest(input: ClickInput): SlackRequest {
    return this.request(interactionBody(this.buildBlockActionsPayload(input)));
  }

  /** The signed request of a slash command. */
  commandRequest(input: CommandInput): SlackRequest {
    return this.request(formEncode(this.buildSlashCommand(input)));
  }

  /** POSTs a request to the app's URL, as Slack does. */
  async deliverTo(url: string, request: SlackRequest): Promise<DeliveryResult> {
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  }

  /** Hands a request to a Function URL handler as the Lambda payload v2 event AWS would build. */
  async deliver(
    handler: FunctionUrlHandler,
    request: SlackRequest,
    path = '/slack/events',
  ): Promise<DeliveryResult> {
    const event = functionUrlEvent({
      method: 'POST',
      url: path,
      headers: request.headers,
      body: request.body,
    });
    return readFunctionUrlResult(await handler(event, {}));
  }

  /** Sends a request to a URL or a Function URL handler. */
  private send(to: string | FunctionUrlHandler, request: SlackRequest): Promise<DeliveryResult> {
    return typeof to === 'string' ? this.deliverTo(to, request) : this.deliver(to, request);
  }

  /** A user clicks a button: the signed interaction goes to a URL or a Function URL handler. */
  click(to: string | FunctionUrlHandler, input: ClickInput): Promise<DeliveryResult> {
    return this.send(to, this.clickRequest(input));
  }

  private openedView(input: ViewInput) {
    const user = this.state.user(input.user);
    const opened = user && this.state.openView(input.viewId, user.id);
    if (!user || !opened) throw new ViewNotFoundError(`no open view ${input.viewId} for ${input.user}`);
    return { user, opened };
  }

  /**
   * A user submits an open modal. As in Slack, the client checks required and over-long inputs first
   * (and sends nothing when one fails); then the signed `view_submission` goes to the app, and its
   * answer closes the modal, keeps it open with errors, updates it, pushes another or clears the stack.
   */
  async submitView(to: string | FunctionUrlHandler, input: ViewSubmitInput): Promise<ViewSubmitResult> {
    const { user, opened } = this.openedView(input);
    const values = input.values ?? {};
    const invalid = clientErrors(opened.view, values);
    if (Object.keys(invalid).length) {
      applyViewAnswer(
        this.state.views,
        opened,
        { action: 'errors', errors: invalid },
        values,
        () => undefined,
      );
      this.state.changed();
      return { outcome: 'invalid', errors: invalid };
    }
    const payload = viewSubmissionPayload({
      user,
      view: opened.view,
      values,
      triggerId: this.state.triggerId(user.id),
    });
    const delivery = await this.send(to, this.request(interactionBody(payload)));
    const answer = readViewAnswer(delivery.status, delivery.body);
    if (answer.action === 'update' || answer.action === 'push')
      answer.view = { ...answer.view, blocks: withBlockIds(answer.view.blocks) ?? [] };
    const outcome = applyViewAnswer(this.state.views, opened, answer, values, (view) => {
      const problem = checkMessage({ blocks: view.blocks }, false);
      return problem ? problem.error : view.title ? undefined : 'a modal needs a title';
    });
    this.state.changed();
    return {
      outcome,
      delivery,
      ...(opened.errors ? { errors: { ...opened.errors } } : {}),
      ...(opened.problem ? { problem: opened.problem } : {}),
    };
  }

  /** A user closes (cancels) an open modal; the app hears of it only when the view asked (notify_on_close). */
  async closeView(
    to: string | FunctionUrlHandler,
    input: ViewInput,
  ): Promise<{ outcome: 'closed'; delivery?: DeliveryResult }> {
    const { user, opened } = this.openedView(input);
    opened.status = 'closed';
    this.state.changed();
    if (opened.view.notify_on_close !== true) return { outcome: 'closed' };
    const payload = viewClosedPayload({ user, view: opened.view, isCleared: false });
    return { outcome: 'closed', delivery: await this.send(to, this.request(interactionBody(payload))) };
  }

  /**
   * A user types a slash command: the signed request goes to a URL or a Function URL handler. As in
   * Slack, a message in the app's immediate answer is shown to the user (ephemeral unless
   * `response_type: in_channel`).
   */
  async command(to: string | FunctionUrlHandler, input: CommandInput): Promise<DeliveryResult> {
    const fields = this.buildSlashCommand(input);
    const request = this.request(formEncode(fields));
    const result = await this.send(to, request);
    this.showCommandAnswer(fields.response_url!, result);
    return result;
  }

  /**
   * A user opens the app's Home tab: Slack sends the signed Events API `app_home_opened` event (JSON), and
   * shows whatever the app publishes for that user with views.publish (`homeOf`).
   */
  async openHome(to: string | FunctionUrlHandler, input: { user: string }): Promise<DeliveryResult> {
    const user = this.state.user(input.user);
    if (!user) throw new Error(`no user ${input.user}`);
    const now = Math.floor((this.options.clock ?? Date.now)() / 1000);
    const home = this.state.homes.get(user.id);
    const body = JSON.stringify({
      token: VERIFICATION_TOKEN,
      team_id: TEAM.id,
      api_app_id: BOT.appId,
      event: {
        type: 'app_home_opened',
        user: user.id,
        channel: `D${user.id.slice(1)}`,
        tab: 'home',
        event_ts: `${now}.000100`,
        ...(home ? { view: structuredClone(home) } : {}),
      },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: now,
      authorizations: [
        {
          enterprise_id: null,
          team_id: TEAM.id,
          user_id: BOT.userId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    });
    const request = this.request(body);
    request.headers['content-type'] = 'application/json';
    return this.send(to, request);
  }

  /** A user clicks a button of their Home view: the signed block_actions goes to the app. */
  clickHome(
    to: string | FunctionUrlHandler,
    input: { user: string; actionId: string; value?: string },
  ): Promise<DeliveryResult> {
    const user = this.state.user(input.user);
    const view = user && this.state.homes.get(user.id);
    if (!user || !view) throw new Error(`no Home view for ${input.user}`);
    const payload = homeActionsPayload({
      user,
      view,
      actionId: input.actionId,
      value: input.value,
      triggerId: this.state.triggerId(user.id),
      actionTs: this.state.nextTs(),
    });
    return this.send(to, this.request(interactionBody(payload)));
  }

  /** The Home view the app last published for a user (undefined: it never did). */
  homeOf(user: string): Record<string, unknown> | undefined {
    const id = this.state.user(user)?.id;
    const home = id ? this.state.homes.get(id) : undefined;
    return home ? structuredClone(home) : undefined;
  }

  private showCommandAnswer(responseUrl: string, result: DeliveryResult): void {
    if (result.status !== 200 || !result.body.trim()) return;
    let message: Record<string, unknown>;
    try {
      const parsed = JSON.parse(result.body) as unknown;
      message =
        parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { text: String(parsed) };
    } catch {
      message = { text: result.body };
    }
    if (!message.text && !message.blocks) return;
    const id = responseUrl.split('/').pop()!;
    answerResponseUrl(this.state, this.targets.get(id), message);
  }
}

export { functionUrlEvent, readFunctionUrlResult } from './function-url.js';
export type { FunctionUrlEvent, FunctionUrlResult } from './function-url.js';
export { ButtonNotFoundError } from './payloads.js';
export { ViewNotFoundError } from './views.js';
export * from './workspace.js';
