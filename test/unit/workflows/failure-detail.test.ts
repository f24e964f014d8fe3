import { describe, expect, it } from 'vitest';
import { SsmAgentOfflineError } from '../../../workflows/errors.js';
import { failureDetail } from '../../../bot/core/case-story.js';

describe('Unit: failureDetail (a failed step line)', () => {
  it('gives our own errors as they are written, without the class name', () => {
    const error = new SsmAgentOfflineError('The SSM agent of i-0a1b2c3d4e5f60718 is ConnectionLost');
    expect(failureDetail(error)).toBe('The SSM agent of i-0a1b2c3d4e5f60718 is ConnectionLost');
  });

  it('keeps the AWS error code after its message, for searching the AWS documentation', () => {
    const error = Object.assign(new Error('The snapshot is in use'), { name: 'IncorrectState' });
    expect(failureDetail(error)).toBe('The snapshot is in use (IncorrectState)');
  });

  it('never prints [object Object] and stays short', () => {
    expect(failureDetail({ reason: 'x' })).toBe('{"reason":"x"}');
    expect(failureDetail(new Error('y'.repeat(900))).length).toBe(500);
  });
});
