/**
 * Import-time DNS check: a document's server or token URL whose host NAME resolves to a loopback, link-local or
 * private address is refused like a literal one (OPENAPI_PRIVATE_BASE_URL, nothing written) unless
 * allowPrivateBaseUrl; a name that does not resolve is no error (offline imports). Answers come from an injected
 * resolver, or (through the real bin) from a preload that maps one name to 127.0.0.1: no private traffic.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../../src/core/errors/index.js';
import type { HostResolver } from '../../../src/sources/openapi/mapping/resolved-hosts.js';
import { EXIT } from '../../../src/surfaces/cli/main.js';
import { ensureBuilt } from '../../helpers/build.js';
import { runProcess } from '../../helpers/run.js';
import { expectValid, importDoc, oas } from './helpers.js';

const op = { responses: { '200': { description: 'ok' } } };
const NAME = 'api.internal.test';

/** Answers from a table (ENOTFOUND otherwise), recording the names asked. */
function resolverOf(table: Record<string, string[]>, asked: string[] = []): HostResolver {
  return async (host) => {
    asked.push(host);
    const list = table[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

async function importError(doc: unknown, options = {}): Promise<FactoryError> {
  const error = await importDoc(doc, { dynamic: false, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  return error as FactoryError;
}

const served = (url: string) => oas({ '/a': { get: op } }, { servers: [{ url }] });

describe('host names resolving to non-public addresses', () => {
  it('refuse a server URL when ANY address is private, naming host and address', async () => {
    for (const addresses of [
      ['127.0.0.1'],
      ['10.0.0.5'],
      ['169.254.169.254'],
      ['::1'],
      ['::ffff:127.0.0.1'],
      ['93.184.216.34', '10.0.0.5'],
    ]) {
      const error = await importError(served(`https://${NAME}/v1`), {
        resolveHost: resolverOf({ [NAME]: addresses }),
      });
      expect(error.code, addresses.join()).toBe('OPENAPI_PRIVATE_BASE_URL');
      expect(error.message).toContain(NAME);
      expect(error.message).toContain(addresses.at(-1));
      expect(error.message).toContain('allowPrivateBaseUrl');
    }
  });

  it('refuse an OAuth2 token URL whose name resolves privately', async () => {
    const doc = oas(
      { '/a': { get: op } },
      {
        components: {
          securitySchemes: {
            cc: {
              type: 'oauth2',
              flows: { clientCredentials: { tokenUrl: `https://${NAME}/token`, scopes: {} } },
            },
          },
        },
        security: [{ cc: [] }],
      },
    );
    const resolveHost = resolverOf({ 'api.example.com': ['93.184.216.34'], [NAME]: ['192.168.1.20'] });
    const error = await importError(doc, { resolveHost });
    expect(error.code).toBe('OPENAPI_PRIVATE_BASE_URL');
    expect(error.message).toContain('token URL');
    const allowed = await importDoc(doc, { dynamic: false, resolveHost, allowPrivateBaseUrl: true });
    expectValid(allowed.spec);
  });

  it('are accepted with allowPrivateBaseUrl, which the generated connection carries (the server re-checks)', async () => {
    const asked: string[] = [];
    const result = await importDoc(served(`https://${NAME}/v1`), {
      dynamic: false,
      allowPrivateBaseUrl: true,
      resolveHost: resolverOf({ [NAME]: ['127.0.0.1'] }, asked),
    });
    expect(result.spec.connections![0]).toMatchObject({
      baseUrl: `https://${NAME}/v1`,
      allowPrivateAddresses: true,
    });
    expect(asked).toEqual([]);
    expectValid(result.spec);
  });

  it('accept public answers, and names that do not resolve or answer too late (offline), reported as info', async () => {
    const asked: string[] = [];
    const pub = await importDoc(served(`https://${NAME}/v1`), {
      dynamic: false,
      resolveHost: resolverOf({ [NAME]: ['93.184.216.34', '2606:2800:220:1::1'] }, asked),
    });
    expect(pub.spec.connections![0]).not.toHaveProperty('allowPrivateAddresses');
    expect(asked).toEqual([NAME]);
    const offline = await importDoc(served(`https://${NAME}/v1`), {
      dynamic: false,
      resolveHost: resolverOf({}),
    });
    expect(offline.report.entries).toContainEqual(
      expect.objectContaining({
        severity: 'info',
        reason: expect.stringContaining(`could not resolve ${NAME}`),
      }),
    );
    const started = Date.now();
    const slow = await importDoc(served(`https://${NAME}/v1`), {
      dynamic: false,
      resolveHost: () => new Promise(() => {}),
      resolveTimeoutMs: 100,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(slow.report.entries).toContainEqual(
      expect.objectContaining({
        severity: 'info',
        reason: expect.stringContaining('no answer within 100 ms'),
      }),
    );
    // IP literals are judged without DNS.
    asked.length = 0;
    await importDoc(served('https://93.184.216.34/v1'), {
      dynamic: false,
      resolveHost: resolverOf({}, asked),
    });
    expect(asked).toEqual([]);
  });

  it('are the user’s choice from the baseUrl option or the document’s own host: kept, and allowed at run time', async () => {
    const resolveHost = resolverOf({ [NAME]: ['10.0.0.5'] });
    const option = await importDoc(oas({ '/a': { get: op } }), {
      dynamic: false,
      baseUrl: `http://${NAME}:8080`,
      resolveHost,
    });
    expect(option.spec.connections![0]).toMatchObject({ allowPrivateAddresses: true });
    expect(option.report.entries).toContainEqual(
      expect.objectContaining({ severity: 'info', reason: expect.stringContaining('10.0.0.5') }),
    );
    const same = await importDoc(served(`http://${NAME}:8080/api`), {
      dynamic: false,
      documentUrl: `http://${NAME}:8080/openapi.json`,
      resolveHost,
    });
    expect(same.spec.connections![0]).toMatchObject({ allowPrivateAddresses: true });
  });
});

describe('through the bin: nothing is written', () => {
  const ROOT = resolve(import.meta.dirname, '../../..');
  const tmp = mkdtempSync(join(tmpdir(), 'mcpf-private-dns-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses a server name resolving to loopback unless --allow-private-base-url', async () => {
    ensureBuilt();
    const preload = join(tmp, 'resolve-name.mjs');
    writeFileSync(
      preload,
      `import dns from 'node:dns';
const original = dns.promises.lookup;
dns.promises.lookup = (host, options) =>
  host === ${JSON.stringify(NAME)} ? Promise.resolve([{ address: '127.0.0.1', family: 4 }]) : original(host, options);
`,
    );
    const doc = join(tmp, 'openapi.json');
    writeFileSync(doc, JSON.stringify(served(`https://${NAME}/v1`)));
    const spec = join(tmp, 'spec.yaml');
    const env = { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` };
    const run = (...extra: string[]) =>
      runProcess(
        process.execPath,
        [join(ROOT, 'bin/mcp-factory.mjs'), 'create', '--openapi', doc, '--emit-spec', spec, ...extra],
        { cwd: tmp, env },
      );
    const refused = await run('--format', 'json');
    expect(refused.code, refused.err).toBe(EXIT.INVALID_INPUT);
    expect(JSON.parse(refused.out)).toMatchObject({ ok: false, error: 'OPENAPI_PRIVATE_BASE_URL' });
    expect(refused.out).toContain('127.0.0.1');
    expect(existsSync(spec)).toBe(false);
    const allowed = await run('--allow-private-base-url');
    expect(allowed.code, allowed.err).toBe(EXIT.OK);
    expect(readFileSync(spec, 'utf8')).toContain('allowPrivateAddresses: true');
  });
});
