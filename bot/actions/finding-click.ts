import { FINDING_CARD_BLOCKS, findingCardMeta, parseFindingButtonValue } from '../blocks/finding-card.js';
import { isSeverityLabel, labelOfScore } from '../findings/severity.js';

/**
 * What a click on a finding card tells us: the validated button value (intake's contract), and from the
 * card itself the title, severity label and the finding id (context line), plus the card's blocks.
 */
export interface FindingClick {
  value: ReturnType<typeof parseFindingButtonValue>;
  title: string;
  severity: { label: string; score: number };
  /** The finding's own id (from the card's context line), else the fingerprint. */
  findingId: string;
  blocks: unknown[];
}

/** Reads a click; throws InvalidInputError when the value is not one the bot made. */
export function readFindingClick(rawValue: unknown, blocks: unknown): FindingClick {
  const value = parseFindingButtonValue(rawValue);
  const list = Array.isArray(blocks) ? blocks : [];
  const meta = findingCardMeta(list);
  const label = meta && isSeverityLabel(meta.severityLabel) ? meta.severityLabel : labelOfScore(value.s);
  return {
    value,
    title: meta?.title ?? `Finding on ${value.i ?? value.a}`,
    severity: { label, score: value.s },
    findingId: findingIdOf(list) ?? value.f,
    blocks: list,
  };
}

/** The finding id from the card's context line ("… · finding `<id>`"), unescaped. */
function findingIdOf(blocks: unknown[]): string | undefined {
  const context = blocks.find(
    (b): b is { elements?: { text?: string }[] } =>
      typeof b === 'object' &&
      b !== null &&
      (b as { block_id?: string }).block_id === FINDING_CARD_BLOCKS.context,
  );
  const text = context?.elements?.[0]?.text;
  const m = typeof text === 'string' ? /finding `([^`]+)`/.exec(text) : null;
  return m?.[1]?.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/**
 * The Security Hub identifiers of a finding, when the id says which product it is: GuardDuty finding ARNs
 * and Security Hub's own findings. Other products' findings are not suppressed (logged by the caller).
 */
export function securityHubIdentifiers(
  findingId: string,
  region: string,
): { Id: string; ProductArn: string } | undefined {
  if (/^arn:aws[a-z-]*:guardduty:/.test(findingId))
    return { Id: findingId, ProductArn: `arn:aws:securityhub:${region}::product/aws/guardduty` };
  if (/^arn:aws[a-z-]*:securityhub:/.test(findingId))
    return { Id: findingId, ProductArn: `arn:aws:securityhub:${region}::product/aws/securityhub` };
  if (/^arn:aws[a-z-]*:inspector2?:/.test(findingId))
    return { Id: findingId, ProductArn: `arn:aws:securityhub:${region}::product/aws/inspector` };
  return undefined;
}
