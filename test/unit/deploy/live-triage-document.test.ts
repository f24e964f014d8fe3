import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  findScript,
  LIVE_TRIAGE,
  liveTriageContent,
  PARAMETER_PATTERNS,
} from '../../../deploy/constructs/capture-memory-document.js';
import { TRIAGE_PARAMETERS } from '../../../workflows/triage-parameters.js';

describe('Function: liveTriageContent', () => {
  const script = () => readFileSync(findScript(LIVE_TRIAGE.file)!, 'utf8');

  it('ships live-triage.sh with the five destination parameters and the profile to wait for, the patterns of the capture', () => {
    // Act
    const content = liveTriageContent(script()) as {
      parameters: Record<string, { allowedPattern: string; interpolationType: string }>;
      mainSteps: { name: string; inputs: { runCommand: string[]; timeoutSeconds: string } }[];
    };

    // Assess: what workflows/steps/live-triage.ts sends
    expect(findScript(LIVE_TRIAGE.file)).toMatch(/live-triage\.sh$/);
    expect(Object.keys(content.parameters).sort()).toEqual([
      'Bucket',
      'CaseId',
      'InstanceProfile',
      'Key',
      'KmsKeyId',
      'Region',
    ]);
    for (const [name, p] of Object.entries(content.parameters)) {
      expect(p.interpolationType).toBe('ENV_VAR');
      expect(p.allowedPattern).toBe(PARAMETER_PATTERNS[name]!.pattern);
      expect(p.allowedPattern).toBe(TRIAGE_PARAMETERS[name]!.pattern);
    }
    expect(content.mainSteps[0]!.name).toBe('liveTriage');
    expect(content.mainSteps[0]!.inputs.timeoutSeconds).toBe('600');
    const lines = content.mainSteps[0]!.inputs.runCommand;
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines.slice(1).filter((l) => /^\s*(#|$)/.test(l))).toEqual([]);
  });

  it('keeps the archive under the memory prefix and refuses shell in its key', () => {
    // Assess
    const key = new RegExp(TRIAGE_PARAMETERS.Key!.pattern);
    expect(key.test('CASE-20240101-AB12/memory/i-0abc123def4567890-20240101T000000Z.triage.tar')).toBe(true);
    expect(key.test('CASE-20240101-AB12/triage/x.tar')).toBe(false);
    expect(key.test('CASE-20240101-AB12/memory/$(id).tar')).toBe(false);
  });

  it('fails the synth for a capture parameter the triage document does not declare', () => {
    // Act / Assess
    expect(() => liveTriageContent('echo "$SSM_ToolsUri"')).toThrow(/ToolsUri/);
  });
});
