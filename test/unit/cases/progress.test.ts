import { describe, expect, it } from 'vitest';
import { ExecutionStatusChangeSchema, parseExecutionName } from '../../../bot/cases/progress.js';
import { errorWords, executionFailureText as failureText } from '../../../bot/core/case-story.js';
import type { CaseRecord } from '../../../bot/core/case-model.js';
import { loadEvent } from '../../support/events.js';

describe('Function: parseExecutionName', () => {
  it('knows case and release executions, and nothing else', () => {
    expect(parseExecutionName('CASE-20250101-ABCD')).toEqual({ caseId: 'CASE-20250101-ABCD', kind: 'case' });
    expect(parseExecutionName('CASE-20250101-ABCD-release-2')).toEqual({
      caseId: 'CASE-20250101-ABCD',
      kind: 'release',
    });
    expect(parseExecutionName('execution-name')).toBeUndefined();
    expect(parseExecutionName('CASE-20250101-ABCD-other')).toBeUndefined();
  });
});

describe('Function: ExecutionStatusChangeSchema', () => {
  it.each(['running', 'succeeded', 'failed', 'timed-out', 'aborted'])(
    'parses the AWS sample (%s)',
    (name) => {
      const event = loadEvent('stepfunctions', `execution-status-change-${name}`);
      event.detail.redriveCount = 0; // newer events carry more keys
      expect(ExecutionStatusChangeSchema.safeParse(event).success).toBe(true);
    },
  );
});

describe('Function: failureText', () => {
  const base = {
    status: 'containing',
    steps: [
      { step: 'isolate-network', outcome: 'succeeded', at: '2025-01-01T10:00:01Z' },
      { step: 'capture-memory', outcome: 'started', at: '2025-01-01T10:00:02Z' },
    ],
  } as unknown as CaseRecord;
  const detail = (extra: object) => ({
    executionArn: 'a',
    name: 'CASE-20250101-ABCD',
    status: 'FAILED' as const,
    ...extra,
  });

  it('names the step, the error in plain words, and what was done', () => {
    const cause = JSON.stringify({ errorType: 'SsmAgentOfflineError', errorMessage: 'SSM agent offline' });
    expect(failureText(base, detail({ error: 'SsmAgentOfflineError', cause }))).toBe(
      'capture memory failed: SSM agent offline. Already done: contained, isolate network',
    );
  });
  it('falls back to the error name when there is no cause', () => {
    expect(failureText(base, detail({ error: 'SsmAgentOfflineError' }))).toContain(
      'capture memory failed: ssm agent offline',
    );
    expect(errorWords('States.Timeout')).toBe('timed out');
  });
});
