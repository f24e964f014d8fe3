import { type Finding, findingTarget } from '../core/finding.js';
import { InvalidInputError } from '../core/errors.js';
import { parseFindingButtonValue } from '../blocks/finding-buttons.js';
import { getFingerprint } from '../intake/fingerprints.js';

/**
 * What a click on a finding card acts on: the finding intake stored under the button's fingerprint (the
 * button carries nothing else), with the card's count and last sighting. Nothing is read back from the
 * rendered card.
 */
export interface FindingClick {
  fingerprint: string;
  finding: Finding;
  count: number;
  lastSeen?: string;
}

/** Loads what a click names; InvalidInputError when the value is not one the bot made or the finding is gone. */
export async function loadFindingClick(rawValue: unknown): Promise<FindingClick> {
  const { f } = parseFindingButtonValue(rawValue);
  const record = await getFingerprint(f);
  if (!record)
    throw new InvalidInputError(
      "this card's finding is no longer kept (cards are remembered for FINGERPRINT_TTL_DAYS); " +
        'use `/forensics analyze|contain <instance-id> [account] [region]`',
      'value.f',
    );
  return { fingerprint: f, finding: record.finding, count: record.count, lastSeen: record.lastSeen };
}

/** The EC2 instance a click's finding names; InvalidInputError when it names none. */
export function clickTarget(click: FindingClick): { account: string; region: string; instanceId: string } {
  const target = findingTarget(click.finding);
  if (!target) throw new InvalidInputError('this finding names no EC2 instance', 'finding.resource');
  return target;
}
