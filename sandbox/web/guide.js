// The first-run guide above the channel: the next thing to click in the runbook, worked out from what
// the page already knows (the messages and the open cases), so it follows along as one clicks.

import { escapeHtml } from './mrkdwn.js';

const RUNNING = ['containing', 'contained', 'acquiring', 'open'];
const DONE = ['evidence-secured', 'evidence-incomplete', 'released', 'closed'];

const hasButton = (message, actionId) =>
  JSON.stringify(message.blocks ?? []).includes(`"action_id":"${actionId}"`);

/**
 * @param {{ data: Record<string, { messages: any[] }>, cases: any[], user: string, channel: string }} state
 * @returns {{ step: number, html: string }}
 */
export function nextStep({ data, cases, user, channel }) {
  const alerts = data['security-alerts']?.messages ?? [];
  const newest = cases[0];
  const b = (text) => `<strong>${escapeHtml(text)}</strong>`;
  if (newest?.status === 'awaiting-approval') {
    const where = channel === 'ir-commanders' ? '' : `, open ${b('#ir-commanders')}`;
    return {
      step: 3,
      html:
        user === 'carol'
          ? `${b(newest.id)} waits for approval${where}: click ${b('Approve')} (or Deny, with a reason). Try it as mallory first: refused.`
          : `${b(newest.id)} waits for an incident commander: switch to ${b('carol')}${where} and click ${b('Approve')}.`,
    };
  }
  if (newest && RUNNING.includes(newest.status))
    return {
      step: 4,
      html: `${b(newest.id)} is ${b(newest.status)}: open its thread (“replies” under the card) to follow each step as it reports.`,
    };
  if (newest && DONE.includes(newest.status))
    return {
      step: 5,
      html: `${b(newest.id)}: ${b(newest.status)}. The thread ends with the manifest hash; the ${b('Cloud')} tab shows the instance isolated, its profile deny-all and its snapshots in the forensics account. Try ${b(`/forensics status ${newest.id}`)}. The examination in the thread ran here for real (The Sleuth Kit and YARA on the volume's real image); its ${b('live triage')} is simulated from the instance's fixture, since this sandbox has no instance to run it on.`,
    };
  if (newest && ['failed', 'denied'].includes(newest.status))
    return {
      step: 5,
      html: `${b(newest.id)} ended ${b(newest.status)}: its thread says why. Inject another finding to start again.`,
    };
  if (alerts.some((m) => hasButton(m, 'case.contain')))
    return {
      step: 2,
      html:
        user === 'alice'
          ? `As ${b('alice')} (responder), click ${b('Contain')} on the card and confirm. ${b('Analyze')} acquires evidence without isolating; ${b('Dismiss')} asks for a reason.`
          : `Switch to ${b('alice')} (responder) and click ${b('Contain')} on the card.`,
    };
  return {
    step: 1,
    html: `Inject a finding: click ${b('GuardDuty: SSH brute force from an instance')} in the sidebar. The bot posts its card in #security-alerts.`,
  };
}

export function guideHtml(state) {
  const { step, html } = nextStep(state);
  const dots = [1, 2, 3, 4, 5]
    .map((n) => `<span class="dot ${n < step ? 'done' : n === step ? 'now' : ''}">${n}</span>`)
    .join('');
  return `<div class="guide-steps" aria-hidden="true">${dots}</div><div class="guide-text">${html}</div>
    <button type="button" class="guide-hide" data-guide="hide" title="Hide the guide">×</button>`;
}
