import { describe, expect, it } from 'vitest';
import { CASE_ID_RE, isCaseId, isInstanceId, newCaseId } from '../../../bot/core/ids.js';

describe('Function: newCaseId', () => {
  it('makes CASE-YYYYMMDD-XXXX with the UTC day and Crockford characters', () => {
    const id = newCaseId(new Date('2026-11-23T23:59:00Z'), () => 0.999);
    expect(id).toBe('CASE-20261123-ZZZZ');
    for (let i = 0; i < 500; i++) expect(newCaseId()).toMatch(CASE_ID_RE);
  });

  it('rejects ids with letters Crockford leaves out, and injection attempts', () => {
    for (const bad of [
      'CASE-20261123-IL0U',
      'CASE-20261123-ABCD; rm -rf /',
      'case-20261123-ABCD',
      'CASE-2026112-ABCD',
    ])
      expect(isCaseId(bad)).toBe(false);
    expect(isCaseId('CASE-20261123-AB7Z')).toBe(true);
  });
});

describe('Function: isInstanceId', () => {
  it('accepts short and long EC2 ids only', () => {
    expect(isInstanceId('i-99999999')).toBe(true);
    expect(isInstanceId('i-0123456789abcdef0')).toBe(true);
    expect(isInstanceId('i-0123456789abcdef0 && curl evil')).toBe(false);
    expect(isInstanceId('i-$(id)')).toBe(false);
  });
});
