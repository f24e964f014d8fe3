import { describe, expect, it } from 'vitest';
import {
  addArtifact,
  audit,
  getCase,
  listAudit,
  listOpenCases,
  openCase,
  openCaseOf,
  transition,
} from '../../../bot/core/case-store.js';
import type { NewCase } from '../../../bot/core/case-model.js';
import { CaseConflictError } from '../../../bot/core/errors.js';
import { useCaseTable } from '../../support/table.js';

useCaseTable();

const newCase = (instanceId: string): NewCase => ({
  severity: { label: 'HIGH', score: 8 },
  title: 'SSH brute force',
  findingIds: ['f-1'],
  target: { account: '111122223333', region: 'us-east-1', instanceId },
  actions: ['contain'],
  trigger: 'slack-button',
  requester: { userId: 'U_ALICE', name: 'alice' },
});

describe('Case store (dynalite)', () => {
  it('opens exactly one case per instance when ten clicks race', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => openCase(newCase('i-0aaaaaaaaaaaaaaa1'))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
    const open = await openCaseOf(newCase('i-0aaaaaaaaaaaaaaa1').target);
    expect(open?.id).toBe(results[0]!.record.id);
  });

  it('moves status only along allowed transitions, and frees the instance when closed', async () => {
    const { record } = await openCase(newCase('i-0bbbbbbbbbbbbbbb2'));
    await transition(record.id, 'awaiting-approval');
    await expect(transition(record.id, 'evidence-secured')).rejects.toBeInstanceOf(CaseConflictError);
    await transition(record.id, 'denied');
    expect((await listOpenCases()).map((c) => c.id)).toContain(record.id);
    await transition(record.id, 'closed');
    expect((await getCase(record.id))?.closedAt).toBeTruthy();
    expect((await listOpenCases()).map((c) => c.id)).not.toContain(record.id);
    const again = await openCase(newCase('i-0bbbbbbbbbbbbbbb2'));
    expect(again.created).toBe(true);
    expect(again.record.id).not.toBe(record.id);
  });

  it('records artifacts once per uri and keeps an append-only audit trail', async () => {
    const { record } = await openCase(newCase('i-0ccccccccccccccc3'));
    const artifact = {
      kind: 'memory' as const,
      uri: `s3://evidence/${record.id}/memory.lime`,
      sha256: 'a'.repeat(64),
      bytes: 10,
      createdAt: new Date().toISOString(),
    };
    await addArtifact(record.id, artifact);
    const after = await addArtifact(record.id, artifact);
    expect(after.artifacts).toHaveLength(1);
    await audit({ caseId: record.id, actor: 'U_ALICE', action: 'contain', outcome: 'ok' });
    await audit({ caseId: record.id, actor: 'U_MALLORY', action: 'approve', outcome: 'refused' });
    const trail = await listAudit(record.id);
    expect(trail.map((e) => [e.actor, e.outcome])).toEqual([
      ['U_ALICE', 'ok'],
      ['U_MALLORY', 'refused'],
    ]);
  });
});
