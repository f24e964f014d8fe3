import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { authorize, type Role } from '../auth.js';
import { usageBlocks } from '../blocks/case-usage.js';
import { caseListBlocks, caseStatusBlocks, caseStatusText } from '../blocks/status.js';
import { closeCase, releaseCase, retryCase, startCase } from '../cases/service.js';
import { openWorkstation } from '../cases/workstation.js';
import { commandSettings } from '../core/settings.js';
import type { CaseRecord } from '../core/case-model.js';
import { audit, getCase, listAudit, openCasesPage } from '../core/case-store.js';
import { auditBlocks } from '../blocks/audit.js';
import { rulesBlocks, rulesText } from '../blocks/auto-response-rules.js';
import { hourCounts } from '../intake/auto-response-store.js';
import { autoResponseSettings } from '../intake/settings.js';
import { escapeMrkdwn } from '../blocks/common.js';
import { examinationSummaryBlocks, examinationSummaryText } from '../blocks/examination-summary.js';
import { CaseConflictError, describeError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { messageLink } from '../slack/message-link.js';
import { type ForensicsCommand, parseForensicsCommand } from './parse.js';

/**
 * `/forensics`: status, list, rules, analyze, contain, release, close, workstation, help. The answer is the command's own
 * HTTP response (ephemeral), so no extra Web API call is made; anything malformed gets usage help.
 */
type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
interface Answer {
  text: string;
  blocks?: KnownBlock[];
}

const ROLE: Record<ForensicsCommand['kind'], Role | undefined> = {
  help: undefined,
  usage: undefined,
  list: 'responder',
  rules: 'responder',
  status: 'responder',
  audit: 'responder',
  report: 'responder',
  analyze: 'responder',
  contain: 'responder',
  release: 'commander',
  retry: 'responder',
  close: 'commander',
  workstation: 'responder',
};

export async function onForensics(args: CommandArgs): Promise<void> {
  const { ack, command } = args;
  const parsed = parseForensicsCommand(command.text ?? '');
  let answer: Answer | undefined;
  try {
    answer = await run(parsed, args);
  } catch (error) {
    logger.error('Command failed', { kind: parsed.kind, error: describeError(error) });
    answer = { text: `:x: ${describeError(error)}` };
  }
  await ack(
    answer
      ? { response_type: 'ephemeral', text: answer.text, ...(answer.blocks ? { blocks: answer.blocks } : {}) }
      : undefined,
  );
}

async function run(cmd: ForensicsCommand, { command, client }: CommandArgs): Promise<Answer | undefined> {
  const userId = command.user_id;
  const caseId = 'caseId' in cmd ? cmd.caseId : undefined;
  const role = ROLE[cmd.kind];
  if (
    role &&
    !(await authorize({
      client,
      userId,
      channel: command.channel_id,
      caseId,
      action: `command.${cmd.kind}`,
      role,
    }))
  )
    return undefined; // the refusal was posted (ephemeral) and audited
  if (cmd.kind === 'help' || cmd.kind === 'usage' || cmd.kind === 'list' || cmd.kind === 'rules')
    await audit({
      actor: userId,
      action: `command.${cmd.kind}`,
      outcome: cmd.kind === 'usage' ? 'failed' : 'ok',
      ...(cmd.kind === 'usage' ? { detail: cmd.problem } : {}),
    });
  switch (cmd.kind) {
    case 'help':
      return { text: 'forensics-bot usage', blocks: usageBlocks() };
    case 'usage':
      return { text: cmd.problem, blocks: usageBlocks(cmd.problem) };
    case 'list':
      return {
        text: 'Open cases',
        blocks: caseListBlocks(await openCasesPage({ after: cmd.after }), { first: !cmd.after }),
      };
    case 'rules': {
      const settings = autoResponseSettings();
      const view = {
        config: settings.AUTO_RESPONSE,
        allowUnattendedContainment: settings.ALLOW_UNATTENDED_CONTAINMENT,
        hour: await hourCounts(new Date()),
      };
      return { text: rulesText(view), blocks: rulesBlocks(view) };
    }
    case 'status': {
      const record = await lookedUp(cmd.caseId, userId, cmd.kind);
      if (!record) return noCase(cmd.caseId);
      return {
        text: caseStatusText(record),
        blocks: caseStatusBlocks(
          record,
          await messageLink(client, record.slack.channel, record.slack.threadTs, { caseId: record.id }),
        ),
      };
    }
    case 'report': {
      // The examination summary (issue 12), from the case record; the report file is in the evidence bucket.
      const record = await lookedUp(cmd.caseId, userId, cmd.kind);
      if (!record) return noCase(cmd.caseId);
      const e = record.examination;
      if (!e) return { text: `${record.id} has no examination yet (${record.status}).` };
      if (e.status !== 'completed')
        return { text: `${record.id} was not examined: ${escapeMrkdwn(e.reason ?? e.status)}.` };
      return {
        text: examinationSummaryText(record.id, e),
        blocks: examinationSummaryBlocks(record.id, e),
      };
    }
    case 'audit': {
      // Read before this query is audited: the trail shows what came before it.
      const trail = await listAudit(cmd.caseId);
      if (!(await lookedUp(cmd.caseId, userId, cmd.kind))) return noCase(cmd.caseId);
      return { text: `Audit trail of ${cmd.caseId}`, blocks: auditBlocks(cmd.caseId, trail) };
    }
    case 'analyze':
    case 'contain': {
      const account = cmd.account ?? commandSettings().DEFAULT_ACCOUNT;
      if (!account)
        return {
          text: 'Which account?',
          blocks: usageBlocks('Name the account: no DEFAULT_ACCOUNT is configured'),
        };
      const { record, created } = await startCase(
        {
          target: { account, region: cmd.region, instanceId: cmd.instanceId },
          actions: [cmd.kind],
          trigger: 'slash-command',
          requester: { userId, name: command.user_name },
          title: `${cmd.kind === 'contain' ? 'Containment' : 'Analysis'} of ${cmd.instanceId} requested in Slack`,
          severity: { label: 'MEDIUM', score: 5 },
          findingIds: [],
          approval: cmd.kind === 'contain' ? 'required' : 'not-required',
        },
        client,
      );
      return {
        text: created
          ? `${record.id} opened for \`${cmd.instanceId}\`: the case card and thread are in <#${record.slack.channel ?? ''}>.`
          : `${record.id} is already open for \`${cmd.instanceId}\` (${record.status}); nothing was started again.`,
      };
    }
    case 'workstation': {
      // An investigator's worker with the case's evidence (issue 12, item 4): Session Manager only.
      const record = await lookedUp(cmd.caseId, userId, cmd.kind);
      if (!record) return noCase(cmd.caseId);
      return { text: await openWorkstation(record, cmd.hours, userId) };
    }
    case 'release':
    case 'retry':
    case 'close': {
      try {
        if (cmd.kind === 'retry') {
          const { executionName } = await retryCase(
            cmd.caseId,
            { userId, name: command.user_name },
            cmd.reason,
          );
          return { text: `Retry of ${cmd.caseId} started (${executionName}); the case thread follows it.` };
        }
        if (cmd.kind === 'close') {
          const record = await closeCase(cmd.caseId, { userId, name: command.user_name });
          return { text: `${record.id} closed.` };
        }
        const { executionName } = await releaseCase(cmd.caseId, { userId, name: command.user_name });
        return { text: `Release of ${cmd.caseId} started (${executionName}); the case thread follows it.` };
      } catch (error) {
        if (!(error instanceof CaseConflictError) && (error as Error).name !== 'CaseNotFoundError')
          throw error;
        await audit({
          caseId: cmd.caseId,
          actor: userId,
          action: `command.${cmd.kind}`,
          outcome: 'failed',
          detail: describeError(error),
        });
        return { text: `:warning: ${describeError(error)}.` };
      }
    }
  }
}

/** The case a command names; the lookup is audited whether the case exists or not. */
async function lookedUp(
  caseId: string,
  userId: string,
  kind: ForensicsCommand['kind'],
): Promise<CaseRecord | undefined> {
  const record = await getCase(caseId);
  await audit({
    caseId: record ? caseId : undefined,
    actor: userId,
    action: `command.${kind}`,
    outcome: record ? 'ok' : 'failed',
  });
  return record;
}

const noCase = (caseId: string): Answer => ({ text: `No case ${caseId}.` });

export function registerForensicsCommand(app: App): void {
  app.command('/forensics', onForensics);
}
