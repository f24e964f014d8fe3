import { slackSettings, tableSettings, workspaceSettings } from '../../bot/core/config.js';
import { approvalSettings, workflowSettings } from '../../bot/core/settings.js';
import { resetDb } from '../../bot/core/table.js';
import { resetDrainerSlack } from '../../bot/outbox/slack-delivery.js';
import { resetSlackWebClient } from '../../bot/slack/client.js';
import { resetSlackSecrets } from '../../bot/slack/secrets.js';
import { resetWorkflowClient } from '../../bot/workflow-client.js';
import { resetMemberSessions } from '../../workflows/aws/member.js';
import { forensicsSettings } from '../../workflows/settings.js';

/**
 * Forgets every setting and client a cold start caches (settings read from the environment, the Slack
 * and DynamoDB clients, the Slack secrets, the member-account sessions), so a test file or a bench run
 * that has just pointed the environment at a new organization, Slack or table gets what a new Lambda
 * container would.
 */
export function resetColdStartState(): void {
  for (const s of [
    forensicsSettings,
    slackSettings,
    workspaceSettings,
    approvalSettings,
    workflowSettings,
    tableSettings,
  ])
    s.reset();
  resetDb();
  resetSlackWebClient();
  resetDrainerSlack();
  resetSlackSecrets();
  resetWorkflowClient();
  resetMemberSessions();
}
