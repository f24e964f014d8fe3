import { ForensicsBotError } from '../../bot/core/errors.js';

/** The examination could not run (as opposed to: it ran and found nothing). */
export class ExaminationError extends ForensicsBotError {
  override readonly code: string = 'EXAMINATION_ERROR';
}

/** The Sleuth Kit or YARA is not installed: nothing is examined, and nothing is pretended. */
export class MissingToolError extends ExaminationError {
  override readonly code = 'MISSING_TOOL';
  constructor(readonly missing: string[]) {
    super(
      `The examination needs The Sleuth Kit and YARA; not found on PATH: ${missing.join(', ')}. ` +
        'Install them (Debian/Ubuntu: apt-get install -y sleuthkit yara) and run it again.',
    );
  }
}

/** An argument cannot be acted on (a missing image, an IOC that is no domain, IP or hash, a bad date). */
export class ExaminationInputError extends ExaminationError {
  override readonly code = 'EXAMINATION_INPUT';
}

/** A tool ran and failed (non-zero exit): its name, arguments and the end of its stderr. */
export class ToolFailedError extends ExaminationError {
  override readonly code = 'TOOL_FAILED';
}
