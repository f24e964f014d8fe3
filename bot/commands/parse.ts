import { homeRegion } from '../core/aws-clients.js';
import { isAccountId, isCaseId, isInstanceId, isRegion } from '../core/ids.js';
import { WORKSTATION_DEFAULT_HOURS } from '../cases/workstation.js';

/**
 * `/forensics <text>` parsed into one command, or usage help with the reason. Pure; every id is
 * checked by its one regular expression (bot/core/ids.ts) before anything uses it.
 */
export type ForensicsCommand =
  | { kind: 'help' }
  | { kind: 'list'; after?: string }
  | { kind: 'rules' }
  | { kind: 'status' | 'release' | 'close' | 'audit' | 'report'; caseId: string }
  | { kind: 'retry'; caseId: string; reason: string }
  | { kind: 'workstation'; caseId: string; hours: number }
  | { kind: 'analyze' | 'contain'; instanceId: string; account?: string; region: string }
  | { kind: 'usage'; problem: string };

/** Hours a workstation stays when the command names none (the forensics stack's worker lifetime bounds it). */

const CASE_COMMANDS = new Set(['status', 'release', 'close', 'audit', 'report']);

export function parseForensicsCommand(text: string, defaults: { region?: string } = {}): ForensicsCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = words[0]?.toLowerCase();
  const args = words.slice(1);
  if (!verb || verb === 'help') return args.length ? usage('`help` takes no arguments') : { kind: 'help' };
  if (verb === 'list') {
    if (!args.length) return { kind: 'list' };
    const after = args[1]?.toUpperCase() ?? '';
    if (args.length !== 2 || args[0]!.toLowerCase() !== 'after' || !isCaseId(after))
      return usage('`list` takes nothing, or `after CASE-ID` for the next page');
    return { kind: 'list', after };
  }
  if (verb === 'rules') return args.length ? usage('`rules` takes no arguments') : { kind: 'rules' };
  if (verb === 'retry') {
    const caseId = args[0]?.toUpperCase() ?? '';
    if (!isCaseId(caseId))
      return usage(
        args[0] ? `"${args[0]}" is not a case id (CASE-YYYYMMDD-XXXX)` : '`retry` needs a case id',
      );
    const reason = text.trim().split(/\s+/).slice(2).join(' ');
    if (reason.length < 3) return usage('`retry` needs a reason after the case id (it is recorded)');
    if (reason.length > 500) return usage('the reason of a retry is at most 500 characters');
    return { kind: 'retry', caseId, reason };
  }
  if (verb === 'workstation') {
    // `/forensics workstation CASE-ID [hours]`: an investigator's worker with the case's evidence (issue 12)
    const caseId = args[0]?.toUpperCase() ?? '';
    if (!isCaseId(caseId))
      return usage(
        args[0] ? `"${args[0]}" is not a case id (CASE-YYYYMMDD-XXXX)` : '`workstation` needs a case id',
      );
    if (args.length > 2) return usage('`workstation` takes a case id and optionally its hours');
    const hours = args[1] === undefined ? WORKSTATION_DEFAULT_HOURS : Number(args[1]);
    if (!Number.isInteger(hours) || hours < 1 || hours > 24)
      return usage(`the hours of a workstation are a whole number from 1 to 24, not "${args[1]}"`);
    return { kind: 'workstation', caseId, hours };
  }
  if (CASE_COMMANDS.has(verb)) {
    if (args.length !== 1) return usage(`\`${verb}\` needs exactly one case id`);
    const caseId = args[0]!.toUpperCase();
    if (!isCaseId(caseId)) return usage(`"${args[0]}" is not a case id (CASE-YYYYMMDD-XXXX)`);
    return { kind: verb as 'status' | 'release' | 'close' | 'audit' | 'report', caseId };
  }
  if (verb === 'analyze' || verb === 'contain') {
    if (args.length < 1 || args.length > 3)
      return usage(`\`${verb}\` needs an instance id, then optionally an account and a region`);
    const [instanceId, account, region] = args as [string, string?, string?];
    if (!isInstanceId(instanceId)) return usage(`"${instanceId}" is not an EC2 instance id (i-…)`);
    if (account !== undefined && !isAccountId(account))
      return usage(`"${account}" is not an AWS account id (12 digits)`);
    if (region !== undefined && !isRegion(region)) return usage(`"${region}" is not an AWS region`);
    return {
      kind: verb,
      instanceId,
      ...(account ? { account } : {}),
      region: region ?? defaults.region ?? homeRegion(),
    };
  }
  return usage(`Unknown subcommand "${verb.slice(0, 40)}"`);
}

function usage(problem: string): ForensicsCommand {
  return { kind: 'usage', problem };
}
