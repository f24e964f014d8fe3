import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface RunningDynalite {
  endpoint: string;
  close(): Promise<void>;
}

/** DynamoDB's wire protocol in memory, on a free loopback port. */
export async function startDynalite(): Promise<RunningDynalite> {
  const dynalite = require('dynalite') as (options: object) => import('node:http').Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
