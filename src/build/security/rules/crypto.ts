/**
 * Weak cryptography: Math.random() for tokens, secrets and nonces, and MD5/SHA-1 hashes.
 */
import type { SecurityRule } from '../types.js';
import { ci, rule, words } from './patterns.js';

export const insecureRandomTokenRule: SecurityRule = rule({
  id: 'insecure-random-token',
  name: 'Math.random() for secrets',
  pattern: new RegExp(
    String.raw`(?<![\w$])[\w$]*?(?:${['token', 'secret', 'password', 'passwd', 'nonce', 'salt', 'otp', 'csrf', 'verifier', 'challenge'].map(ci).join('|')}|${words('session', 'id')}|${words('api', 'key')})[\w$]*\s*(?:[:=]|\?\?=)[^;\n]*?\bMath\s*\.\s*random\s*\(`,
  ),
  severity: 'medium',
  message: 'Math.random() is predictable and must not generate tokens, secrets, nonces or salts.',
  hint: 'Use crypto.randomBytes(), crypto.randomUUID() or crypto.getRandomValues().',
  mask: 'comments-and-strings',
});

export const weakHashRule: SecurityRule = rule({
  id: 'weak-hash',
  name: 'Weak hash algorithm',
  pattern: /\bcreateHash\s*\(\s*(['"`])(?:md4|md5|sha1|sha-1|ripemd160)\1/i,
  severity: 'low',
  message: 'MD5/SHA-1 are broken for security purposes (signatures, password or token hashing).',
  hint: 'Use SHA-256 or better; for passwords use scrypt, argon2 or bcrypt.',
});
