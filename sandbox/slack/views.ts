/**
 * Modals in the local Slack, as Slack runs them: `views.open` needs a trigger_id from an interaction of
 * the user who sees the modal; the client checks required and over-long inputs before anything is sent;
 * a submission is a signed `view_submission` whose `view.state.values` holds every input; the app's
 * answer may keep the modal open with errors (`response_action: "errors"`), replace it (`update`), stack
 * another (`push`) or close the whole stack (`clear`); an empty 200 closes it.
 */
import { randomBytes } from 'node:crypto';
import { BOT, type SlackUser, TEAM, VERIFICATION_TOKEN } from './workspace.js';

type Json = Record<string, unknown>;

/** A modal the bot opened, and for whom. */
export interface OpenedView {
  /** Slack's view object (`id`, `callback_id`, `private_metadata`, `blocks`, `state`, `hash`, …). */
  view: Json;
  /** The user whose interaction's trigger_id opened it: only they see it. */
  user: string;
  status: 'open' | 'submitted' | 'closed';
  /** Messages by block_id, shown under those inputs (from the client's checks or `response_action`). */
  errors?: Record<string, string>;
  /** Shown at the top of the modal when the app's answer was not a success. */
  problem?: string;
}

/** Who a trigger_id belongs to; Slack accepts each for one views.open. */
export interface Trigger {
  user: string;
  used: boolean;
}

/** The modal is not open for this user (never was, already closed, or someone else's). */
export class ViewNotFoundError extends Error {
  override name = 'ViewNotFoundError';
}

/** Values a user typed: `{ [block_id]: { [action_id]: text } }`. */
export type InputValues = Record<string, Record<string, string | undefined> | undefined>;

export const newViewId = () => `V0${randomBytes(5).toString('hex').toUpperCase()}`;
export const newViewHash = () => `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;

/** The view object Slack stores for a modal the app sent (views.open, `update`, `push`). */
export function storedView(view: Json, previous?: Json): Json {
  const id = newViewId();
  return {
    id,
    team_id: TEAM.id,
    type: 'modal',
    private_metadata: '',
    callback_id: '',
    state: { values: {} },
    hash: newViewHash(),
    clear_on_close: false,
    notify_on_close: false,
    external_id: '',
    ...structuredClone(view),
    root_view_id: previous ? (previous.root_view_id ?? previous.id) : id,
    previous_view_id: previous ? previous.id : null,
    app_id: BOT.appId,
    app_installed_team_id: TEAM.id,
    bot_id: BOT.botId,
  };
}

interface InputBlock {
  blockId: string;
  actionId: string;
  element: Json;
  optional: boolean;
}

/** The input blocks of a view that hold a plain_text_input (the only input element the bot uses). */
function textInputs(view: Json): InputBlock[] {
  const blocks = Array.isArray(view.blocks) ? (view.blocks as Json[]) : [];
  return blocks
    .filter((b) => b.type === 'input' && (b.element as Json | undefined)?.type === 'plain_text_input')
    .map((b) => {
      const element = b.element as Json;
      return {
        blockId: String(b.block_id ?? ''),
        actionId: String(element.action_id ?? ''),
        element,
        optional: b.optional === true,
      };
    });
}

const typed = (values: InputValues, input: InputBlock) => values[input.blockId]?.[input.actionId] ?? '';

/**
 * What Slack's client says before it sends anything: a required input left empty, or text outside
 * `min_length`/`max_length`. Empty when the modal may be submitted.
 */
export function clientErrors(view: Json, values: InputValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const input of textInputs(view)) {
    const text = typed(values, input);
    const max = typeof input.element.max_length === 'number' ? input.element.max_length : 3000;
    const min = typeof input.element.min_length === 'number' ? input.element.min_length : 0;
    if (!text.trim()) {
      if (!input.optional) errors[input.blockId] = 'Please complete this required field.';
    } else if (text.length > max) errors[input.blockId] = `Must be ${max} characters or fewer.`;
    else if (text.length < min) errors[input.blockId] = `Must be at least ${min} characters.`;
  }
  return errors;
}

/** `view.state.values` as Slack sends it: every input, `value: null` when left empty. */
export function stateValues(view: Json, values: InputValues): Record<string, Record<string, Json>> {
  const state: Record<string, Record<string, Json>> = {};
  for (const input of textInputs(view)) {
    const text = typed(values, input);
    state[input.blockId] = {
      ...state[input.blockId],
      [input.actionId]: { type: 'plain_text_input', value: text === '' ? null : text },
    };
  }
  return state;
}

const userOf = (user: SlackUser) => ({
  id: user.id,
  username: user.name,
  name: user.name,
  team_id: TEAM.id,
});

/** The `view_submission` payload Slack posts when this user submits the view with these values. */
export function viewSubmissionPayload(input: {
  user: SlackUser;
  view: Json;
  values: InputValues;
  triggerId: string;
}): Json {
  return {
    type: 'view_submission',
    team: { id: TEAM.id, domain: TEAM.domain },
    user: userOf(input.user),
    api_app_id: BOT.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: input.triggerId,
    view: { ...structuredClone(input.view), state: { values: stateValues(input.view, input.values) } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** The `view_closed` payload Slack posts when a view with `notify_on_close` is closed. */
export function viewClosedPayload(input: { user: SlackUser; view: Json; isCleared: boolean }): Json {
  return {
    type: 'view_closed',
    team: { id: TEAM.id, domain: TEAM.domain },
    user: userOf(input.user),
    api_app_id: BOT.appId,
    token: VERIFICATION_TOKEN,
    view: structuredClone(input.view),
    is_cleared: input.isCleared,
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** What the app's answer to a submission asked for. */
export type ViewAnswer =
  | { action: 'close' }
  | { action: 'errors'; errors: Record<string, string> }
  | { action: 'update' | 'push'; view: Json }
  | { action: 'clear' }
  | { action: 'failed'; problem: string };

/** Reads the app's HTTP answer to a view_submission, as Slack does. */
export function readViewAnswer(status: number, body: string): ViewAnswer {
  // Slack shows its generic connection error for anything but a 200.
  if (status !== 200)
    return { action: 'failed', problem: `We had some trouble connecting (the app answered HTTP ${status}).` };
  if (!body.trim()) return { action: 'close' };
  let answer: Json;
  try {
    answer = JSON.parse(body) as Json;
  } catch {
    return { action: 'close' };
  }
  if (!answer || typeof answer !== 'object' || !answer.response_action) return { action: 'close' };
  switch (answer.response_action) {
    case 'errors': {
      const errors = answer.errors;
      if (!errors || typeof errors !== 'object' || Array.isArray(errors))
        return { action: 'failed', problem: 'The app answered response_action "errors" without errors.' };
      return {
        action: 'errors',
        errors: Object.fromEntries(Object.entries(errors as Json).map(([k, v]) => [k, String(v)])),
      };
    }
    case 'update':
    case 'push': {
      const view = answer.view as Json | undefined;
      if (!view || typeof view !== 'object' || view.type !== 'modal')
        return {
          action: 'failed',
          problem: `The app answered "${answer.response_action}" without a modal view.`,
        };
      return { action: answer.response_action as 'update' | 'push', view };
    }
    case 'clear':
      return { action: 'clear' };
    default:
      return { action: 'failed', problem: `Unknown response_action "${String(answer.response_action)}".` };
  }
}

/** What became of a submitted modal. `invalid`: the client's own checks stopped it; nothing was sent. */
export type ViewOutcome = 'closed' | 'errors' | 'updated' | 'pushed' | 'cleared' | 'failed' | 'invalid';

/** The views of a user's stack that an answer acts on: the submitted one and those pushed over it. */
function stackOf(views: OpenedView[], opened: OpenedView): OpenedView[] {
  const root = opened.view.root_view_id ?? opened.view.id;
  return views.filter(
    (v) => v.user === opened.user && v.status === 'open' && (v.view.root_view_id ?? v.view.id) === root,
  );
}

/**
 * Applies the app's answer to the submitted view (and its stack), as Slack's client does. `check`
 * answers a problem with the blocks of a view the app sent (`update`/`push`), like views.open would.
 */
export function applyViewAnswer(
  views: OpenedView[],
  opened: OpenedView,
  answer: ViewAnswer,
  values: InputValues,
  check: (view: Json) => string | undefined,
): ViewOutcome {
  const keepTyped = () => {
    // The modal stays open with what the user typed.
    opened.view.state = { values: stateValues(opened.view, values) };
  };
  delete opened.errors;
  delete opened.problem;
  switch (answer.action) {
    case 'close':
      opened.status = 'submitted';
      return 'closed';
    case 'errors':
      keepTyped();
      opened.errors = answer.errors;
      return 'errors';
    case 'failed':
      keepTyped();
      opened.problem = answer.problem;
      return 'failed';
    case 'clear':
      opened.status = 'submitted';
      for (const v of stackOf(views, opened)) v.status = 'closed';
      return 'cleared';
    case 'update':
    case 'push': {
      const problem = check(answer.view);
      if (problem) {
        keepTyped();
        opened.problem = `The app's ${answer.action} was refused: ${problem}`;
        return 'failed';
      }
      if (answer.action === 'update') {
        const { id, root_view_id, previous_view_id } = opened.view;
        opened.view = { ...storedView(answer.view), id, root_view_id, previous_view_id };
        return 'updated';
      }
      // Slack stacks at most three modals.
      if (stackOf(views, opened).length >= 3) {
        keepTyped();
        opened.problem = 'The app pushed a fourth modal; Slack stacks at most three.';
        return 'failed';
      }
      views.push({ view: storedView(answer.view, opened.view), user: opened.user, status: 'open' });
      return 'pushed';
    }
  }
}
