import { describe, expect, it } from 'vitest';
import { decideApproval } from '../../../bot/cases/approval.js';
import { openCaseOf } from '../../../bot/core/case-store.js';
import { handler as progress } from '../../../handlers/progress.js';
import { MEMBER, REGION, SEEDED, startCase, useWorkflowWorld } from './harness.js';

// Status changes reach handlers/progress as EventBridge would deliver them.
const world = useWorkflowWorld({}, { onStatusChange: (event) => progress(event) });

const threadOf = (caseId: string) =>
  world.slack
    .messages('C0ALERTS')
    .find((m) => JSON.stringify(m.blocks ?? []).includes(caseId))!
    .replies.map((r) => r.text);

describe('Workflow: started from the Step Functions console', () => {
  it("takes the seed framework's input under any execution name, keeps a foreign CaseId as the external reference, and reports start and finish", async () => {
    // the seed framework's own console input, under a console-style execution name
    const arn = startCase(
      world,
      {
        CaseId: 'INC456789',
        InstanceId: SEEDED.instances.noEndpoints,
        Account: MEMBER,
        Region: REGION,
        RetainArtefacts: true,
      },
      'manual-triage-7f3a',
    );
    await world.sfn.waitForTask(arn);
    const record = (await openCaseOf({
      account: MEMBER,
      region: REGION,
      instanceId: SEEDED.instances.noEndpoints,
    }))!;

    expect(record.id).toMatch(/^CASE-\d{8}-[0-9A-Z]{4}$/);
    expect(record.externalRef).toBe('INC456789');
    expect(record.trigger).toBe('console');
    const thread = threadOf(record.id);
    expect(thread.join('\n')).toContain('started from the console as execution manual-triage-7f3a');
    expect(thread.join('\n')).toContain('external reference INC456789');
    const card = world.slack
      .messages('C0ALERTS')
      .find((m) => JSON.stringify(m.blocks ?? []).includes(record.id))!;
    expect(JSON.stringify(card.blocks)).toContain('(ref INC456789)');

    await decideApproval({ caseId: record.id, actor: { userId: 'U0CAROL', name: 'carol' }, approve: false });
    expect((await world.sfn.waitFor(arn)).status).toBe('SUCCEEDED');
    // the end of an execution not named after its case is reported in its thread
    expect(threadOf(record.id).at(-1)).toMatch(/Workflow (finished|stopped)/);
  });

  it('refuses a CaseId with characters no case id has, before anything happens', async () => {
    const arn = startCase(
      world,
      { CaseId: '<!channel> x', InstanceId: SEEDED.instances.unmanaged, Account: MEMBER, Region: REGION },
      'bad-input-1',
    );
    const execution = await world.sfn.waitFor(arn);
    expect(execution.status).toBe('FAILED');
    expect(
      await openCaseOf({ account: MEMBER, region: REGION, instanceId: SEEDED.instances.unmanaged }),
    ).toBeUndefined();
  });
});
