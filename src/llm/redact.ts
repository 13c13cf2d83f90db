/**
 * Replaces secret-looking values in free text (prompts, provider answers, error messages) before they are sent
 * to a model, logged or written into a generated project. Mirrors the patterns of src/core/spec/secrets.ts.
 */
const PATTERNS: Array<{ label: string; pattern: RegExp; replace?: (match: string) => string }> = [
  { label: 'AWS access key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  {
    label: 'GitHub token',
    pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/g,
  },
  { label: 'API secret key', pattern: /\bsk-(?:ant-|proj-|live_|test_)?[A-Za-z0-9_-]{20,}\b/g },
  { label: 'Tavily key', pattern: /\btvly-[A-Za-z0-9_-]{16,}\b/g },
  { label: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { label: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    label: 'private key',
    pattern: /-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z ]+ )?PRIVATE KEY-----|$)/g,
  },
  {
    label: 'JSON Web Token',
    pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g,
  },
  {
    label: 'password in a URL',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)([^\s/@]+)@/gi,
    replace: (m) => m.replace(/^([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/i, '$1[REDACTED]@'),
  },
  {
    label: 'bearer token',
    pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/-]{20,}=*/g,
    replace: (m) => m.replace(/^(Bearer\s+).*/, '$1[REDACTED]'),
  },
];

export interface Redaction {
  text: string;
  /** What was replaced (labels, one per occurrence). */
  found: string[];
}

export function redactSecrets(text: string): Redaction {
  const found: string[] = [];
  let out = text;
  for (const { label, pattern, replace } of PATTERNS) {
    out = out.replace(pattern, (m) => {
      if (m.includes('[REDACTED')) return m;
      found.push(label);
      return replace ? replace(m) : `[REDACTED ${label}]`;
    });
  }
  return { text: out, found };
}

/** Shorthand for logs and error messages. */
export function redact(text: string): string {
  return redactSecrets(text).text;
}
