/**
 * `npm start`: the whole of forensics-bot on this machine, on 127.0.0.1:`PORT` (default 3000).
 * Nothing leaves the machine: Slack, AWS, DynamoDB and Step Functions are all local.
 */
// Set before the AWS SDK loads: the sandbox runs on the Node version the project pins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const { startSandbox } = await import('./wiring.js');

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}"`);
  process.exit(2);
}

const started = Date.now();
const sandbox = await startSandbox({
  port,
  realisticRateLimits: process.env.SANDBOX_SLACK_RATE_LIMITS === 'true',
});
const missing = sandbox.status().filter((c) => !c.ok);

console.log(`
  forensics-bot sandbox is running (started in ${Date.now() - started} ms)

    Open          ${sandbox.url}
    Slack events  ${sandbox.url}/slack/events  (signing secret: ${sandbox.signingSecret})
    Slack Web API ${sandbox.slack.apiUrl}

  Everything is local: the Slack workspace, the AWS organization (accounts 111111111111 security,
  222222222222 forensics, 333333333333 and 444444444444 members), DynamoDB and Step Functions.
  No AWS account or Slack workspace is used.
${missing.length ? `\n  Not available yet:\n${missing.map((m) => `    - ${m.name}: ${m.detail ?? ''}`).join('\n')}\n` : ''}
  Ctrl-C stops everything.
`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n  ${signal}: stopping the sandbox…`);
  const timer = setTimeout(() => process.exit(1), 5_000);
  timer.unref();
  await sandbox.stop();
  console.log('  stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
