import { CancelCommandCommand, GetCommandInvocationCommand } from '@aws-sdk/client-ssm';
import { describeError } from '../../bot/core/errors.js';
import { logger } from '../../bot/core/logger.js';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { PollLimitReachedError } from '../errors.js';

/**
 * One poll of a Run Command invocation on one instance, shared by the memory capture and the live triage.
 * A command still waiting when the polls run out is cancelled (nothing keeps running after the workflow has
 * given up: the agent stops the script, whose traps abort its upload) and `PollLimitReachedError` says so.
 */

const WAITING = new Set(['Pending', 'InProgress', 'Delayed']);

export type CommandPoll =
  | { ended: false; status: string }
  | { ended: true; status: string; stdout: string; stderr: string; code?: number };

export async function pollCommand(
  // any account's SSM: the member's IRAutomation, or the forensics account's worker launcher
  clients: { ssm(): SSMClient },
  command: {
    commandId: string;
    instanceId: string;
    /** This poll's number (1 for the first) and the last one allowed. */
    poll: number;
    maxPolls: number;
    /** What the command is, for the give-up message ("Memory capture of i-…"). */
    what: string;
    /** Runs before the give-up is thrown (e.g. giving the instance its profile back). */
    beforeGivingUp?: () => Promise<unknown>;
  },
): Promise<CommandPoll> {
  const out = await clients
    .ssm()
    .send(new GetCommandInvocationCommand({ CommandId: command.commandId, InstanceId: command.instanceId }))
    .catch((error: unknown) => {
      // Right after SendCommand the invocation may not exist yet.
      if (error instanceof Error && error.name === 'InvocationDoesNotExist')
        return { Status: 'Pending' } as const;
      throw error;
    });
  const status = out.Status ?? 'Pending';
  if (!WAITING.has(status)) {
    return {
      ended: true,
      status,
      stdout: 'StandardOutputContent' in out ? (out.StandardOutputContent ?? '') : '',
      stderr: 'StandardErrorContent' in out ? (out.StandardErrorContent ?? '') : '',
      code: 'ResponseCode' in out ? out.ResponseCode : undefined,
    };
  }
  if (command.poll < command.maxPolls) return { ended: false, status };
  const cancelled = await clients
    .ssm()
    .send(new CancelCommandCommand({ CommandId: command.commandId, InstanceIds: [command.instanceId] }))
    .then(
      () => 'cancelled',
      (error: unknown) => {
        logger.warn('CancelCommand failed', { commandId: command.commandId, error: describeError(error) });
        return `not cancelled (${error instanceof Error ? error.name : 'error'})`;
      },
    );
  await command.beforeGivingUp?.();
  throw new PollLimitReachedError(
    `${command.what} still ${status} after ${command.poll} polls; command ${command.commandId} ${cancelled}`,
  );
}

/** The last line of a command's output, bounded (what a failure line quotes). */
export function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

/** The script's result line (its last line, one JSON object), or undefined. */
export function resultLine(stdout: string): unknown {
  const line = stdout.trim().split('\n').pop()?.trim();
  try {
    return line?.startsWith('{') ? JSON.parse(line) : undefined;
  } catch {
    return undefined;
  }
}
