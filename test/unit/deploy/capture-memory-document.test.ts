import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  captureMemoryContent,
  findCaptureScript,
  PARAMETER_PATTERNS,
  scriptParameters,
} from '../../../deploy/constructs/capture-memory-document.js';

const SCRIPT = [
  '#!/bin/bash',
  'set -euo pipefail',
  'CASE_ID="{{ CaseId }}"; BUCKET="{{Bucket}}"; KEY="{{ Key }}"',
  'echo "$CASE_ID $BUCKET $KEY {{ Tool }}"',
  'export AWS_SESSION_TOKEN="$SSM_SessionToken"',
].join('\n');

const matches = (name: string, value: string) => new RegExp(PARAMETER_PATTERNS[name]!.pattern).test(value);

describe('Function: captureMemoryContent', () => {
  it('declares each {{ parameter }} of the script once, with an allowed pattern', () => {
    // Act
    const content = captureMemoryContent(SCRIPT) as {
      parameters: Record<string, { allowedPattern: string }>;
    };

    // Assess
    expect(scriptParameters(SCRIPT)).toEqual(['Bucket', 'CaseId', 'Key', 'SessionToken', 'Tool']);
    expect(Object.keys(content.parameters).sort()).toEqual([
      'Bucket',
      'CaseId',
      'Key',
      'SessionToken',
      'Tool',
    ]);
    for (const p of Object.values(content.parameters)) {
      expect(p.allowedPattern).toMatch(/^\^.*\$$/);
      expect(p).toMatchObject({ interpolationType: 'ENV_VAR' });
    }
  });

  it('runs the script itself as a Linux shell step', () => {
    // Act
    const content = captureMemoryContent(SCRIPT) as {
      mainSteps: { action: string; inputs: { runCommand: string[] } }[];
    };

    // Assess
    expect(content.mainSteps[0]!.action).toBe('aws:runShellScript');
    expect(content.mainSteps[0]!.inputs.runCommand.join('\n')).toBe(SCRIPT);
  });

  it('declares every parameter the shipped capture script uses, defaults matching their patterns', () => {
    // Prepare
    const script = readFileSync(findCaptureScript()!, 'utf8');

    // Act
    const content = captureMemoryContent(script) as {
      parameters: Record<string, { allowedPattern: string; default?: string }>;
    };

    // Assess: what workflows/steps/memory-capture.ts sends
    for (const name of [
      'CaseId',
      'Bucket',
      'Key',
      'Region',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Tool',
    ]) {
      expect(content.parameters, name).toHaveProperty(name);
    }
    for (const p of Object.values(content.parameters)) {
      if (p.default !== undefined) expect(new RegExp(p.allowedPattern).test(p.default)).toBe(true);
    }
  });

  it('fails the synth for a parameter without an allowed pattern', () => {
    // Act / Assess
    expect(() => captureMemoryContent('echo {{ Command }}')).toThrow(/\{\{ Command \}\}/);
  });

  it('accepts what the workflow sends and refuses shell in the values', () => {
    // Assess
    expect(matches('CaseId', 'CASE-20240101-AB12')).toBe(true);
    expect(matches('CaseId', 'CASE-20240101-AB12; rm -rf /')).toBe(false);
    expect(matches('Key', 'CASE-20240101-AB12/memory/i-0abc123def4567890-20240101T000000Z.lime')).toBe(true);
    expect(matches('Key', 'CASE-20240101-AB12/$(reboot)')).toBe(false);
    expect(matches('Bucket', 'forensics-bot-evidence-222222222222-us-east-1')).toBe(true);
    expect(matches('LimeModuleUri', 's3://lime-modules/Kernels/5.10')).toBe(true);
    expect(matches('LimeModuleUri', 's3://x`id`')).toBe(false);
    expect(matches('SessionToken', 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==')).toBe(true);
  });
});
