/**
 * What makes a command line suspicious, wherever it is found (crontabs, unit files, rc files, histories,
 * live triage). Each reason is a plain phrase for the evidence. Fixed administrative commands (backups,
 * log rotation, package timers) give none: severity is earned.
 */
const RULES: [RegExp, string][] = [
  [/\b(curl|wget|fetch)\b[^|;\n]*\|\s*(sudo\s+)?(ba|da|z|k)?sh\b/, 'downloads and pipes into a shell'],
  [/\b(curl|wget)\b[^\n]*\b-[oO]\s*\/(tmp|var\/tmp|dev\/shm)\//, 'downloads into a temporary directory'],
  [/base64\s+(-d|--decode|-D)\b[^\n]*\|\s*(ba|da|z)?sh\b/, 'decodes base64 into a shell'],
  [/\/dev\/tcp\/|\/dev\/udp\//, 'opens a network connection through /dev/tcp (reverse shell)'],
  [/\b(nc|ncat|netcat)\b[^\n]*\s-[ec]\s/, 'netcat with command execution (reverse shell)'],
  [/\bsocat\b[^\n]*exec:/i, 'socat with command execution (reverse shell)'],
  [/(^|[\s'";=|&])\/(tmp|var\/tmp|dev\/shm)\/\S+/, 'runs a program from a temporary directory'],
  [/(^|[\s'"])\/[^\s'"]*\/\.[^\s/'".][^\s/'"]*\/[^\s'"]+/, 'runs a program from a hidden directory'],
  [
    /\b(xmrig|kdevtmpfsi|kinsing|minerd|cpuminer|xmr-stak)\b|stratum\+(tcp|ssl):\/\//i,
    'names a cryptocurrency miner or pool',
  ],
  [/\bhttps?:\/\/\d{1,3}(\.\d{1,3}){3}[/:]/, 'fetches from a bare IP address'],
  [/\bLD_PRELOAD=/, 'sets LD_PRELOAD'],
  [/\bchattr\s+\+i\b/, 'makes files immutable (chattr +i)'],
];

export function suspiciousReasons(command: string, iocs: string[] = []): string[] {
  const reasons = RULES.filter(([re]) => re.test(command)).map(([, why]) => why);
  for (const ioc of iocs)
    if (ioc && command.toLowerCase().includes(ioc.toLowerCase()))
      reasons.push(`names the finding's indicator ${ioc}`);
  return [...new Set(reasons)];
}
