/**
 * Network exposure: TLS verification switched off, credentials over plain HTTP, any-origin CORS and
 * listening on every interface.
 */
import { SOURCE_OR_CONFIG_FILE } from '../files.js';
import type { SecurityRule } from '../types.js';
import { BT, NOT_LOCALHOST, rule } from './patterns.js';

export const tlsVerificationDisabledRule: SecurityRule = rule({
  id: 'tls-verification-disabled',
  name: 'TLS certificate verification disabled',
  pattern: new RegExp(
    [
      String.raw`\brejectUnauthorized['"]?\s*[:=]\s*(?:false|0)\b`,
      String.raw`\bNODE_TLS_REJECT_UNAUTHORIZED['"]?\s*\]?\s*[:=]\s*['"${BT}]?0(?![\w.])`,
      String.raw`\bcheckServerIdentity\s*[:=]\s*(?:\(\s*\)|[\w$]+)\s*=>\s*(?:undefined|null|\{\s*\})`,
      String.raw`\bstrictSSL['"]?\s*:\s*false\b`,
    ].join('|'),
  ),
  severity: 'high',
  message: 'TLS certificate verification is disabled, so connections can be intercepted (man-in-the-middle).',
  hint: 'Keep verification on; to trust a private CA, pass it via the `ca` option or NODE_EXTRA_CA_CERTS.',
  files: SOURCE_OR_CONFIG_FILE,
});

export const httpCleartextCredentialUrlRule: SecurityRule = rule({
  id: 'http-cleartext-credential-url',
  name: 'Credentials sent over plain HTTP',
  pattern: new RegExp(
    String.raw`\bhttp://${NOT_LOCALHOST}(?:[^\s:@/'"${BT}]+:[^\s@/'"${BT}]+@|[^\s'"${BT}]*[?&](?:api[_-]?key|apikey|access[_-]?token|token|password|passwd|secret|client[_-]?secret|auth|sig|signature)=)`,
    'i',
  ),
  severity: 'medium',
  message:
    'Credentials are sent in a plain-HTTP URL and can be read or replayed by anyone on the network path.',
  hint: 'Use https:// and pass credentials in a header rather than the URL.',
});

export const corsWildcardOriginRule: SecurityRule = rule({
  id: 'cors-wildcard-origin',
  name: 'Any-origin CORS',
  pattern: /(['"`])Access-Control-Allow-Origin\1\s*[,:]\s*(['"`])\*\2|\borigin\s*:\s*(?:(['"`])\*\3|true\b)/i,
  severity: 'low',
  message:
    'Any web origin may call this HTTP endpoint; MCP HTTP servers must validate Origin (DNS rebinding).',
  hint: 'Allow-list the expected origins and reject requests with an unexpected Origin header.',
});

export const bindAllInterfacesRule: SecurityRule = rule({
  id: 'bind-all-interfaces',
  name: 'Listening on all interfaces',
  pattern:
    /\b(?:host|hostname|bind|address)\s*[:=]\s*(['"`])(?:0\.0\.0\.0|::)\1|\.listen\s*\([^)\n]*(['"`])(?:0\.0\.0\.0|::)\2/,
  severity: 'info',
  message: 'The server listens on every network interface, not only localhost.',
  hint: 'Bind to 127.0.0.1 for local MCP servers unless remote access is intended and authenticated.',
});
