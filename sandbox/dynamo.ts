/**
 * DynamoDB on one machine, the one starter the sandbox, the tests and the benchmarks share: dynalite
 * (DynamoDB's wire protocol, in memory) on a free loopback port, in this process or in a child process,
 * and the case table created in the real shape.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { caseTableDefinition } from '../bot/core/table.js';

const require = createRequire(import.meta.url);
const OPTIONS = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };

export interface RunningDynalite {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite. `separateProcess`: in a child process — in AWS, DynamoDB's work happens on other
 * machines; in the same process its LevelDB emulation would run on the handler's event loop and its
 * garbage collection would land in a benchmark's latency (the two still share the machine's cores).
 */
export async function startDynalite(options: { separateProcess?: boolean } = {}): Promise<RunningDynalite> {
  return options.separateProcess ? startChild() : startHere();
}

async function startHere(): Promise<RunningDynalite> {
  const dynalite = require('dynalite') as (options: object) => Server;
  const server = dynalite(OPTIONS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function startChild(): Promise<RunningDynalite> {
  const script = `
    const server = require('dynalite')(${JSON.stringify(OPTIONS)});
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
    process.on('disconnect', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${port.trim()}`,
    close: async () => {
      child.removeAllListeners('exit');
      child.kill();
    },
  };
}

/** Creates a case table of the real shape (bot/core/table.ts) at that endpoint. */
export async function createCaseTable(endpoint: string, table: string): Promise<void> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIASANDBOX000000000', secretAccessKey: 'sandbox-secret-not-real' },
  });
  try {
    await client.send(new CreateTableCommand(caseTableDefinition(table)));
  } finally {
    client.destroy();
  }
}

export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** The sandbox's DynamoDB: dynalite in this process with `table` created. */
export async function startLocalDynamo(table: string): Promise<LocalDynamo> {
  const dynalite = await startDynalite();
  await createCaseTable(dynalite.endpoint, table);
  return { endpoint: dynalite.endpoint, stop: () => dynalite.close() };
}
