/**
 * Runtime hygiene: the whole environment serialized or logged, and recursive deletes of computed paths.
 */
import type { SecurityRule } from '../types.js';
import { rule, STATIC_LITERAL } from './patterns.js';

export const envDumpRule: SecurityRule = rule({
  id: 'env-dump',
  name: 'Environment exposed',
  pattern:
    /(?<![\w$])(?:JSON\s*\.\s*stringify|console\s*\.\s*\w+|(?:[\w$]+\s*\.\s*)?(?:log|info|debug|warn|error|trace|send|json|write|end))\s*\(\s*process\s*\.\s*env\s*[,)]/,
  severity: 'medium',
  message: 'The whole process environment is serialized or logged, leaking every secret it contains.',
  hint: 'Log or return only the specific, non-secret settings that are needed.',
  mask: 'comments-and-strings',
});

export const recursiveDeleteDynamicPathRule: SecurityRule = rule({
  id: 'recursive-delete-dynamic-path',
  name: 'Recursive delete of a computed path',
  pattern: new RegExp(
    String.raw`(?<![\w$])(?:[\w$]+\s*\.\s*)?(?:rm|rmSync|rmdir|rmdirSync)\s*\(\s*(?!${STATIC_LITERAL}\s*,)[^;\n]*?\brecursive\s*:\s*true\b`,
  ),
  severity: 'low',
  message: 'Recursively deletes a path computed at runtime; a bad value can wipe unrelated files.',
  hint: 'Resolve the path and check it stays inside the intended base directory before deleting.',
  mask: 'comments-and-strings',
});
