/**
 * filesystem end to end: normal listing, reading, searching and writing below FS_ROOT, and confinement attacks
 * (`..`, absolute paths, symbolic links out of the root, percent-encoding, NUL bytes) refused for every tool.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio } from '../helpers/mcp.js';
import { buildTemplate, fails, ok } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'mcpf-tpl-fs-'));
const root = join(work, 'root');
const outside = join(work, 'outside');
let bundle: string;
let client: Client;

beforeAll(async () => {
  mkdirSync(join(root, 'docs', 'nested'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'docs', 'readme.md'), 'hello world\nsecond line TODO: ship it\n');
  writeFileSync(join(root, 'docs', 'nested', 'deep.txt'), 'deep todo item\n');
  writeFileSync(join(root, 'notes.md'), '# Notes\n');
  writeFileSync(join(root, 'binary.dat'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
  writeFileSync(join(root, 'big.txt'), 'x'.repeat(5000));
  writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET TODO\n');
  writeFileSync(join(work, 'sibling-secret.txt'), 'SIBLING SECRET\n');
  symlinkSync(outside, join(root, 'out-link'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
  symlinkSync('/etc/passwd', join(root, 'passwd-link'));
  symlinkSync(join(root, 'docs', 'readme.md'), join(root, 'inner-link.md'));

  bundle = (await buildTemplate('filesystem', { writable: 'true', maxFileBytes: '4096' }, work)).bundle;
  client = await connectStdio(bundle, '2026-07-28', { FS_ROOT: root });
});

afterAll(async () => {
  await client?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('normal use', () => {
  it('lists directories with types and sizes', async () => {
    const root_ = (await ok(client, 'list_directory')) as {
      path: string;
      entries: unknown[];
      truncated: boolean;
    };
    expect(root_).toEqual({
      path: '.',
      truncated: false,
      entries: [
        { name: 'big.txt', type: 'file', size: 5000 },
        { name: 'binary.dat', type: 'file', size: 5 },
        { name: 'docs', type: 'directory' },
        { name: 'inner-link.md', type: 'symlink' },
        { name: 'notes.md', type: 'file', size: 8 },
        { name: 'out-link', type: 'symlink' },
        { name: 'passwd-link', type: 'symlink' },
        { name: 'secret-link.txt', type: 'symlink' },
      ],
    });
    expect(await ok(client, 'list_directory', { path: 'docs/' })).toMatchObject({
      path: 'docs',
      entries: [
        { name: 'nested', type: 'directory' },
        { name: 'readme.md', type: 'file' },
      ],
    });
    expect(await ok(client, 'list_directory', { maxEntries: 2 })).toMatchObject({ truncated: true });
  });

  it('reads text and base64, follows links that stay inside, and enforces the size limit', async () => {
    expect(await ok(client, 'read_file', { path: 'docs/readme.md' })).toEqual({
      path: 'docs/readme.md',
      size: 38,
      encoding: 'text',
      content: 'hello world\nsecond line TODO: ship it\n',
    });
    expect(await ok(client, 'read_file', { path: './docs//nested/deep.txt' })).toMatchObject({
      path: 'docs/nested/deep.txt',
    });
    expect(await ok(client, 'read_file', { path: 'inner-link.md' })).toMatchObject({
      path: 'docs/readme.md',
    });
    expect(await ok(client, 'read_file', { path: 'binary.dat', encoding: 'base64' })).toMatchObject({
      content: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]).toString('base64'),
    });
    expect(await fails(client, 'read_file', { path: 'binary.dat' })).toContain('not UTF-8 text');
    expect(await fails(client, 'read_file', { path: 'big.txt' })).toBe(
      'file is 5000 bytes; the limit is 4096 bytes',
    );
    expect(await fails(client, 'read_file', { path: 'docs' })).toContain('not a regular file');
    expect(await fails(client, 'read_file', { path: 'nope.txt' })).toBe(
      'no such file or directory: nope.txt',
    );
  });

  it('searches by name and content without following symbolic links', async () => {
    expect(await ok(client, 'search_files', { name: '*.MD' })).toEqual({
      matches: [{ path: 'docs/readme.md' }, { path: 'notes.md' }],
      truncated: false,
    });
    expect(await ok(client, 'search_files', { contains: 'todo' })).toEqual({
      matches: [
        { path: 'docs/nested/deep.txt', line: 1, text: 'deep todo item' },
        { path: 'docs/readme.md', line: 2, text: 'second line TODO: ship it' },
      ],
      truncated: false,
    });
    expect(
      await ok(client, 'search_files', { contains: 'TODO', caseSensitive: true, name: 'read?e.md' }),
    ).toEqual({
      matches: [{ path: 'docs/readme.md', line: 2, text: 'second line TODO: ship it' }],
      truncated: false,
    });
    expect(await ok(client, 'search_files', { name: '*', maxResults: 2 })).toMatchObject({ truncated: true });
    // secret.txt is only reachable through out-link / secret-link.txt, which are not followed.
    expect(await ok(client, 'search_files', { contains: 'SECRET' })).toEqual({
      matches: [],
      truncated: false,
    });
    expect(await fails(client, 'search_files', {})).toContain('give a name pattern');
  });

  it('writes files, refusing to replace one unless asked', async () => {
    expect(
      await ok(client, 'write_file', { path: 'out/new/report.txt', content: 'v1', createDirectories: true }),
    ).toEqual({ path: 'out/new/report.txt', bytes: 2, created: true });
    expect(readFileSync(join(root, 'out', 'new', 'report.txt'), 'utf8')).toBe('v1');
    expect(await fails(client, 'write_file', { path: 'out/new/report.txt', content: 'v2' })).toContain(
      'already exists',
    );
    expect(
      await ok(client, 'write_file', { path: 'out/new/report.txt', content: 'v2', overwrite: true }),
    ).toEqual({
      path: 'out/new/report.txt',
      bytes: 2,
      created: false,
    });
    expect(readFileSync(join(root, 'out', 'new', 'report.txt'), 'utf8')).toBe('v2');
    await ok(client, 'write_file', {
      path: 'img.bin',
      content: Buffer.from([1, 2, 255]).toString('base64'),
      encoding: 'base64',
    });
    expect([...readFileSync(join(root, 'img.bin'))]).toEqual([1, 2, 255]);
    expect(await fails(client, 'write_file', { path: 'missing/dir/x.txt', content: 'x' })).toContain(
      'pass createDirectories: true',
    );
    expect(await fails(client, 'write_file', { path: 'big-write.txt', content: 'x'.repeat(5000) })).toContain(
      'the limit is 4096 bytes',
    );
  });
});

describe('confinement', () => {
  const attacks = [
    '../sibling-secret.txt',
    '../../../../../../etc/passwd',
    'docs/../../sibling-secret.txt',
    'docs/../..',
    '..',
    '/etc/passwd',
    join(root, 'notes.md'), // absolute, even though it is inside the root
    'C:\\Windows\\win.ini',
    '..\\sibling-secret.txt',
    '%2e%2e/sibling-secret.txt',
    '%2E%2E%2Fsibling-secret.txt',
    'docs/%2e%2e/%2e%2e/sibling-secret.txt',
    '..%2fsibling-secret.txt',
    'notes.md\u0000.png',
    'docs\u0000',
    'out-link/secret.txt',
    'out-link',
    'secret-link.txt',
    'passwd-link',
  ];

  it.each(attacks)('read_file and list_directory refuse %j', async (path) => {
    const read = await fails(client, 'read_file', { path });
    expect(read).not.toMatch(/SECRET|root:/);
    expect(read).toMatch(/NUL|absolute|"\.\."|percent-encoded|outside the root|leaves the root/);
    const list = await fails(client, 'list_directory', { path });
    expect(list).toMatch(/NUL|absolute|"\.\."|percent-encoded|outside the root|leaves the root/);
  });

  it('search_files refuses to start outside the root', async () => {
    for (const path of ['..', '/tmp', 'out-link', '%2e%2e'])
      expect(await fails(client, 'search_files', { path, name: '*' })).toMatch(
        /absolute|"\.\."|percent|outside the root/,
      );
  });

  it('write_file refuses escapes and never writes through symbolic links', async () => {
    for (const path of [
      '../escape.txt',
      '/tmp/escape.txt',
      'out-link/pwned.txt',
      'out-link/sub/pwned.txt',
      'secret-link.txt',
      'passwd-link',
      'docs/%2e%2e/%2e%2e/escape.txt',
      'x\u0000.txt',
    ])
      await fails(client, 'write_file', { path, content: 'pwned', overwrite: true, createDirectories: true });
    expect(existsSync(join(work, 'escape.txt'))).toBe(false);
    expect(existsSync(join(outside, 'pwned.txt'))).toBe(false);
    expect(existsSync(join(outside, 'sub'))).toBe(false);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('TOP SECRET TODO\n');
  });

  it('needs FS_ROOT (no implicit root)', async () => {
    const bare = await connectStdio(bundle, '2026-07-28', { FS_ROOT: '' });
    try {
      expect(await fails(bare, 'list_directory')).toContain('FS_ROOT is not set');
    } finally {
      await bare.close();
    }
  });
});
