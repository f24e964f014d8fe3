import { z } from 'zod';
import { defineSettings, env } from '../../bot/core/config.js';

/**
 * Settings of the examination step (issue 12). `EXAMINE_WORKER=local` runs the engine on the machine
 * that runs the step (the sandbox); `ec2` runs it on the case's forensic worker in the forensics account
 * (the deploy's setting: workflows/steps/examine-worker.ts, docs/deploy.md); `off` records that this
 * deployment does not examine, so the thread and the manifest say so instead of staying silent.
 */
export const examineSettings = defineSettings('Examination', {
  EXAMINE_WORKER: z.enum(['local', 'ec2', 'off']).default('local'),
  /** Days before the finding was first seen where the filesystem timeline starts. */
  EXAMINE_WINDOW_DAYS: env.int(7, 1, 3650),
  /** Scratch directory for the images read back and the engine's work (default: the OS temp dir). */
  EXAMINE_WORK_DIR: env.optional(),
  /** The launcher role in the forensics account (default: `ForensicsBot-ExamineLauncher` there). */
  EXAMINE_ROLE_ARN: env.optional(),
  /** Seconds between polls of the worker (coming online, then the examination). */
  EXAMINE_POLL_SECONDS: env.int(30, 1, 3600),
  /** Polls of the worker's SSM agent before it is given up as never online (default: 20 minutes). */
  EXAMINE_ONLINE_POLLS: env.int(40, 1, 10_000),
  /** Polls of the examination before it is cancelled (default: 6 hours at 30 s; the worker's lifetime bounds it too). */
  EXAMINE_MAX_POLLS: env.int(720, 1, 100_000),
  /** Hours an investigator's workstation stays (`/forensics workstation`; at most the worker lifetime). */
  WORKSTATION_HOURS: env.int(4, 1, 24),
});
