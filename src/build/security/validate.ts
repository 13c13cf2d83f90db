/**
 * Checks a security rule supplied at run time before the scanner compiles it: a TypeError that names the
 * rule and the offending field for anything malformed or an id that is already taken.
 */
import { isSeverity, SEVERITIES } from './severity.js';
import type { RuleMask, SecurityRule } from './types.js';

const RULE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MASKS: readonly RuleMask[] = ['comments', 'comments-and-strings', 'none'];

export function validateRule(rule: unknown, existing: ReadonlySet<string>): asserts rule is SecurityRule {
  if (typeof rule !== 'object' || rule === null) throw new TypeError('Security rule must be an object');
  const r = rule as Record<string, unknown>;
  const label = typeof r.id === 'string' && r.id !== '' ? `Security rule "${r.id}"` : 'Security rule';
  if (typeof r.id !== 'string' || !RULE_ID.test(r.id)) {
    throw new TypeError(`${label}: id must be a non-empty kebab-case string (got ${JSON.stringify(r.id)})`);
  }
  if (existing.has(r.id)) throw new TypeError(`${label}: a rule with this id is already registered`);
  if (typeof r.name !== 'string' || r.name.trim() === '') {
    throw new TypeError(`${label}: name must be a non-empty string`);
  }
  if (!(r.pattern instanceof RegExp)) throw new TypeError(`${label}: pattern must be a RegExp`);
  if (!isSeverity(r.severity)) {
    throw new TypeError(
      `${label}: severity must be one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(r.severity)})`,
    );
  }
  if (typeof r.message !== 'string' || r.message.trim() === '') {
    throw new TypeError(`${label}: message must be a non-empty string`);
  }
  if (r.hint !== undefined && typeof r.hint !== 'string') {
    throw new TypeError(`${label}: hint must be a string when given`);
  }
  if (r.files !== undefined && !(r.files instanceof RegExp)) {
    throw new TypeError(`${label}: files must be a RegExp when given`);
  }
  if (r.when !== undefined && !(r.when instanceof RegExp)) {
    throw new TypeError(`${label}: when must be a RegExp when given`);
  }
  if (r.multiline !== undefined && typeof r.multiline !== 'boolean') {
    throw new TypeError(`${label}: multiline must be a boolean when given`);
  }
  if (r.mask !== undefined && !MASKS.includes(r.mask as RuleMask)) {
    throw new TypeError(`${label}: mask must be one of ${MASKS.join(', ')} (got ${JSON.stringify(r.mask)})`);
  }
}
