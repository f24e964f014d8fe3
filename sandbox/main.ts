/**
 * `npm start`: the whole of forensics-bot on this machine, on 127.0.0.1:`PORT` (default 3000).
 * Nothing leaves the machine: Slack, AWS, DynamoDB and Step Functions are all local. Ctrl-C (SIGINT) or
 * SIGTERM stops everything and the process ends by itself, with code 0, once nothing is left running.
 */
// Set before the AWS SDK loads: the sandbox runs on the Node version the project pins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const { startSandbox } = await import('./wiring.js');
const { banner } = await import('./server/banner.js');

/** After a stop, the process must have ended by itself within this time; otherwise something leaked. */
const EXIT_GRACE_MS = 5_000;

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}"`);
  process.exit(2);
}

const started = Date.now();
let sandbox: Awaited<ReturnType<typeof startSandbox>>;
try {
  sandbox = await startSandbox({
    port,
    realisticRateLimits: process.env.SANDBOX_SLACK_RATE_LIMITS === 'true',
  });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${port} on 127.0.0.1 is in use. Start on another one: PORT=${port + 1} npm start`
      : `The sandbox did not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
}

console.log(banner(sandbox, Date.now() - started));

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    // A second Ctrl-C: the user does not want to wait.
    console.log(`  ${signal} again: exiting now.`);
    process.exit(130);
  }
  stopping = true;
  console.log(`\n  ${signal}: stopping the sandbox…`);
  await sandbox.stop();
  console.log('  stopped.');
  // Everything is closed, so the event loop empties and the process exits 0 by itself. A handle still
  // open after the grace period is a leak: say which, and exit 1.
  const watchdog = setTimeout(() => {
    console.error(`  still open after stop: ${process.getActiveResourcesInfo().join(', ')}`);
    process.exit(1);
  }, EXIT_GRACE_MS);
  watchdog.unref();
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
