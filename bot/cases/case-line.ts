import type { StepRecord } from '../core/case-model.js';

/** One step's line as a workflow step reports it (workflows/notifier.ts). */
export interface CaseLine {
  step: string;
  outcome: StepRecord['outcome'];
  durationMs?: number;
  detail?: string;
}

/** A step's line as the case timeline keeps it (both ways of posting a line record it the same). */
export function timelineEntry(line: CaseLine): StepRecord {
  return {
    step: line.step,
    outcome: line.outcome,
    at: new Date().toISOString(),
    ...(line.durationMs !== undefined ? { durationMs: Math.max(0, line.durationMs) } : {}),
    ...(line.detail ? { detail: line.detail } : {}),
  };
}
