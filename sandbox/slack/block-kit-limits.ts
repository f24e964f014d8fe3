/**
 * The Block Kit limits Slack enforces on chat.postMessage / chat.update / chat.postEphemeral, checked the
 * way Slack answers them (`invalid_blocks` with the reasons, `msg_too_long`), so a test in the sandbox
 * fails where Slack would reject the message in production.
 */

export const LIMITS = {
  blocks: 50,
  text: 40_000,
  buttonValue: 2_000,
  id: 255,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  buttonText: 75,
  actionsElements: 25,
  contextElements: 10,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

export type SlackLimitError =
  | { error: 'invalid_blocks'; errors: string[] }
  | { error: 'msg_too_long' }
  | { error: 'no_text' }
  | { error: 'invalid_blocks_format' };

type Json = Record<string, unknown>;

const KNOWN_BLOCKS = new Set([
  'section',
  'header',
  'divider',
  'context',
  'actions',
  'image',
  'input',
  'rich_text',
  'file',
  'video',
  'markdown',
]);

function textOf(value: unknown): string {
  if (value && typeof value === 'object' && typeof (value as Json).text === 'string')
    return (value as Json).text as string;
  return '';
}

function checkText(errors: string[], where: string, value: unknown, max: number, required = false): void {
  if (value === undefined) {
    if (required) errors.push(`missing required field: text [json-pointer:${where}]`);
    return;
  }
  const obj = value as Json;
  if (!obj || typeof obj !== 'object' || (obj.type !== 'plain_text' && obj.type !== 'mrkdwn'))
    errors.push(`must be a text object [json-pointer:${where}]`);
  else if (textOf(obj).length > max)
    errors.push(`must be less than ${max + 1} characters [json-pointer:${where}/text]`);
  else if (textOf(obj).length === 0)
    errors.push(`must be more than 0 characters [json-pointer:${where}/text]`);
}

function checkId(errors: string[], where: string, value: unknown): void {
  if (typeof value === 'string' && value.length > LIMITS.id)
    errors.push(`must be less than ${LIMITS.id + 1} characters [json-pointer:${where}]`);
}

function checkConfirm(errors: string[], where: string, confirm: unknown): void {
  if (confirm === undefined) return;
  const c = confirm as Json;
  checkText(errors, `${where}/title`, c.title, LIMITS.confirmTitle, true);
  checkText(errors, `${where}/text`, c.text, LIMITS.confirmText, true);
  checkText(errors, `${where}/confirm`, c.confirm, LIMITS.confirmButton, true);
  checkText(errors, `${where}/deny`, c.deny, LIMITS.confirmButton, true);
}

function checkElement(errors: string[], where: string, element: unknown): void {
  const e = element as Json;
  if (!e || typeof e !== 'object') {
    errors.push(`must be an object [json-pointer:${where}]`);
    return;
  }
  checkId(errors, `${where}/action_id`, e.action_id);
  if (e.type === 'button') {
    checkText(errors, `${where}/text`, e.text, LIMITS.buttonText, true);
    if (typeof e.value === 'string' && e.value.length > LIMITS.buttonValue)
      errors.push(`must be less than ${LIMITS.buttonValue + 1} characters [json-pointer:${where}/value]`);
    if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
      errors.push(`must be one of primary, danger [json-pointer:${where}/style]`);
    if (typeof e.url === 'string' && e.url.length > 3_000)
      errors.push(`must be less than 3001 characters [json-pointer:${where}/url]`);
    checkConfirm(errors, `${where}/confirm`, e.confirm);
  }
}

function checkBlock(errors: string[], index: number, block: unknown): void {
  const where = `/blocks/${index}`;
  const b = block as Json;
  if (!b || typeof b !== 'object' || typeof b.type !== 'string' || !KNOWN_BLOCKS.has(b.type)) {
    errors.push(`unsupported type: ${String(b?.type)} [json-pointer:${where}/type]`);
    return;
  }
  checkId(errors, `${where}/block_id`, b.block_id);
  switch (b.type) {
    case 'header':
      checkText(errors, `${where}/text`, b.text, LIMITS.headerText, true);
      if ((b.text as Json | undefined)?.type === 'mrkdwn')
        errors.push(`must be a plain_text object [json-pointer:${where}/text]`);
      break;
    case 'section': {
      const fields = b.fields as unknown[] | undefined;
      if (b.text === undefined && !fields?.length)
        errors.push(`must provide either text or fields [json-pointer:${where}]`);
      checkText(errors, `${where}/text`, b.text, LIMITS.sectionText);
      if (fields && fields.length > LIMITS.sectionFields)
        errors.push(`must have less than ${LIMITS.sectionFields + 1} items [json-pointer:${where}/fields]`);
      for (const [i, f] of (fields ?? []).entries())
        checkText(errors, `${where}/fields/${i}`, f, LIMITS.fieldText);
      if (b.accessory !== undefined) checkElement(errors, `${where}/accessory`, b.accessory);
      break;
    }
    case 'actions': {
      const elements = (b.elements as unknown[] | undefined) ?? [];
      if (elements.length === 0) errors.push(`must have at least 1 item [json-pointer:${where}/elements]`);
      if (elements.length > LIMITS.actionsElements)
        errors.push(
          `must have less than ${LIMITS.actionsElements + 1} items [json-pointer:${where}/elements]`,
        );
      for (const [i, e] of elements.entries()) checkElement(errors, `${where}/elements/${i}`, e);
      break;
    }
    case 'context': {
      const elements = (b.elements as unknown[] | undefined) ?? [];
      if (elements.length === 0) errors.push(`must have at least 1 item [json-pointer:${where}/elements]`);
      if (elements.length > LIMITS.contextElements)
        errors.push(
          `must have less than ${LIMITS.contextElements + 1} items [json-pointer:${where}/elements]`,
        );
      break;
    }
  }
}

/**
 * What Slack would answer to these message arguments, or undefined when it would accept them.
 * `blocks` may arrive as a JSON string (form-encoded calls) or an array.
 */
export function checkMessage(
  args: { text?: unknown; blocks?: unknown },
  requireContent = true,
): SlackLimitError | undefined {
  const text = typeof args.text === 'string' ? args.text : undefined;
  if (text !== undefined && text.length > LIMITS.text) return { error: 'msg_too_long' };
  const blocks = args.blocks;
  if (blocks === undefined || blocks === null || blocks === '') {
    if (requireContent && !text) return { error: 'no_text' };
    return undefined;
  }
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  const errors: string[] = [];
  if (blocks.length > LIMITS.blocks)
    errors.push(`no more than ${LIMITS.blocks} items allowed [json-pointer:/blocks]`);
  for (const [i, block] of blocks.entries()) checkBlock(errors, i, block);
  return errors.length ? { error: 'invalid_blocks', errors } : undefined;
}
