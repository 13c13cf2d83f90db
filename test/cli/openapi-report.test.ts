/**
 * The import report through the real `mcp-factory` bin: every OpenAPI import prints a summary on stderr
 * (imported / degraded / skipped with grouped reasons, the variables the server needs), `--strict` fails with
 * OPENAPI_DEGRADED and writes nothing, `--emit-spec FILE --format json` puts the report on stdout, and
 * `--allow-private-base-url` reaches the importer.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/surfaces/cli/main.js';
import { ensureBuilt } from '../helpers/build.js';
import { type ProcessRun, runProcess } from '../helpers/run.js';

const ROOT = resolve(import.meta.dirname, '../..');

function mcpFactory(...args: string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, [join(ROOT, 'bin/mcp-factory.mjs'), ...args], { cwd: tmp });
}

const OK_RESPONSE = `      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { type: object }`;

/** Five operations: one clean, two degraded (an optional content-described query parameter), two skipped. */
const MIXED = `openapi: 3.0.3
info: { title: Report Demo, version: 1.0.0 }
servers: [{ url: 'https://api.example.com/v1' }]
components:
  securitySchemes:
    key: { type: apiKey, in: header, name: X-API-Key }
security: [{ key: [] }]
paths:
  /pets:
    get:
      operationId: listPets
${OK_RESPONSE}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - { name: petId, in: path, required: true, schema: { type: string } }
        - { name: filter, in: query, content: { application/json: { schema: { type: object } } } }
${OK_RESPONSE}
  /owners/{ownerId}:
    get:
      operationId: getOwner
      parameters:
        - { name: ownerId, in: path, required: true, schema: { type: string } }
        - { name: expand, in: query, content: { application/json: { schema: { type: object } } } }
${OK_RESPONSE}
  /search:
    get:
      operationId: search
      parameters:
        - { name: q, in: query, required: true, content: { application/json: { schema: { type: object } } } }
${OK_RESPONSE}
  /debug:
    trace:
      operationId: traceDebug
${OK_RESPONSE}
`;

const CLEAN = (server: string) => `openapi: 3.0.3
info: { title: Clean Demo, version: 1.0.0 }
servers: [{ url: '${server}' }]
components:
  securitySchemes:
    key: { type: apiKey, in: header, name: X-API-Key }
security: [{ key: [] }]
paths:
  /pets:
    get:
      operationId: listPets
${OK_RESPONSE}
`;

let tmp: string;
let mixed: string;
let clean: string;
let privateBase: string;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'mcp-factory-openapi-report-'));
  mixed = join(tmp, 'mixed.yaml');
  clean = join(tmp, 'clean.yaml');
  privateBase = join(tmp, 'private.yaml');
  writeFileSync(mixed, MIXED);
  writeFileSync(clean, CLEAN('https://api.example.com/v1'));
  writeFileSync(privateBase, CLEAN('http://10.0.0.5:8080/api'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the import summary on stderr', () => {
  it('counts imported, degraded and skipped operations, groups the reasons and names the variables', async () => {
    const spec = join(tmp, 'mixed-spec.yaml');
    const r = await mcpFactory('create', '--openapi', mixed, '--emit-spec', spec);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toBe('');
    expect(r.err).toContain('OpenAPI import: 3 operation(s) imported (2 degraded), 2 skipped');
    // Two operations lose a differently named parameter for the same reason: one line, counted twice.
    expect(r.err).toMatch(
      /degraded, by reason:\n\s+2× optional query parameter "…" dropped: parameters described by content/,
    );
    expect(r.err).toMatch(/skipped, by reason:\n(\s+1× .+\n){2}/);
    expect(r.err).toContain('the TRACE method is not supported');
    expect(r.err).toMatch(/the server will need these environment variables:\n\s+[A-Z][A-Z0-9_]*API_KEY\b/);
    expect(existsSync(spec)).toBe(true);
  });

  it('is printed by a full create too, whose JSON result carries it', async () => {
    const out = join(tmp, 'clean-mcp');
    const r = await mcpFactory(
      'create',
      '--openapi',
      clean,
      '--out',
      out,
      '--no-typecheck',
      '--no-tests',
      '--format',
      'json',
    );
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.err).toContain('OpenAPI import: 1 operation(s) imported (0 degraded), 0 skipped');
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ ok: true, import: { source: 'openapi', imported: 1, skipped: 0 } });
    expect(existsSync(join(out, 'dist/server.mjs'))).toBe(true);
  });
});

describe('--strict', () => {
  it('fails with OPENAPI_DEGRADED, lists each operation and writes nothing', async () => {
    const out = join(tmp, 'strict-out');
    const r = await mcpFactory('create', '--openapi', mixed, '--strict', '--out', out, '--no-tests');
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.err).toContain('OpenAPI import: 3 operation(s) imported (2 degraded), 2 skipped');
    expect(r.err).toContain('--strict: 2 operation(s) skipped and 2 degraded');
    expect(r.err).toContain('[OPENAPI_DEGRADED]');
    for (const op of ['GET /pets/{petId}', 'GET /owners/{ownerId}', 'GET /search', 'TRACE /debug'])
      expect(r.err).toContain(op);
    expect(existsSync(out)).toBe(false);

    const spec = join(tmp, 'strict-spec.yaml');
    const emitted = await mcpFactory('create', '--openapi', mixed, '--strict', '--emit-spec', spec);
    expect(emitted.code).toBe(EXIT.INVALID_INPUT);
    expect(existsSync(spec)).toBe(false);
  });

  it('answers scripts with one JSON error on stdout', async () => {
    const r = await mcpFactory('create', '--openapi', mixed, '--strict', '--format', 'json');
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    const error = JSON.parse(r.out);
    expect(error).toMatchObject({ ok: false, error: 'OPENAPI_DEGRADED' });
    expect(error.issues).toHaveLength(4);
    expect(error.details.counts).toMatchObject({ imported: 3, degraded: 2, skipped: 2 });
  });

  it('lets a lossless import through', async () => {
    const spec = join(tmp, 'clean-spec.yaml');
    const r = await mcpFactory('create', '--openapi', clean, '--strict', '--emit-spec', spec);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(readFileSync(spec, 'utf8')).toContain('listPets');
  });

  it('is refused for sources other than OpenAPI', async () => {
    const r = await mcpFactory('create', '--template', 'github', '--name', 'gh-mcp', '--strict');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain('--strict applies to OpenAPI imports');
  });
});

describe('--emit-spec with --format json', () => {
  it('writes the spec to the file and one JSON document with the report to stdout', async () => {
    const spec = join(tmp, 'json-spec.yaml');
    const r = await mcpFactory('create', '--openapi', mixed, '--emit-spec', spec, '--format', 'json');
    expect(r.code, r.err).toBe(EXIT.OK);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ ok: true, specFile: spec, tools: 3 });
    expect(doc.report.counts).toMatchObject({ operations: 5, imported: 3, degraded: 2, skipped: 2 });
    expect(doc.report.entries.filter((e: { severity: string }) => e.severity === 'error')).toHaveLength(2);
    expect(readFileSync(spec, 'utf8')).toContain('getPet');
    // The summary stays on stderr, never mixed into the JSON.
    expect(r.err).toContain('OpenAPI import:');
  });

  it('without a file, puts the spec itself into the JSON document', async () => {
    const r = await mcpFactory('create', '--openapi', clean, '--emit-spec', '--format', 'json');
    expect(r.code, r.err).toBe(EXIT.OK);
    const doc = JSON.parse(r.out);
    expect(doc.spec.tools.map((t: { name: string }) => t.name)).toEqual(['listPets']);
    expect(doc.report.counts.imported).toBe(1);
  });
});

describe('--allow-private-base-url', () => {
  it('is needed for a server URL on a private address, and passes it to the importer', async () => {
    const spec = join(tmp, 'private-spec.yaml');
    const refused = await mcpFactory(
      'create',
      '--openapi',
      privateBase,
      '--emit-spec',
      spec,
      '--format',
      'json',
    );
    expect(refused.code).toBe(EXIT.INVALID_INPUT);
    expect(JSON.parse(refused.out)).toMatchObject({ ok: false, error: 'OPENAPI_PRIVATE_BASE_URL' });
    expect(existsSync(spec)).toBe(false);
    const allowed = await mcpFactory(
      'create',
      '--openapi',
      privateBase,
      '--allow-private-base-url',
      '--emit-spec',
      spec,
    );
    expect(allowed.code, allowed.err).toBe(EXIT.OK);
    expect(readFileSync(spec, 'utf8')).toContain('http://10.0.0.5:8080/api');
  });
});
