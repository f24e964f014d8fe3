/**
 * EventBridge's matching of the intake rules, offline: the product's own matcher (bot/intake/event-pattern-match.ts,
 * which the sandbox routes with), so a synthesized rule is checked by the same semantics its module pattern is.
 */
export { matchesPattern } from '../../../bot/intake/event-pattern-match.js';
