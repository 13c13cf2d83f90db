/**
 * Base URLs of imported APIs: server and token URLs on loopback, link-local or private addresses are refused
 * (credentials would go there) unless allowed; further connections' variables are named after their hosts.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FactoryError } from '../../../src/core/errors/index.js';
import { privateAddressReason, privateUrlReason } from '../../../src/core/net/index.js';
import { baseUrlEnvFor } from '../../../src/sources/openapi/mapping/connections.js';
import { expectValid, importDoc, oas } from './helpers.js';

const op = { responses: { '200': { description: 'ok' } } };

async function importError(doc: unknown, options = {}): Promise<FactoryError> {
  const error = await importDoc(doc, { dynamic: false, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  return error as FactoryError;
}

describe('non-public addresses', () => {
  it('recognises loopback, link-local and private hosts in every notation the URL parser accepts', () => {
    const private_ = [
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:22',
      'http://127.1.2.3/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://0.0.0.0/',
      'http://100.64.0.1/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fc00::1]/',
      'http://[fd12:3456::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://localhost:8080/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://0177.0.0.1/',
      'http://0x7f000001/',
      'http://169.254.43518/',
    ];
    for (const url of private_) expect(privateUrlReason(url), url).toBeDefined();
    const public_ = [
      'https://api.example.com/',
      'http://8.8.8.8/',
      'http://172.32.0.1/',
      'http://192.169.0.1/',
      'http://[2001:db8::1]/',
      'http://[2606:4700::1111]/',
      'https://localhost.example.com/',
      'https://10.example.com/',
    ];
    for (const url of public_) expect(privateUrlReason(url), url).toBeUndefined();
    // Bare host names (not parsed by a URL) in other notations too.
    expect(privateAddressReason('2130706433')).toMatch(/loopback/);
    expect(privateAddressReason('::1')).toMatch(/loopback/);
    expect(privateAddressReason('169.254.169.254')).toMatch(/link-local/);
  });

  it('refuses a document server URL on such an address with OPENAPI_PRIVATE_BASE_URL, naming the option', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://127.0.0.1:22',
      'http://2130706433/',
      'http://[fe80::1]/',
    ]) {
      const error = await importError(oas({ '/a': { get: op } }, { servers: [{ url }] }));
      expect(error.code, url).toBe('OPENAPI_PRIVATE_BASE_URL');
      expect(error.message).toContain('allowPrivateBaseUrl');
      expect(ERROR_CODES[error.code].hint).toContain('--allow-private-base-url');
    }
    // An operation-level server counts as much as the document's.
    const opLevel = await importError(
      oas({ '/a': { get: op }, '/b': { servers: [{ url: 'http://10.0.0.5/x' }], get: op } }),
    );
    expect(opLevel.code).toBe('OPENAPI_PRIVATE_BASE_URL');
    expect(opLevel.message).toContain('GET /b');
  });

  it('refuses an OAuth2 token URL on such an address: the client secret would go there', async () => {
    const doc = oas(
      { '/a': { get: op } },
      {
        components: {
          securitySchemes: {
            cc: {
              type: 'oauth2',
              flows: { clientCredentials: { tokenUrl: 'http://192.168.0.10/token', scopes: {} } },
            },
          },
        },
        security: [{ cc: [] }],
      },
    );
    const error = await importError(doc);
    expect(error.code).toBe('OPENAPI_PRIVATE_BASE_URL');
    expect(error.message).toContain('token URL');
    const allowed = await importDoc(doc, { dynamic: false, allowPrivateBaseUrl: true });
    expectValid(allowed.spec);
  });

  it('accepts them with allowPrivateBaseUrl, from the baseUrl option, and on the host the document came from', async () => {
    const doc = oas({ '/a': { get: op } }, { servers: [{ url: 'http://127.0.0.1:8080/api' }] });
    const allowed = await importDoc(doc, { dynamic: false, allowPrivateBaseUrl: true });
    expect(allowed.spec.connections![0]).toMatchObject({ baseUrl: 'http://127.0.0.1:8080/api' });
    // The operator's own choice of base URL is not the document's.
    const option = await importDoc(oas({ '/a': { get: op } }), {
      dynamic: false,
      baseUrl: 'http://127.0.0.1:9/x',
    });
    expect(option.spec.connections![0]).toMatchObject({ baseUrl: 'http://127.0.0.1:9/x' });
    // A document served by a local API naming itself.
    const same = await importDoc(doc, { dynamic: false, documentUrl: 'http://127.0.0.1:8080/openapi.json' });
    expect(same.spec.connections![0]).toMatchObject({ baseUrl: 'http://127.0.0.1:8080/api' });
    // …but not another local service.
    const other = await importError(doc, { documentUrl: 'http://127.0.0.1:9999/openapi.json' });
    expect(other.code).toBe('OPENAPI_PRIVATE_BASE_URL');
  });
});

describe('base-URL variables of further connections', () => {
  it('are named after the host, stable and unique', () => {
    const taken = new Set(['TWILIO_BASE_URL']);
    expect(baseUrlEnvFor('https://api.twilio.com/2010-04-01', taken)).toBe('TWILIO_API_BASE_URL');
    expect(baseUrlEnvFor('https://uploads.github.com', taken)).toBe('GITHUB_UPLOADS_BASE_URL');
    expect(baseUrlEnvFor('https://www.example.co.uk/api', taken)).toBe('EXAMPLE_BASE_URL');
    expect(baseUrlEnvFor('https://twilio.com', taken)).toBe('TWILIO_2_BASE_URL');
    expect(baseUrlEnvFor('http://10.0.0.1:8080', taken)).toBe('HOST_10_0_0_1_BASE_URL');
    expect(baseUrlEnvFor('https://3d.example.com', taken)).toBe('EXAMPLE_3D_BASE_URL');
    // Collisions: the port, then the first path segment, then a number.
    const used = new Set(['EXAMPLE_API_BASE_URL']);
    expect(baseUrlEnvFor('https://api.example.com:8443/v2', used)).toBe('EXAMPLE_API_8443_BASE_URL');
    expect(baseUrlEnvFor('https://api.example.com/v2', used)).toBe('EXAMPLE_API_V2_BASE_URL');
    used.add('EXAMPLE_API_V2_BASE_URL');
    expect(baseUrlEnvFor('https://api.example.com/v2', used)).toBe('EXAMPLE_API_2_BASE_URL');
  });

  it('replace the numbered names in imported specs; every name is a valid variable', async () => {
    const doc = oas({
      '/a': { get: op },
      '/b': { get: op },
      '/m': { servers: [{ url: 'https://media.example.com' }], get: op },
      '/v2': { servers: [{ url: 'https://api.example.com/v2' }], get: op },
      '/v3': { servers: [{ url: 'https://api.example.com/v3' }], get: op },
    });
    const { spec } = await importDoc(doc, { dynamic: false });
    expectValid(spec);
    const envs = spec.connections!.map((c) => (c.type === 'http' ? c.baseUrlEnv : undefined));
    expect(envs).toEqual([
      'TEST_BASE_URL',
      'EXAMPLE_MEDIA_BASE_URL',
      'EXAMPLE_API_BASE_URL',
      'EXAMPLE_API_V3_BASE_URL',
    ]);
    for (const env of envs) expect(env).toMatch(/^[A-Z_][A-Z0-9_]{0,127}$/);
    // Stable: the same document gives the same names.
    const again = await importDoc(doc, { dynamic: false });
    expect(again.spec.connections).toEqual(spec.connections);
  });
});
