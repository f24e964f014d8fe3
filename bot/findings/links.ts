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

/** Keeps only https links from the event (ASFF `SourceUrl`), never javascript: or http. */
export function sourceLink(url: string | undefined, label: string): ConsoleLink | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' ? { label, url: parsed.toString() } : undefined;
  } catch {
    return undefined;
  }
}
