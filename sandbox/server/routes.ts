/**
 * The sandbox's HTTP API (see DESIGN.md, "Sandbox") and the page's files, routed with node:http only.
 * Each route parses its input with zod, calls the sandbox, and answers JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { faultsSchema } from '../aws/faults.js';
import { readBody, sendJson } from '../slack/http.js';
import { ButtonNotFoundError } from '../slack/payloads.js';
import { ViewNotFoundError } from '../slack/views.js';
import type { SandboxApp } from './app.js';
import { serveStatic } from './static.js';
import { openStream } from './stream.js';

const ClickSchema = z.looseObject({
  user: z.string().min(1),
  channel: z.string().min(1),
  ts: z.string().regex(/^\d+\.\d+$/, 'a Slack message ts like 1700000000.000100'),
  actionId: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
});

const CommandSchema = z.looseObject({
  user: z.string().min(1),
  channel: z.string().min(1),
  text: z.string().max(4000).default(''),
  command: z.string().startsWith('/').optional(),
});

const HomeSchema = z.looseObject({ user: z.string().min(1) });
const HomeClickSchema = z.looseObject({
  user: z.string().min(1),
  actionId: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
});

const ViewSubmitSchema = z.looseObject({
  user: z.string().min(1),
  values: z.record(z.string(), z.record(z.string(), z.string().max(10_000))).default({}),
});

const ViewCloseSchema = z.looseObject({ user: z.string().min(1) });

const FaultsSchema = z.looseObject({
  throttle: z.number().min(0).max(1).optional(),
  accessDenied: z.array(z.string().regex(/^\d{12}$/)).optional(),
  ssmOffline: z.array(z.string().regex(/^i-[0-9a-f]{8,17}$/)).optional(),
  terminate: z.array(z.string().regex(/^i-[0-9a-f]{8,17}$/)).optional(),
  fail: faultsSchema.shape.fail,
  memoryCapture: faultsSchema.shape.memoryCapture,
});

/** A console start: which workflow, an execution name as Step Functions allows it, and the input. */
const ExecutionSchema = z.object({
  stateMachine: z.enum(['case', 'release']),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,80}$/, 'an execution name is 1-80 letters, digits, - and _')
    .optional(),
  input: z.record(z.string(), z.unknown()).default({}),
});

const TargetSchema = z
  .looseObject({
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .optional(),
    instanceId: z
      .string()
      .regex(/^i-[0-9a-f]{8,17}$/)
      .optional(),
  })
  .optional();

/** Thrown by a route for a request it cannot act on; answered 4xx with the message. */
class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('the body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BadRequest(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return parsed.data;
}

function channelOf(app: SandboxApp, name: string) {
  const channel = app.slack.state.channel(decodeURIComponent(name));
  if (!channel) throw new BadRequest(`no channel "${name}" (security-alerts, ir-commanders)`, 404);
  return channel;
}

type Route = (
  app: SandboxApp,
  req: IncomingMessage,
  res: ServerResponse,
  match: RegExpExecArray,
  url: URL,
) => Promise<void>;

const routes: [method: string, pattern: RegExp, route: Route][] = [
  [
    'POST',
    /^\/api\/events$/,
    async (app, req, res) => {
      const event = await jsonBody(req);
      if (!event || typeof event !== 'object' || Array.isArray(event))
        throw new BadRequest('the body must be one EventBridge event (an object)');
      sendJson(res, 200, await app.deliverEvent(event));
    },
  ],
  [
    'POST',
    /^\/api\/interactions$/,
    async (app, req, res) => {
      const input = parse(ClickSchema, await jsonBody(req));
      try {
        const result = await app.click(input);
        sendJson(res, result.status, { status: result.status, body: result.body });
      } catch (error) {
        if (
          error instanceof ButtonNotFoundError ||
          /^no (message|user|channel)/.test(String((error as Error).message))
        )
          throw new BadRequest((error as Error).message, 404);
        throw error;
      }
    },
  ],
  [
    'POST',
    /^\/api\/commands$/,
    async (app, req, res) => {
      const input = parse(CommandSchema, await jsonBody(req));
      if (!app.slack.state.user(input.user)) throw new BadRequest(`no user "${input.user}"`, 404);
      channelOf(app, input.channel);
      const result = await app.command(input);
      sendJson(res, result.status, { status: result.status, body: result.body });
    },
  ],
  [
    // The user opens the bot's Home tab: the bot draws it (views.publish); the answer is the view it drew.
    'POST',
    /^\/api\/home$/,
    async (app, req, res) => {
      const input = parse(HomeSchema, await jsonBody(req));
      if (!app.slack.state.user(input.user)) throw new BadRequest(`no user "${input.user}"`, 404);
      const result = await app.openHome(input);
      sendJson(res, result.status, { status: result.status, view: app.slack.homeOf(input.user) ?? null });
    },
  ],
  [
    'GET',
    /^\/api\/home$/,
    async (app, _req, res, _match, url) => {
      const user = url.searchParams.get('user') ?? '';
      if (!app.slack.state.user(user)) throw new BadRequest(`no user "${user}"`, 404);
      sendJson(res, 200, { view: app.slack.homeOf(user) ?? null });
    },
  ],
  [
    'POST',
    /^\/api\/home\/actions$/,
    async (app, req, res) => {
      const input = parse(HomeClickSchema, await jsonBody(req));
      if (!app.slack.homeOf(input.user)) throw new BadRequest(`no Home view for "${input.user}"`, 404);
      try {
        const result = await app.clickHome(input);
        sendJson(res, result.status, { status: result.status, view: app.slack.homeOf(input.user) ?? null });
      } catch (error) {
        if (error instanceof ButtonNotFoundError) throw new BadRequest(error.message, 404);
        throw error;
      }
    },
  ],
  [
    'GET',
    /^\/api\/views$/,
    async (app, _req, res, _match, url) => {
      const user = url.searchParams.get('user') ?? undefined;
      if (user !== undefined && !app.slack.state.user(user)) throw new BadRequest(`no user "${user}"`, 404);
      sendJson(res, 200, { views: app.slack.openViews(user) });
    },
  ],
  [
    'POST',
    /^\/api\/views\/(V[0-9A-Z]+)\/(submit|close)$/,
    async (app, req, res, match) => {
      const body = await jsonBody(req);
      try {
        if (match[2] === 'submit') {
          const input = parse(ViewSubmitSchema, body);
          const result = await app.submitView({ viewId: match[1]!, user: input.user, values: input.values });
          const { delivery, ...rest } = result;
          sendJson(res, 200, {
            ...rest,
            ...(delivery ? { status: delivery.status, body: delivery.body } : {}),
          });
        } else {
          const input = parse(ViewCloseSchema, body);
          const { delivery, ...rest } = await app.closeView({ viewId: match[1]!, user: input.user });
          sendJson(res, 200, {
            ...rest,
            ...(delivery ? { status: delivery.status, body: delivery.body } : {}),
          });
        }
      } catch (error) {
        if (error instanceof ViewNotFoundError) throw new BadRequest(error.message, 404);
        throw error;
      }
    },
  ],
  [
    'GET',
    /^\/api\/channels$/,
    async (app, _req, res) => {
      sendJson(res, 200, {
        channels: [...app.slack.state.channels.values()].map((c) => ({
          id: c.id,
          name: c.name,
          topic: c.topic,
        })),
      });
    },
  ],
  [
    'GET',
    /^\/api\/channels\/([^/]+)\/messages$/,
    async (app, _req, res, match, url) => {
      const channel = channelOf(app, match[1]!);
      const user = url.searchParams.get('user');
      if (user && !app.slack.state.user(user)) throw new BadRequest(`no user "${user}"`, 404);
      sendJson(res, 200, {
        channel: { id: channel.id, name: channel.name, topic: channel.topic },
        messages: app.slack.messages(channel.id),
        ...(user ? { ephemerals: app.slack.ephemerals(channel.id, user) } : {}),
      });
    },
  ],
  [
    'GET',
    /^\/api\/files\/(F[0-9A-Z]+)$/,
    async (app, _req, res, match) => {
      // A file the bot uploaded into a thread, for the page's link: shown as text, never as a page
      // (the report quotes the examined disk).
      const bytes = app.slack.fileBytes(match[1]!);
      if (!bytes) throw new BadRequest(`no uploaded file ${match[1]}`, 404);
      res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'",
        'content-length': bytes.length,
      });
      res.end(bytes);
    },
  ],
  [
    'GET',
    /^\/api\/users$/,
    async (app, _req, res) => {
      const groups = [...app.slack.state.groups.values()];
      sendJson(res, 200, {
        users: [...app.slack.state.users.values()].map((u) => ({
          ...u,
          groups: groups.filter((g) => g.users.includes(u.id)).map((g) => g.id),
        })),
        groups,
      });
    },
  ],
  ['GET', /^\/api\/cloud$/, async (app, _req, res) => sendJson(res, 200, app.cloud())],
  [
    'GET',
    /^\/api\/cloud\/s3\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/,
    async (app, _req, res, match, url) => {
      const key = decodeURIComponent(match[2]!);
      const object = app.objectBody(match[1]!, key, url.searchParams.get('versionId') ?? undefined);
      if (!object) throw new BadRequest(`no object s3://${match[1]}/${key}`, 404);
      // The bytes as stored (a raw image, a manifest); the version and SHA-256 say which bytes they are.
      res.writeHead(200, {
        'content-type': object.contentType ?? 'application/octet-stream',
        'content-length': object.body.length,
        'x-amz-version-id': object.versionId,
        'x-sandbox-sha256': object.sha256,
      });
      res.end(object.body);
    },
  ],
  ['GET', /^\/api\/cloud\/faults$/, async (app, _req, res) => sendJson(res, 200, { faults: app.faults() })],
  [
    'POST',
    /^\/api\/cloud\/faults$/,
    async (app, req, res) => {
      const faults = parse(FaultsSchema, await jsonBody(req));
      sendJson(res, 200, { faults: app.setFaults(faults) });
    },
  ],
  [
    'POST',
    /^\/api\/stepfunctions\/executions$/,
    async (app, req, res) => {
      const start = parse(ExecutionSchema, await jsonBody(req));
      try {
        sendJson(res, 200, app.startExecution(start));
      } catch (error) {
        if ((error as Error).name === 'ExecutionAlreadyExists')
          throw new BadRequest((error as Error).message, 409);
        throw error;
      }
    },
  ],
  ['GET', /^\/api\/samples$/, async (app, _req, res) => sendJson(res, 200, { samples: app.samples() })],
  [
    'POST',
    /^\/api\/samples\/([a-z0-9-]+)$/,
    async (app, req, res, match) => {
      if (!app.samples().some((s) => s.name === match[1]))
        throw new BadRequest(`no sample "${match[1]}"`, 404);
      const target = parse(TargetSchema, await jsonBody(req));
      sendJson(res, 200, await app.injectSample(match[1]!, target));
    },
  ],
  ['GET', /^\/api\/cases$/, async (app, _req, res) => sendJson(res, 200, { cases: await app.cases() })],
  [
    'GET',
    /^\/api\/cases\/(CASE-[0-9]{8}-[0-9A-Z]{4})$/,
    async (app, _req, res, match) => {
      const record = await app.caseRecord(match[1]!);
      if (!record) throw new BadRequest(`no case ${match[1]}`, 404);
      sendJson(res, 200, record);
    },
  ],
  [
    'GET',
    /^\/api\/status$/,
    async (app, _req, res) =>
      sendJson(res, 200, { components: app.status(), version: app.slack.state.version }),
  ],
  ['GET', /^\/api\/stream$/, async (app, req, res) => openStream(app, req, res)],
  [
    'POST',
    /^\/slack\/events$/,
    async (app, req, res, _match, url) => {
      const body = await readBody(req);
      const result = await app.slackRequest({
        method: 'POST',
        url: url.pathname + url.search,
        headers: req.headers,
        body,
        sourceIp: req.socket.remoteAddress,
      });
      res.writeHead(result.status, result.headers);
      res.end(result.body);
    },
  ],
  [
    'GET',
    /^\/archives\/([A-Z0-9]+)\/p(\d+)$/,
    async (_app, _req, res, match, url) => {
      // Permalinks open the page at that channel (and thread).
      const ts = `${match[2]!.slice(0, -6)}.${match[2]!.slice(-6)}`;
      const thread = url.searchParams.get('thread_ts') ?? ts;
      res.writeHead(302, { location: `/#channel=${match[1]}&ts=${thread}&highlight=${ts}` });
      res.end();
    },
  ],
];

/** Answers one request: an API route, a page file, or 404. */
export async function route(app: SandboxApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  try {
    for (const [m, pattern, handler] of routes) {
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      if (m !== method) continue;
      await handler(app, req, res, match, url);
      return;
    }
    if (method === 'GET' && (await serveStatic(url.pathname, res))) return;
    const known = routes.some(([, pattern]) => pattern.test(url.pathname));
    sendJson(res, known ? 405 : 404, {
      error: known ? `${method} not allowed here` : `no route ${url.pathname}`,
    });
  } catch (error) {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (error instanceof BadRequest) sendJson(res, error.status, { error: error.message });
    else
      sendJson(res, 502, {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
  }
}
