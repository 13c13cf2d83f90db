/**
 * Recognises literal secrets in a spec. Secrets must reach servers through environment variables only, so a
 * value that looks like a credential, or a credential-named header with a literal value, is refused.
 */
const SECRET_VALUE_PATTERNS: Array<{ label: string; pattern: RegExp }> = [
  { label: 'an AWS access key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  {
    label: 'a GitHub token',
    pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/,
  },
  { label: 'an API secret key', pattern: /\bsk-(?:ant-|proj-|live_|test_)?[A-Za-z0-9_-]{20,}\b/ },
  { label: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { label: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { label: 'a private key', pattern: /-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----/ },
  {
    label: 'a JSON Web Token',
    pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/,
  },
  { label: 'a URL with an embedded password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i },
];

const SENSITIVE_HEADER =
  /^(?:authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|x-auth-token)$|token|secret|passw|api[-_]?key|credential/i;

export function describeSecretValue(value: string): string | undefined {
  for (const { label, pattern } of SECRET_VALUE_PATTERNS) if (pattern.test(value)) return label;
  return undefined;
}

export function isSensitiveHeaderName(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}
