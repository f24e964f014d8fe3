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
  'REGION="$SSM_Region"',
].join('\n');

const matches = (name: string, value: string) => new RegExp(PARAMETER_PATTERNS[name]!.pattern).test(value);

describe('Function: captureMemoryContent', () => {
  it('declares each {{ parameter }} of the script once, with an allowed pattern', () => {
    // Act
    const content = captureMemoryContent(SCRIPT) as {
      parameters: Record<string, { allowedPattern: string }>;
    };

    // Assess
    expect(scriptParameters(SCRIPT)).toEqual(['Bucket', 'CaseId', 'Key', 'Region', 'Tool']);
    expect(Object.keys(content.parameters).sort()).toEqual(['Bucket', 'CaseId', 'Key', 'Region', 'Tool']);
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
    expect(Object.keys(content.parameters).sort()).toEqual(
      [
        'AvmlSha256',
        'Bucket',
        'CaseId',
        'InstanceProfile',
        'Key',
        'KmsKeyId',
        'LimeModuleUri',
        'Region',
        'Tool',
        'ToolsUri',
      ].sort(),
    );
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
    expect(matches('Key', 'CASE-20240101-AB12/memory/$(reboot)')).toBe(false);
    expect(matches('Bucket', 'forensics-bot-evidence-222222222222-us-east-1')).toBe(true);
    expect(matches('LimeModuleUri', 's3://lime-modules/Kernels/5.10')).toBe(true);
    expect(matches('LimeModuleUri', 's3://x`id`')).toBe(false);
    expect(matches('Key', 'CASE-20240101-AB12/disk/vol.raw')).toBe(false);
    expect(
      matches('KmsKeyId', 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ).toBe(true);
    expect(matches('KmsKeyId', 'arn:aws:kms:us-east-1:222222222222:key/x;id')).toBe(false);
    expect(matches('ToolsUri', 's3://forensics-bot-tools-222222222222/avml/')).toBe(true);
    expect(matches('ToolsUri', 's3://tools/avml')).toBe(false);
    expect(matches('AvmlSha256', 'a'.repeat(64))).toBe(true);
  });

  it('declares no credential: nothing readable through ssm:ListCommands is a secret', () => {
    // Act
    const content = captureMemoryContent(readFileSync(findCaptureScript()!, 'utf8')) as {
      parameters: Record<string, unknown>;
    };

    // Assess
    for (const name of Object.keys(content.parameters))
      expect(name).not.toMatch(/secret|token|access.?key|password|credential/i);
  });
});
