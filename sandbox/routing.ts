/**
 * The sandbox's EventBridge: every event given to `POST /api/events` (and every injected sample) goes
 * through the deploy's own intake rules (bot/intake/event-patterns.ts) with the deploy's defaults — floor
 * DEFAULT_MIN_SEVERITY, GuardDuty direct, both custom actions, the bot's state machines — and reaches a
 * handler only through a rule that matches it, once per matching rule, as EventBridge delivers. An event
 * no rule matches is dropped, and the answer says which rule came closest and why it did not match.
 */
import { type RoutingResult, routeEvent } from '../bot/intake/event-pattern-match.js';
import {
  DEFAULT_MIN_SEVERITY,
  type IntakeRuleName,
  intakeRules,
  RULE_TARGETS,
} from '../bot/intake/event-patterns.js';
import { SANDBOX } from './environment.js';

/** The custom actions the deploy creates, as they are in the sandbox's security account. */
export const SANDBOX_ACTION_TARGET_ARNS = ['ForensicsAnalyze', 'ForensicsContain'].map(
  (id) => `arn:aws:securityhub:${SANDBOX.region}:${SANDBOX.securityAccount}:action/custom/${id}`,
);

export interface Dropped {
  closest?: { rule: IntakeRuleName; reason: string };
  /** "dropped by the rules: no rule matched (closest: guardDuty: detail.severity is 2, not >= 7)" */
  message: string;
}

export interface Routes {
  /** The matching rules, each with the function it feeds. */
  deliveries: { rule: IntakeRuleName; handler: 'findings' | 'progress' }[];
  dropped?: Dropped;
}

/** The intake rules of a deployment with the default parameters, for these state machines. */
export function sandboxRules(stateMachineArns: string[]) {
  return intakeRules({
    minSeverity: DEFAULT_MIN_SEVERITY,
    actionTargetArns: SANDBOX_ACTION_TARGET_ARNS,
    stateMachineArns,
    guardDutyDirect: true,
  });
}

export function routesOf(rules: ReturnType<typeof sandboxRules>, event: unknown): Routes {
  const routing: RoutingResult<IntakeRuleName> = routeEvent(rules, event);
  if (routing.matched.length)
    return { deliveries: routing.matched.map((rule) => ({ rule, handler: RULE_TARGETS[rule] })) };
  const closest = routing.closest;
  return {
    deliveries: [],
    dropped: {
      ...(closest ? { closest } : {}),
      message: `dropped by the rules: no rule matched${closest ? ` (closest: ${closest.rule}: ${closest.reason})` : ''}`,
    },
  };
}
