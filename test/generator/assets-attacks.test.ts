/**
 * `file:` and `blob:` as attack surface, checked by effect: textual escapes are refused by checkSpec; the copy
 * refuses symlinks out of the spec folder, FIFOs, directories, oversized (sparse) files and too much in total,
 * writing nothing; runtime readAsset refuses the same inside a project. Completions are advertised only when
 * something completes.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAsset } from '../../runtime/assets.js';
import { copyFileAsset, MAX_FILE_ASSET_BYTES } from '../../src/build/assets.js';
import { assetPath } from '../../src/build/generator/assets.js';
import { generateServerCode } from '../../src/build/generator/server-code.js';
import { validateSpec } from '../../src/core/spec/index.js';

let work: string;
let specDir: string;
let out: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-assets-'));
  specDir = join(work, 'spec');
  out = join(work, 'out');
  mkdirSync(specDir);
  mkdirSync(out);
  writeFileSync(join(work, 'secret.txt'), 'top secret');
  writeFileSync(join(specDir, 'ok.txt'), 'fine');
  symlinkSync(join(work, 'secret.txt'), join(specDir, 'link.txt'));
  symlinkSync('/etc/passwd', join(specDir, 'passwd'));
  execFileSync('mkfifo', [join(specDir, 'pipe')]);
  mkdirSync(join(specDir, 'dir'));
  const fd = openSync(join(specDir, 'huge.bin'), 'w');
  ftruncateSync(fd, 2 * 1024 * 1024 * 1024); // 2 GB, sparse
  closeSync(fd);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const issuesOf = (resource: Record<string, unknown>) => {
  const r = validateSpec({ name: 'a', resources: [{ name: 'r', uri: 'x://r', ...resource }] });
  return r.issues.map((i) => ({ code: i.code, path: i.path }));
};

describe('spec checks', () => {
  it('refuses traversal, absolute paths, backslashes and bad base64', () => {
    for (const file of ['../../etc/passwd', '/etc/passwd', 'a/../../b', 'C:/x', 'a\\..\\b', '.', 'a\0b'])
      expect(issuesOf({ file }), file).toContainEqual({
        code: 'SPEC_PATH_OUTSIDE',
        path: 'resources[0].file',
      });
    for (const blob of ['not base64!', 'AAE', 'AA==AA==', 'AAEC\nAAEC'])
      expect(issuesOf({ blob }), blob).toContainEqual({
        code: 'SPEC_INVALID_VALUE',
        path: 'resources[0].blob',
      });
    expect(issuesOf({ file: 'ok.txt', mimeType: 'text/plain\r\nX: y' })).toContainEqual({
      code: 'SPEC_INVALID_VALUE',
      path: 'resources[0].mimeType',
    });
    expect(issuesOf({ file: 'ok.txt', text: 'two sources' })[0]?.code).toBe('SPEC_MISSING_FIELD');
    expect(issuesOf({ file: 'sub/ok.txt' })).toEqual([]);
  });

  it('checks list, completions and templates with fixed bytes', () => {
    const r = validateSpec({
      name: 'a',
      resources: [
        { name: 'a', uri: 'x://a/{id}', text: 'x', list: 'SELECT 1', complete: { nope: ['v'] } },
        { name: 'b', uri: 'x://b/{id}', file: 'b.png' },
        { name: 'c', uri: 'x://c/{id}', text: '{{id}}', complete: { id: { sql: 'SELECT 1' } } },
      ],
    });
    expect(r.issues.map((i) => `${i.code} ${i.path}`)).toEqual(
      expect.arrayContaining([
        'SPEC_INVALID_VALUE resources[0].list',
        'SPEC_UNDEFINED_REFERENCE resources[0].complete.nope',
        'SPEC_INVALID_VALUE resources[1].uri',
        'SPEC_INVALID_VALUE resources[2].complete.id.sql',
      ]),
    );
  });

  it('checks prompt messages: when, images and embedded resources', () => {
    const r = validateSpec({
      name: 'a',
      prompts: [
        {
          name: 'p',
          arguments: [{ name: 'x', required: true }],
          messages: [
            { text: 'a', when: 'x' },
            { text: 'b', when: 'nope' },
            { image: { data: 'AAEC', mimeType: 'text/plain' } },
            { resource: 'x://undeclared' },
            { text: 'c', image: { file: 'a.png' } },
          ],
        },
      ],
    });
    expect(r.issues.map((i) => `${i.code} ${i.path}`)).toEqual(
      expect.arrayContaining([
        'SPEC_INVALID_VALUE prompts[0].messages[0].when',
        'SPEC_UNDEFINED_REFERENCE prompts[0].messages[1].when',
        'SPEC_INVALID_VALUE prompts[0].messages[2].image.mimeType',
        'SPEC_UNDEFINED_REFERENCE prompts[0].messages[3].resource',
        'SPEC_MISSING_FIELD prompts[0].messages[4]',
      ]),
    );
  });

  it('maps files to stable, safe project paths', () => {
    expect(assetPath('img/logo.png')).toBe('assets/img/logo.png');
    expect(assetPath('./img/logo.png')).toBe('assets/img/logo.png');
    const odd = assetPath('my file$(x).png');
    expect(odd).toMatch(/^assets\/my_file_x_\.?-?[0-9a-f]{10}\.png$|^assets\/[A-Za-z0-9._-]+\.png$/);
    expect(assetPath('a b.png')).not.toBe(assetPath('a_b.png'));
  });

  it('advertises completions only when something completes', () => {
    const caps = (prompt: Record<string, unknown>) => {
      const r = validateSpec({ name: 'a', prompts: [{ name: 'p', messages: [{ text: 'x' }], ...prompt }] });
      return generateServerCode({ spec: r.spec!, sqlitePaths: {}, generatorVersion: 't' }).files[
        'src/server.ts'
      ]!;
    };
    expect(caps({})).not.toContain('completions');
    expect(caps({ arguments: [{ name: 'a', enum: ['x'] }] })).toContain('"completions":{}');
  });
});

describe('copyFileAsset', () => {
  const copy = (given: string, budget = { bytes: 0 }) =>
    copyFileAsset(given, join(out, given.replace(/\W/g, '_')), { specDir }, budget).then(
      () => 'copied',
      (e: { code?: string }) => e.code,
    );

  it('copies a plain file', async () => {
    expect(await copy('ok.txt')).toBe('copied');
  });

  it('refuses symlinks out, FIFOs, directories, a 2 GB sparse file, and writes nothing', async () => {
    const started = Date.now();
    expect(await copy('link.txt')).toBe('SPEC_PATH_OUTSIDE');
    expect(await copy('passwd')).toBe('SPEC_PATH_OUTSIDE');
    expect(await copy('../secret.txt')).toBe('SPEC_PATH_OUTSIDE');
    expect(await copy('/etc/passwd')).toBe('SPEC_PATH_OUTSIDE');
    expect(await copy('pipe')).toBe('SPEC_ASSET_INVALID');
    expect(await copy('dir')).toBe('SPEC_ASSET_INVALID');
    expect(await copy('huge.bin')).toBe('SPEC_ASSET_TOO_LARGE');
    expect(await copy('missing.txt')).toBe('SPEC_UNDEFINED_REFERENCE');
    expect(Date.now() - started).toBeLessThan(5000);
    for (const f of ['link_txt', 'passwd', 'pipe', 'dir', 'huge_bin'])
      expect(existsSync(join(out, f))).toBe(false);
  });

  it('caps the total', async () => {
    expect(await copy('ok.txt', { bytes: 50 * 1024 * 1024 - 1 })).toBe('SPEC_ASSET_TOO_LARGE');
  });
});

describe('readAsset', () => {
  it('reads inside the project and guesses the type', async () => {
    const a = await readAsset(specDir, 'ok.txt');
    expect(a.data.toString()).toBe('fine');
    expect(a.mimeType).toBe('text/plain');
  });

  it('refuses traversal, absolute paths, symlinks out, FIFOs and oversized files', async () => {
    const why = (p: string) =>
      readAsset(specDir, p).then(
        () => 'read',
        (e: Error) => e.message,
      );
    expect(await why('../secret.txt')).toMatch(/outside the project/);
    expect(await why('/etc/passwd')).toMatch(/not a path inside/);
    expect(await why('link.txt')).toMatch(/outside the project/);
    expect(await why('pipe')).toMatch(/not a regular file/);
    expect(await why('huge.bin')).toMatch(new RegExp(`larger than ${MAX_FILE_ASSET_BYTES}`));
  });
});
