import { describe, expect, it } from 'vitest';
import {
  applyViewAnswer,
  clientErrors,
  type OpenedView,
  readViewAnswer,
  stateValues,
  storedView,
  viewSubmissionPayload,
} from '../../../sandbox/slack/views.js';

const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  callback_id: 'finding.dismiss',
  private_metadata: '{"c":"C0ALERTS"}',
  title: { type: 'plain_text', text: 'Dismiss finding' },
  blocks: [
    { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: 'Why?' } },
    {
      type: 'input',
      block_id: 'reason.block',
      optional: true,
      label: { type: 'plain_text', text: 'Reason' },
      element: { type: 'plain_text_input', action_id: 'reason', max_length: 10 },
    },
    {
      type: 'input',
      block_id: 'ticket.block',
      label: { type: 'plain_text', text: 'Ticket' },
      element: { type: 'plain_text_input', action_id: 'ticket', min_length: 3 },
    },
  ],
  ...extra,
});

const open = (view = storedView(modal())): OpenedView => ({ view, user: 'U0ALICE', status: 'open' });

describe('Function: clientErrors', () => {
  it('refuses a required input left empty and text outside min/max length, as Slack’s client does', () => {
    // Act
    const errors = clientErrors(modal(), { 'reason.block': { reason: 'x'.repeat(11) }, 'ticket.block': {} });
    const short = clientErrors(modal(), { 'ticket.block': { ticket: 'ab' } });

    // Assess
    expect(errors).toEqual({
      'reason.block': 'Must be 10 characters or fewer.',
      'ticket.block': 'Please complete this required field.',
    });
    expect(short).toEqual({ 'ticket.block': 'Must be at least 3 characters.' });
    expect(clientErrors(modal(), { 'ticket.block': { ticket: 'IR-42' } })).toEqual({});
  });
});

describe('Function: viewSubmissionPayload', () => {
  it('sends every input in state.values, null when left empty, with the view’s id and metadata', () => {
    // Prepare
    const view = storedView(modal());

    // Act
    const payload = viewSubmissionPayload({
      user: { id: 'U0ALICE', name: 'alice', realName: 'Alice', title: '' },
      view,
      values: { 'ticket.block': { ticket: 'IR-42' } },
      triggerId: '1.2.abc',
    });

    // Assess
    expect(payload).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0ALICE', username: 'alice' },
      trigger_id: '1.2.abc',
      view: {
        id: view.id,
        callback_id: 'finding.dismiss',
        private_metadata: '{"c":"C0ALERTS"}',
        root_view_id: view.id,
        state: {
          values: {
            'reason.block': { reason: { type: 'plain_text_input', value: null } },
            'ticket.block': { ticket: { type: 'plain_text_input', value: 'IR-42' } },
          },
        },
      },
    });
    expect(stateValues(modal(), {})).toHaveProperty('ticket.block');
  });
});

describe('Function: readViewAnswer', () => {
  it('reads an empty 200 as close and response_action as Slack does', () => {
    expect(readViewAnswer(200, '')).toEqual({ action: 'close' });
    expect(readViewAnswer(200, '{}')).toEqual({ action: 'close' });
    expect(
      readViewAnswer(
        200,
        JSON.stringify({ response_action: 'errors', errors: { 'ticket.block': 'Unknown' } }),
      ),
    ).toEqual({ action: 'errors', errors: { 'ticket.block': 'Unknown' } });
    expect(readViewAnswer(200, JSON.stringify({ response_action: 'clear' }))).toEqual({ action: 'clear' });
    expect(readViewAnswer(200, JSON.stringify({ response_action: 'update', view: modal() }))).toMatchObject({
      action: 'update',
    });
  });

  it('keeps the modal open with a problem for a failed answer or a malformed response_action', () => {
    expect(readViewAnswer(401, '')).toMatchObject({
      action: 'failed',
      problem: expect.stringContaining('401'),
    });
    expect(readViewAnswer(200, JSON.stringify({ response_action: 'update' }))).toMatchObject({
      action: 'failed',
    });
    expect(readViewAnswer(200, JSON.stringify({ response_action: 'explode' }))).toMatchObject({
      action: 'failed',
    });
  });
});

describe('Function: applyViewAnswer', () => {
  const ok = () => undefined;

  it('keeps the modal open with the errors and what was typed', () => {
    // Prepare
    const opened = open();
    const values = { 'ticket.block': { ticket: 'IR-0' } };

    // Act
    const outcome = applyViewAnswer(
      [opened],
      opened,
      { action: 'errors', errors: { 'ticket.block': 'No such ticket' } },
      values,
      ok,
    );

    // Assess
    expect(outcome).toBe('errors');
    expect(opened.status).toBe('open');
    expect(opened.errors).toEqual({ 'ticket.block': 'No such ticket' });
    expect(opened.view.state).toMatchObject({ values: { 'ticket.block': { ticket: { value: 'IR-0' } } } });
  });

  it('updates in place (same id, new hash), pushes up to three, and clear closes the whole stack', () => {
    // Prepare
    const root = open();
    const views = [root];
    const { id, hash } = root.view;

    // Act / Assess: update
    expect(
      applyViewAnswer(views, root, { action: 'update', view: modal({ callback_id: 'step2' }) }, {}, ok),
    ).toBe('updated');
    expect(root.view).toMatchObject({ id, callback_id: 'step2', root_view_id: id });
    expect(root.view.hash).not.toBe(hash);

    // push twice, the third refused
    expect(applyViewAnswer(views, root, { action: 'push', view: modal() }, {}, ok)).toBe('pushed');
    const second = views[1]!;
    expect(second.view).toMatchObject({ root_view_id: id, previous_view_id: id });
    expect(applyViewAnswer(views, second, { action: 'push', view: modal() }, {}, ok)).toBe('pushed');
    expect(applyViewAnswer(views, views[2]!, { action: 'push', view: modal() }, {}, ok)).toBe('failed');
    expect(views).toHaveLength(3);

    // clear
    expect(applyViewAnswer(views, views[2]!, { action: 'clear' }, {}, ok)).toBe('cleared');
    expect(views.map((v) => v.status)).toEqual(['closed', 'closed', 'submitted']);
  });

  it('refuses an update whose blocks Slack would refuse, and keeps the modal as it was', () => {
    const opened = open();
    const outcome = applyViewAnswer(
      [opened],
      opened,
      { action: 'update', view: modal() },
      {},
      () => 'invalid_blocks',
    );
    expect(outcome).toBe('failed');
    expect(opened.problem).toContain('invalid_blocks');
    expect(opened.view.callback_id).toBe('finding.dismiss');
  });
});
