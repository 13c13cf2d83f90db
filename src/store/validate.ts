/**
 * Input checks of the registry API. Callers are TypeScript, but the API server passes JSON through, so every
 * value is checked at run time and refused as REGISTRY_INVALID (or REGISTRY_SECRET_VALUE) data.
 */
import { FactoryError } from '../core/errors/index.js';
import { ENV_VAR, SERVER_NAME, TOOL_NAME } from '../core/spec/name-patterns.js';
import { describeSecretValue } from '../core/spec/secrets.js';
import type { IndexedTool } from './repositories/tools.js';
import type { ToolInput } from './types.js';

/** Tools a version may index at most. */
const MAX_TOOLS = 2000;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const TARGET = /^[a-z][a-z0-9-]{0,31}$/;

export function invalid(message: string, details?: Record<string, unknown>): FactoryError {
  return new FactoryError('REGISTRY_INVALID', message, details ? { details } : {});
}

export function checkServerName(name: unknown): string {
  if (typeof name !== 'string' || !SERVER_NAME.test(name)) {
    throw invalid(
      `Invalid server name ${JSON.stringify(name)}: lower-case letters, digits, . _ - (1-64, as in the spec)`,
    );
  }
  return name;
}

export function checkToolName(name: unknown): string {
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw invalid(`Invalid tool name ${JSON.stringify(name)}: 1-128 characters of A-Z a-z 0-9 _ . -`);
  }
  return name;
}

export function checkVersion(version: unknown): string {
  if (typeof version !== 'string' || !SEMVER.test(version) || version.length > 128) {
    throw invalid(`Invalid version ${JSON.stringify(version)}: use a semantic version such as 1.2.0`);
  }
  return version;
}

export function checkHash(hash: unknown): string {
  if (typeof hash !== 'string' || !SHA256.test(hash)) {
    throw invalid(
      'Invalid artifact hash: use the lower-case hex sha256 of the generated artifacts (64 characters)',
    );
  }
  return hash;
}

export function checkTarget(target: unknown): string {
  if (typeof target !== 'string' || !TARGET.test(target)) {
    throw invalid(`Invalid deployment target ${JSON.stringify(target)}: e.g. local or docker`);
  }
  return target;
}

/** Actors, actions, audit targets: short single-line labels. */
export function checkLabel(kind: string, value: unknown, max = 200): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max || /[\r\n\0]/.test(value)) {
    throw invalid(
      `Invalid ${kind} ${JSON.stringify(value)}: a non-empty single line of at most ${max} characters`,
    );
  }
  return value;
}

export function checkOneOf<T extends string>(kind: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(`Invalid ${kind} ${JSON.stringify(value)}: one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function checkRevision(revision: unknown): number {
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1 || revision > 2 ** 31 - 1) {
    throw invalid(`Invalid revision ${JSON.stringify(revision)}: a positive integer`);
  }
  return revision;
}

export function checkPort(port: unknown): number | null {
  if (port === null) return null;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(`Invalid port ${JSON.stringify(port)}: an integer from 1 to 65535`);
  }
  return port;
}

/** A replica count of a deployment (desired or actual), or null: a whole number 0-1000. */
export function checkReplicaCount(count: unknown): number | null {
  if (count === null) return null;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 1000) {
    throw invalid(`Invalid replica count ${JSON.stringify(count)}: an integer from 0 to 1000`);
  }
  return count;
}

export function checkOptionalText(kind: string, value: unknown, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value.length > max) {
    throw invalid(`Invalid ${kind}: a string of at most ${max} characters`);
  }
  return value;
}

/** Serialise a JSON value, refusing non-JSON data, oversize documents and embedded secret values. */
export function checkJson(kind: string, value: unknown, maxBytes: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw invalid(`Invalid ${kind}: not serialisable as JSON (${(error as Error).message})`);
  }
  if (text === undefined) throw invalid(`Invalid ${kind}: not a JSON value`);
  if (Buffer.byteLength(text) > maxBytes) throw invalid(`Invalid ${kind}: larger than ${maxBytes} bytes`);
  refuseSecretsIn(kind, value, '');
  return text;
}

function refuseSecretsIn(kind: string, value: unknown, path: string): void {
  if (typeof value === 'string') {
    const label = describeSecretValue(value);
    if (label) {
      throw new FactoryError(
        'REGISTRY_SECRET_VALUE',
        `The ${kind} contains ${label} at ${path || '(root)'}`,
        {
          details: { path },
        },
      );
    }
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) refuseSecretsIn(kind, v, `${path}[${i}]`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) refuseSecretsIn(kind, v, path ? `${path}.${k}` : k);
  }
}

/** A reference to a secret: the variable the server reads, and where an operator gets its value. */
export interface SecretRef {
  /** The environment variable the server reads, e.g. `INVENTORY_API_KEY`. */
  envVar: string;
  /**
   * Where the value comes from, as a description, never the value: `env`, `vault:kv/inventory#api_key`,
   * `file:/run/secrets/inventory_key`, `1password://Ops/Inventory/api key`, `set by the operator`.
   */
  source: string;
  description?: string | null | undefined;
}

const REF_FIELDS = new Set(['envVar', 'source', 'description']);
const MAX_SOURCE = 200;

/**
 * Why `text` looks like a secret value rather than a reference, or undefined. Heuristics on top of the spec's
 * secret detector: an assignment (`NAME=…`), credentials in a URL, or a long run of letters and digits without
 * separators (a token, key or password), which references practically never contain.
 */
export function secretValueReason(text: string): string | undefined {
  const known = describeSecretValue(text);
  if (known) return `looks like ${known}`;
  if (/^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S/.test(text)) return 'is an assignment (NAME=value)';
  if (/\b(?:password|passwd|pwd|token|secret|api[_-]?key)\s*(?:=|:\s)\s*\S/i.test(text)) {
    return 'contains a credential written as key=value';
  }
  for (const run of text.split(/[\s/:#.@?&=,;_()[\]{}'"|-]+/)) {
    const hasDigit = /\d/.test(run);
    const hasLetter = /[A-Za-z]/.test(run);
    if (run.length >= 32 && (hasDigit || /[A-Z]/.test(run) || /[+]/.test(run))) {
      return 'contains a long opaque token';
    }
    if (run.length >= 16 && hasDigit && hasLetter) return 'contains an opaque token (letters and digits)';
  }
  if (/^\s*(?:bearer|basic|token|digest)\s+\S/i.test(text)) return 'is an Authorization header value';
  // A reference has a shape: `env`, `scheme:path` (vault:, file:, op://, aws-sm:, …) or a description in
  // words. A single bare word (`hunter2`, `s3cr3t!`) is what a value looks like.
  if (!/\s/.test(text.trim()) && !/^[a-z][a-z0-9+.-]*:\S/i.test(text) && !/^env(?:ironment)?$/i.test(text)) {
    return 'is a single word (a reference is `env`, `scheme:path` such as vault:kv/app#key, or a description)';
  }
  return undefined;
}

/**
 * Check secret references. `env` (default: none) lets the caller also refuse a source that contains the actual
 * current value of the referenced variable.
 */
export function checkSecretRefs(refs: unknown, env: Record<string, string | undefined> = {}): SecretRef[] {
  if (!Array.isArray(refs)) throw invalid('Secret references must be an array of { envVar, source }');
  const seen = new Set<string>();
  return refs.map((ref, i): SecretRef => {
    if (!ref || typeof ref !== 'object' || Array.isArray(ref)) {
      throw invalid(`Secret reference ${i} must be an object { envVar, source }`);
    }
    const extra = Object.keys(ref).filter((k) => !REF_FIELDS.has(k));
    if (extra.length > 0) {
      throw new FactoryError(
        'REGISTRY_SECRET_VALUE',
        `Secret reference ${i} has field(s) ${extra.join(', ')}: the registry stores references only (envVar, source, description)`,
        { details: { index: i, fields: extra } },
      );
    }
    const { envVar, source, description } = ref as Record<string, unknown>;
    if (typeof envVar !== 'string' || !ENV_VAR.test(envVar)) {
      throw invalid(
        `Secret reference ${i}: envVar ${JSON.stringify(envVar)} is not an environment variable name`,
      );
    }
    if (seen.has(envVar)) throw invalid(`Secret reference ${i}: ${envVar} is listed twice`);
    seen.add(envVar);
    if (
      typeof source !== 'string' ||
      source.trim() === '' ||
      source.length > MAX_SOURCE ||
      /[\r\n]/.test(source)
    ) {
      throw invalid(`Secret reference ${envVar}: source must be a single line of 1-${MAX_SOURCE} characters`);
    }
    const desc = checkOptionalText(`description of ${envVar}`, description, 500);
    const actual = env[envVar];
    for (const [field, text] of [
      ['source', source],
      ['description', desc ?? ''],
    ] as const) {
      const reason =
        actual && actual.length >= 6 && text.includes(actual)
          ? `contains the current value of ${envVar}`
          : field === 'source'
            ? secretValueReason(text)
            : describeSecretValue(text) && 'looks like a secret value';
      if (reason) {
        throw new FactoryError(
          'REGISTRY_SECRET_VALUE',
          `Secret reference ${envVar}: the ${field} ${reason}; store where the value comes from, not the value`,
          { details: { envVar, field } },
        );
      }
    }
    return { envVar, source, description: desc };
  });
}

/** A point in time as epoch milliseconds (default: now); REGISTRY_INVALID when it is not one. */
export function checkTime(at: Date | number | string | undefined): number {
  if (at === undefined) return Date.now();
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw invalid(`Invalid call time ${JSON.stringify(at)}`);
  return ms;
}

/** Error texts come from crashed processes and may quote credentials: keep them out of the registry. */
export function safeErrorText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const clipped = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  const label = describeSecretValue(clipped);
  return label ? `[redacted: the error text contained ${label}]` : clipped;
}

/** The tools of a new version, checked and ready to index. */
export function checkToolInputs(tools: readonly ToolInput[]): IndexedTool[] {
  if (!Array.isArray(tools)) throw invalid('tools must be an array');
  if (tools.length > MAX_TOOLS) throw invalid(`A version may index at most ${MAX_TOOLS} tools`);
  const seen = new Set<string>();
  return tools.map((tool) => {
    if (!tool || typeof tool !== 'object') {
      throw invalid('Each tool must be an object { name, title, description }');
    }
    const toolName = checkToolName(tool.name);
    if (seen.has(toolName)) throw invalid(`Tool ${toolName} is listed twice`);
    seen.add(toolName);
    const annotations = tool.annotations ?? {};
    if (typeof annotations !== 'object' || Array.isArray(annotations)) {
      throw invalid(`Tool ${toolName}: annotations must be an object`);
    }
    return {
      name: toolName,
      title: checkOptionalText(`title of ${toolName}`, tool.title, 500),
      description: checkOptionalText(`description of ${toolName}`, tool.description, 20_000),
      annotations: annotations as Record<string, unknown>,
      annotationsJson: checkJson(`annotations of ${toolName}`, annotations, 16 * 1024),
    };
  });
}
