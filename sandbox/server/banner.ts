/**
 * What `npm start` prints once the sandbox answers: where to open it, what to click first, and the
 * Slack endpoints with the signing secret the local Slack signs with.
 */
import { SANDBOX } from '../environment.js';

interface Running {
  url: string;
  signingSecret: string;
  slack: { apiUrl: string };
  status(): { name: string; ok: boolean; detail?: string }[];
}

export function banner(sandbox: Running, startedInMs: number): string {
  const missing = sandbox.status().filter((c) => !c.ok);
  const secretNote =
    sandbox.signingSecret === SANDBOX.signingSecret
      ? `signing secret "${sandbox.signingSecret}" (the default; SLACK_SIGNING_SECRET sets another)`
      : 'signing secret from SLACK_SIGNING_SECRET';
  return `
  forensics-bot sandbox is running (started in ${(startedInMs / 1000).toFixed(1)} s)

    Open  ${sandbox.url}  in a browser.

    Try the runbook:
      1. Under "Inject a finding", click "GuardDuty: SSH brute force against an instance".
      2. As alice (responder), click Contain on the card and confirm.
      3. Switch to carol (commander), open #ir-commanders and click Approve.
      4. Open the case thread ("replies" under the card): every step reports there with its SHA-256,
         and the last line is the manifest hash. The Cloud tab shows the instance isolated.

    Slack events   POST ${sandbox.url}/slack/events
                   ${secretNote}
    Slack Web API  ${sandbox.slack.apiUrl}  (the bot's SLACK_API_URL)
    HTTP API       ${sandbox.url}/api/…  (events, interactions, commands, channels, cloud, views)

  Everything is local: the Slack workspace, the AWS organization (accounts ${SANDBOX.securityAccount} security,
  ${SANDBOX.forensicsAccount} forensics, ${SANDBOX.memberAccounts.join(' and ')} members), DynamoDB and Step Functions.
  No AWS account or Slack workspace is used.
${missing.length ? `\n  Not available yet:\n${missing.map((m) => `    - ${m.name}: ${m.detail ?? ''}`).join('\n')}\n` : ''}
  Ctrl-C stops everything.
`;
}
