import { z } from 'zod';
import { defineSettings, env } from '../../bot/core/config.js';

/**
 * Settings of the examination step (issue 12). `EXAMINE_WORKER=local` runs the engine on the machine
 * that runs the step: the sandbox, or a forensic worker that runs the steps itself. `off` records that
 * this deployment does not examine (the forensic worker of the forensics stack is not built yet; see
 * docs/deploy.md), so the thread and the manifest say so instead of staying silent.
 */
export const examineSettings = defineSettings('Examination', {
  EXAMINE_WORKER: z.enum(['local', 'off']).default('local'),
  /** Days before the finding was first seen where the filesystem timeline starts. */
  EXAMINE_WINDOW_DAYS: env.int(7, 1, 3650),
  /** Scratch directory for the images read back and the engine's work (default: the OS temp dir). */
  EXAMINE_WORK_DIR: env.optional(),
});
