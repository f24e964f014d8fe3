/**
 * The sandbox's HTTP server on 127.0.0.1: the API and the page (see `routes.ts`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxApp } from './app.js';
import { route } from './routes.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 = a free port). */
export async function startHttpServer(app: SandboxApp, port: number): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    void route(app, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        // Open event streams would keep close() waiting forever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
