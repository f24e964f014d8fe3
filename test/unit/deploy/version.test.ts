import { describe, expect, it } from 'vitest';
import { buildIdentity } from '../../../deploy/version.js';
import pkg from '../../../package.json' with { type: 'json' };

describe('Function: buildIdentity', () => {
  it("names the package's version and the commit given as context", () => {
    expect(buildIdentity('0123abc')).toEqual({ version: pkg.version, commit: '0123abc' });
  });

  it('reads the commit from git otherwise (marked when the checkout has changes), or says there is none', () => {
    expect(buildIdentity().commit).toMatch(
      /^([0-9a-f]{40}(\+uncommitted-changes)?|unknown \(not a git checkout: .+\))$/,
    );
  });
});
