/**
 * Console links for a finding, in the account's region. The consoles are opened by whoever clicks, in the
 * account they are signed into (the security account is the delegated administrator of GuardDuty and
 * Security Hub, so member findings show there); the label names the account so nobody is surprised.
 */

const consoleBase = (region: string) => `https://${region}.console.aws.amazon.com`;
const safeRegion = (region: string) => (/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(region) ? region : 'us-east-1');

export interface ConsoleLink {
  label: string;
  url: string;
}

export function guardDutyLink(region: string, findingId: string): ConsoleLink {
  const r = safeRegion(region);
  return {
    label: 'GuardDuty',
    url: `${consoleBase(r)}/guardduty/home?region=${r}#/findings?macros=current&fId=${encodeURIComponent(findingId)}`,
  };
}

/**
 * The Security Hub console filtered to one finding id. The console's search parameter is itself
 * URL-encoded inside the fragment, hence the double encoding (`Id=\operator\:EQUALS\:<id>`).
 */
export function securityHubLink(region: string, findingId: string): ConsoleLink {
  const r = safeRegion(region);
  const filter = `Id=${encodeURIComponent(`\\operator\\:EQUALS\\:${findingId}`)}`;
  return {
    label: 'Security Hub',
    url: `${consoleBase(r)}/securityhub/home?region=${r}#/findings?search=${encodeURIComponent(filter)}`,
  };
}

export function ec2InstanceLink(region: string, instanceId: string): ConsoleLink {
  const r = safeRegion(region);
  return {
    label: 'EC2 instance',
    url: `${consoleBase(r)}/ec2/home?region=${r}#InstanceDetails:instanceId=${encodeURIComponent(instanceId)}`,
  };
}

/** AWS console hosts (commercial, China, GovCloud): the only places a card button may open. */
const CONSOLE_HOST = /^(?:[a-z0-9-]+\.)*console\.(?:aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)$/;

/**
 * Keeps a link from the event (ASFF `SourceUrl`) only when it is https to an AWS console host: a
 * finding's fields are written by whoever produced the finding, and a button looks like the bot's own.
 */
export function sourceLink(url: string | undefined, label: string): ConsoleLink | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' &&
      CONSOLE_HOST.test(parsed.hostname) &&
      !parsed.username &&
      !parsed.password
      ? { label, url: parsed.toString() }
      : undefined;
  } catch {
    return undefined; // not a URL at all: no button
  }
}
