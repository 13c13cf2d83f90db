/**
 * Credentials in the source: known token shapes, PEM private keys, literal passwords and keys, literal
 * Authorization headers and user:password URLs. Each pattern names the credential `secret`, which the
 * redactor masks in every excerpt (see redact.ts).
 */
import { SOURCE_CONFIG_OR_KEY_FILE, SOURCE_OR_CONFIG_FILE, SOURCE_OR_JSON_FILE } from '../files.js';
import type { SecurityRule } from '../types.js';
import { BT, ci, NOT_LOCALHOST, rule, SECRET_PLACEHOLDER, SECRET_TOKENS, words } from './patterns.js';

const SENSITIVE_NAME_WORDS = [
  words('password'),
  words('passwd'),
  words('passphrase'),
  words('secret'),
  words('secret', 'key'),
  words('secret', 'access', 'key'),
  words('api', 'key'),
  words('api', 'token'),
  words('private', 'key'),
  words('access', 'token'),
  words('auth', 'token'),
  words('refresh', 'token'),
  words('bearer', 'token'),
  words('session', 'token'),
  words('github', 'token'),
  words('bot', 'token'),
].join('|');
/** Names that are only sensitive on their own (`token: '…'`, `pwd: '…'`), not as a suffix (`nextToken`). */
const SENSITIVE_EXACT_NAMES = [ci('token'), ci('pwd')].join('|');

/** Literal values that are obviously not real credentials. Must consume the whole literal. */
const CREDENTIAL_PLACEHOLDER = [
  `[*xX.#?_-]+`,
  `<[^>]*>`,
  String.raw`\{\{[^}]*\}\}`,
  String.raw`%\w+%`,
  String.raw`\$[A-Za-z_]\w*`,
  `[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+`, // an environment variable name
  String.raw`(?:${['env', 'arn', 'op', 'vault', 'ssm', 'aws', 'gcp', 'azure'].map(ci).join('|')}):[^'"${BT}\s]*`,
  String.raw`(?:\.{1,2}/|~/|/)[^'"${BT}]*`, // a path
  String.raw`[\w./-]*\.(?:pem|key|crt|cer|p12|pfx|json|txt|env)`,
  String.raw`(?:${['your', 'my', 'change', 'replace', 'enter', 'insert', 'test', 'example', 'sample', 'dummy', 'fake', 'placeholder', 'redacted', 'xxx'].map(ci).join('|')})[\w-]*`,
  `(?:${['password', 'passwd', 'secret', 'token', 'none', 'null', 'undefined', 'string', 'required', 'optional', 'hidden', 'masked', 'todo', 'tbd'].map(ci).join('|')}|${words('api', 'key')}|${words('access', 'token')})`,
].join('|');

const HARDCODED_CREDENTIAL = new RegExp(
  String.raw`(?<![\w$-])['"]?(?:[\w$-]*?(?:${SENSITIVE_NAME_WORDS})|${SENSITIVE_EXACT_NAMES})\d*['"]?\s*(?::|=|\?\?=|\|\|=)\s*(?<q>['"${BT}])(?!(?:${CREDENTIAL_PLACEHOLDER}|${SECRET_TOKENS.join('|')})\k<q>)(?<secret>(?:(?!\k<q>|\$\{)[^\\\s]|\\.){3,})\k<q>(?!\s*[|&])`,
);

export const hardcodedSecretRule: SecurityRule = rule({
  id: 'hardcoded-secret',
  name: 'Hard-coded secret token',
  pattern: new RegExp(`(?<![A-Za-z0-9_-])${SECRET_PLACEHOLDER}(?<secret>${SECRET_TOKENS.join('|')})`),
  severity: 'critical',
  message: 'A credential (API key, access token or JWT) is embedded in the source.',
  hint: 'Revoke the credential, remove it from the code and history, and read it from the environment (process.env).',
  files: SOURCE_OR_CONFIG_FILE,
  mask: 'none',
});

export const privateKeyRule: SecurityRule = rule({
  id: 'private-key',
  name: 'Embedded private key',
  // The header must be followed by key material (possibly after `\n` escapes, line breaks, quotes,
  // `+` concatenation or `Proc-Type:`-style headers), so a bare header string used in a comparison is not reported.
  pattern:
    /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|[\s'"`+,]|[A-Za-z-]+: [^\n\\]*)*(?<secret>[A-Za-z0-9+/]{40,}={0,2})/,
  severity: 'critical',
  message: 'A PEM private key is embedded in the source.',
  hint: 'Revoke the key, remove it, and load key material from a file path or secret store given by configuration.',
  files: SOURCE_CONFIG_OR_KEY_FILE,
  multiline: true,
  mask: 'none',
});

export const hardcodedCredentialRule: SecurityRule = rule({
  id: 'hardcoded-credential',
  name: 'Hard-coded password or key',
  pattern: HARDCODED_CREDENTIAL,
  severity: 'high',
  message: 'A password, secret or API key is assigned a literal value.',
  hint: 'Read the value from the environment (process.env.NAME) or a secret store, and fail clearly when it is missing.',
  files: SOURCE_OR_JSON_FILE,
});

export const hardcodedAuthHeaderRule: SecurityRule = rule({
  id: 'hardcoded-auth-header',
  name: 'Hard-coded Authorization header',
  pattern: new RegExp(
    String.raw`\b[Aa]uthorization['"]?\s*(?:[:=]|,)\s*(?<q>['"${BT}])(?:[Bb]earer|[Bb]asic|[Tt]oken)\s+${SECRET_PLACEHOLDER}(?<secret>[A-Za-z0-9._~+/=-]{8,})\k<q>`,
  ),
  severity: 'high',
  message: 'An Authorization header carries a literal credential.',
  hint: 'Build the header at runtime from a credential read from the environment (e.g. process.env.API_TOKEN).',
});

export const credentialInUrlRule: SecurityRule = rule({
  id: 'credential-in-url',
  name: 'Credentials in URL',
  pattern: new RegExp(
    String.raw`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:@/'"${BT}?#]+:(?!\$\{|<|\*+@|x+@|(?:password|pass|secret|changeme)@)(?<secret>[^\s@/'"${BT}?#]+)@${NOT_LOCALHOST}[\w[]`,
  ),
  severity: 'high',
  message: 'A URL contains a literal user:password pair.',
  hint: 'Assemble connection URLs from configuration at runtime (e.g. process.env.DATABASE_URL).',
  files: SOURCE_OR_CONFIG_FILE,
});

export const SECRET_RULES: readonly SecurityRule[] = [
  hardcodedSecretRule,
  privateKeyRule,
  hardcodedCredentialRule,
  hardcodedAuthHeaderRule,
  credentialInUrlRule,
];
