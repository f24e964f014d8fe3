import { isIP } from 'node:net';
import { isDomain } from '../../bot/core/ids.js';
import { ExaminationInputError } from './errors.js';

/**
 * The finding's indicators (`--ioc`): domains and IP addresses become YARA rules (their text in any file,
 * unallocated space or memory); hashes are compared with the SHA-256 (or MD5/SHA-1, by length) of every
 * extracted file. Anything else is refused: an IOC the engine cannot look for must not be silently dropped.
 */
export type Ioc =
  | { kind: 'ip'; value: string }
  | { kind: 'domain'; value: string }
  | { kind: 'hash'; algorithm: 'md5' | 'sha1' | 'sha256'; value: string };

export function parseIoc(raw: string): Ioc {
  const value = raw.trim();
  if (isIP(value)) return { kind: 'ip', value };
  if (/^[0-9a-f]{64}$/i.test(value)) return { kind: 'hash', algorithm: 'sha256', value: value.toLowerCase() };
  if (/^[0-9a-f]{40}$/i.test(value)) return { kind: 'hash', algorithm: 'sha1', value: value.toLowerCase() };
  if (/^[0-9a-f]{32}$/i.test(value)) return { kind: 'hash', algorithm: 'md5', value: value.toLowerCase() };
  if (isDomain(value)) return { kind: 'domain', value: value.toLowerCase() };
  throw new ExaminationInputError(
    `--ioc ${JSON.stringify(raw)} is neither an IP address, a domain nor an MD5/SHA-1/SHA-256 hash`,
  );
}

function yaraString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** One rule per domain or IP, named `ioc_<n>`, its value in the meta so a hit names what it found. */
export function iocRules(iocs: Ioc[]): string {
  return iocs
    .filter((i) => i.kind !== 'hash')
    .map(
      (ioc, n) => `rule ioc_${n + 1}
{
    meta:
        severity = "high"
        category = "ioc"
        title = "Indicator of the finding: ${ioc.kind} ${yaraString(ioc.value)}"
        ioc = "${yaraString(ioc.value)}"
    strings:
        $a = "${yaraString(ioc.value)}" ascii wide nocase
    condition:
        $a
}
`,
    )
    .join('\n');
}
