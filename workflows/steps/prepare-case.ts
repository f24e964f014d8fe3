import { z } from 'zod';
import { getCase, linkExecution, openCase, recordExecution } from '../../bot/core/case-store.js';
import { isCaseId, isRetryExecutionOf } from '../../bot/core/ids.js';
import { CaseConflictError, InvalidInputError } from '../../bot/core/errors.js';
import { approvalSettings } from '../../bot/core/settings.js';
import { notifier } from '../notifier.js';
import { forensicsSettings } from '../settings.js';
import { accountField, defineStep, instanceIdField, regionField } from './step.js';

/**
 * The execution input: the seed framework's console input (`CaseId` optional) or what the bot sends
 * (`bot/workflow-client.ts`). Loose: unknown keys are tolerated.
 */
export const CaseWorkflowInput = z.looseObject({
  /** Ours (CASE-YYYYMMDD-XXXX), or another system's id, kept as the case's external reference. */
  CaseId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$/, 'a case id is 1-128 letters, digits and ._:/#-')
    .optional(),
  InstanceId: instanceIdField,
  Account: accountField,
  Region: regionField,
  RetainArtefacts: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .optional(),
  Actions: z
    .looseObject({
      contain: z.boolean().optional(),
      acquireMemory: z.boolean().optional(),
      acquireDisk: z.boolean().optional(),
    })
    .optional(),
  Approval: z.enum(['required', 'not-required']).optional(),
  Trigger: z.string().max(64).optional(),
});

/** The state every later state of the case workflow reads (`$`). */
export interface CaseState {
  CaseId: string;
  InstanceId: string;
  Account: string;
  Region: string;
  RetainArtefacts: boolean;
  /** `contain`: contain first (after approval when required); `analyze`: acquire, then contain per policy. */
  Mode: 'analyze' | 'contain';
  Actions: { contain: boolean; acquireMemory: boolean; acquireDisk: boolean };
  Approval: 'required' | 'not-required';
  /** How an analysis ends: `approval` (ask a commander to contain) or `notify-only`. */
  AnalyzeContainment: 'approval' | 'notify-only';
  /** Seconds the approval task waits before a reminder (and then again until the expiry). */
  ReminderSeconds: number;
  /** Whether containment may happen without (further) approval: the catch-all's safest state. */
  ContainmentAuthorized: boolean;
  ApprovalRound: number;
  /** Filled by later states; present from the start so every JSONPath resolves. */
  Evidence: unknown[];
  AfterAcquire: string;
  Outcome: 'contained' | 'analyzed' | 'denied';
  /** The execution's name when it is not the case id (a console start), reported in the first line. */
  ConsoleExecution?: string;
  /** Another system's case id given as `CaseId`. */
  ExternalRef?: string;
}

/**
 * First state of the case workflow: validates the input, opens the case when the workflow was started
 * by hand (and announces it in Slack), records the execution, and decides the plan's fixed parts.
 */
export const prepareCase = defineStep({
  name: 'prepareCase',
  label: 'Case prepared',
  input: z.looseObject({ input: z.unknown(), executionArn: z.string().optional() }),
  async run({ input, executionArn }): Promise<CaseState> {
    const parsed = CaseWorkflowInput.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError(
        `Workflow input rejected: ${issue?.path.join('.') || 'input'} ${issue?.message ?? 'is invalid'}`,
        issue?.path.join('.') ?? '',
      );
    }
    const i = parsed.data;
    const target = { account: i.Account, region: i.Region, instanceId: i.InstanceId };
    const ours = i.CaseId && isCaseId(i.CaseId) ? i.CaseId : undefined;
    const externalRef = i.CaseId && !ours ? i.CaseId : undefined;
    let record = ours ? await getCase(ours) : undefined;
    if (!record) {
      const wantsContain = i.Actions?.contain === true;
      const opened = await openCase({
        id: ours,
        ...(externalRef ? { externalRef } : {}),
        severity: { label: 'MEDIUM', score: 5 },
        title: `Forensic ${wantsContain ? 'containment' : 'analysis'} of ${i.InstanceId} (started from the console)`,
        findingIds: [],
        target,
        actions: wantsContain ? ['contain'] : ['analyze'],
        trigger: 'console',
        requester: { userId: 'console', name: 'Step Functions console' },
      });
      if (!opened.created)
        throw new CaseConflictError(
          `${i.InstanceId} already has an open case, ${opened.record.id}; close it or start with its CaseId`,
        );
      record = opened.record;
      record = (await notifier().announceCase(record)) as typeof record;
    } else if (
      record.target.instanceId !== i.InstanceId ||
      record.target.account !== i.Account ||
      record.target.region !== i.Region
    ) {
      throw new InvalidInputError(`${record.id} is about ${record.target.instanceId}, not ${i.InstanceId}`);
    }
    if (['closed', 'released'].includes(record.status))
      throw new CaseConflictError(`${record.id} is ${record.status}; open a new case`);
    const executionName = executionArn?.split(':').pop();
    // A retry (`/forensics retry`: `<caseId>-retry-<n>`) is the bot's own start, not a console one.
    const consoleName =
      executionName && executionName !== record.id && !isRetryExecutionOf(executionName, record.id)
        ? executionName
        : undefined;
    if (executionArn) {
      await recordExecution(record.id, executionArn);
      if (consoleName) await linkExecution(executionArn, record.id);
    }

    const mode = record.actions.includes('contain') || i.Actions?.contain === true ? 'contain' : 'analyze';
    const approval =
      i.Approval ?? (mode === 'contain' && record.trigger === 'console' ? 'required' : 'not-required');
    const settings = forensicsSettings();
    return {
      CaseId: record.id,
      InstanceId: i.InstanceId,
      Account: i.Account,
      Region: i.Region,
      RetainArtefacts: i.RetainArtefacts ?? false,
      Mode: mode,
      Actions: {
        contain: mode === 'contain' || settings.ANALYZE_CONTAINMENT === 'approval',
        acquireMemory: i.Actions?.acquireMemory ?? true,
        acquireDisk: i.Actions?.acquireDisk ?? true,
      },
      Approval: approval,
      AnalyzeContainment: settings.ANALYZE_CONTAINMENT,
      ReminderSeconds: approvalSettings().APPROVAL_REMIND_MINUTES * 60,
      ContainmentAuthorized: mode === 'contain' && approval === 'not-required',
      ApprovalRound: 0,
      Evidence: [],
      AfterAcquire: '',
      Outcome: 'analyzed',
      ...(consoleName ? { ConsoleExecution: consoleName } : {}),
      ...(record.externalRef ? { ExternalRef: record.externalRef } : {}),
    };
  },
  report: (out) => ({
    outcome: 'succeeded',
    detail: `${
      out.Mode === 'contain'
        ? `contain ${out.InstanceId}${out.Approval === 'required' ? ' after approval' : ' now'}`
        : `analyze ${out.InstanceId}, then ${out.AnalyzeContainment === 'approval' ? 'ask to contain' : 'notify only'}`
    }${out.ConsoleExecution ? `; started from the console as execution ${out.ConsoleExecution}` : ''}${out.ExternalRef ? ` (external reference ${out.ExternalRef})` : ''}`,
  }),
});
