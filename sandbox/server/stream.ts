/**
 * Server-sent events for the page: one `change` event (with the workspace version) shortly after the
 * local Slack changes, so the page refreshes without polling hard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxApp } from './app.js';

export function openStream(app: SandboxApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(`retry: 1000\ndata: ${JSON.stringify({ version: app.slack.state.version })}\n\n`);
  let pending: NodeJS.Timeout | undefined;
  const stop = app.slack.onChange(() => {
    pending ??= setTimeout(() => {
      pending = undefined;
      res.write(`data: ${JSON.stringify({ version: app.slack.state.version })}\n\n`);
    }, 80);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  return new Promise((resolve) => {
    const close = () => {
      stop();
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
      resolve();
    };
    req.on('close', close);
    res.on('close', close);
  });
}
