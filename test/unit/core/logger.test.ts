import { describe, expect, it } from 'vitest';
import { configuredLogLevel } from '../../../bot/core/logger.js';

describe('Function: configuredLogLevel', () => {
  it('POWERTOOLS_LOG_LEVEL decides, then LOG_LEVEL, then INFO (SILENT under vitest)', () => {
    expect(configuredLogLevel({ POWERTOOLS_LOG_LEVEL: 'DEBUG', LOG_LEVEL: 'ERROR' })).toBe('DEBUG');
    expect(configuredLogLevel({ LOG_LEVEL: 'warn' })).toBe('WARN');
    expect(configuredLogLevel({})).toBe('INFO');
    expect(configuredLogLevel({ VITEST: 'true' })).toBe('SILENT');
  });
});
