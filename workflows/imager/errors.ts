import { WorkflowError } from '../errors.js';

/**
 * Errors of the disk imager. Their names are matched by the acquire-disk workflow's `Retry`/`Catch`: a
 * chunk that failed is run again from the state it started with (the resume point), so nothing already
 * uploaded is read again.
 */
export class ImagerError extends WorkflowError {
  override readonly code: string = 'IMAGER_ERROR';
}

/** A block's bytes did not match the checksum the EBS direct API gave for it, on every attempt. */
export class BlockChecksumMismatchError extends ImagerError {
  override readonly code = 'BLOCK_CHECKSUM_MISMATCH';
}

/** A block could not be read after every retry (throttled or failing throughout). */
export class BlockReadFailedError extends ImagerError {
  override readonly code = 'BLOCK_READ_FAILED';
}

/** The resume state does not describe a valid image in progress (bad input, not a retryable failure). */
export class ImageStateInvalidError extends ImagerError {
  override readonly code = 'IMAGE_STATE_INVALID';
}

/**
 * The thread hashing the image died or failed (out of memory, a crash, a state it could not load): the
 * chunk fails with no hash, and is run again from the state it started with.
 */
export class HashThreadFailedError extends ImagerError {
  override readonly code = 'HASH_THREAD_FAILED';
}
