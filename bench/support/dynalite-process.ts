import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { RunningDynalite } from '../../test/support/dynalite.js';

/**
 * dynalite in a child process. In AWS, DynamoDB's work happens on other machines; in the same process
 * its LevelDB emulation would run on the handler's event loop and its garbage collection would land in
 * the handler's latency. A separate process keeps the measurement to the handler's own work (the two
 * still share the machine's cores).
 */
export async function startDynaliteProcess(): Promise<RunningDynalite> {
  const script = `
    const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
