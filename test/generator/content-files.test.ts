/**
 * Static content from shipped files (`file:` → assets/… in the project, read through runtime/assets.ts): the
 * generated server returns the file's bytes as an image and a text file as an embedded text resource; a file
 * that is a symlink out of the spec folder is refused when the project is created, and nothing is written.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, ERAS } from '../helpers/mcp.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let work: string;
let outside: string;
let bundle: string;

function specWith(content: unknown[]) {
  const result = validateSpec({
    name: 'content-files',
    tools: [{ name: 'logo', description: 'the logo', static: { content } }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec!;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-content-files-'));
  outside = mkdtempSync(join(tmpdir(), 'mcpf-content-outside-'));
  mkdirSync(join(work, 'img'));
  writeFileSync(join(work, 'img/logo.png'), PNG);
  writeFileSync(join(work, 'about.md'), '# About {{x}}\n');
  writeFileSync(join(outside, 'secret.png'), 'SECRET-BYTES');
  symlinkSync(join(outside, 'secret.png'), join(work, 'img/evil.png'));
  const created = await createServerProject({
    spec: specWith([
      { text: 'Our logo' },
      { image: { file: 'img/logo.png' } },
      { resource: { uri: 'docs://about', file: 'about.md' } },
    ]),
    specDir: work,
    outDir: join(work, 'server'),
    runTests: false,
  });
  bundle = created.bundle.file;
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe.each(ERAS)('%s', (era) => {
  it('returns the shipped files as an image and an embedded text resource', async () => {
    const client = await connectStdio(bundle, era);
    try {
      const r = (await client.callTool({ name: 'logo', arguments: {} })) as {
        content: unknown[];
        isError?: boolean;
      };
      expect(r.isError).toBeFalsy();
      expect(r.content).toEqual([
        { type: 'text', text: 'Our logo' },
        { type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' },
        {
          type: 'resource',
          resource: { uri: 'docs://about', mimeType: 'text/markdown', text: '# About {{x}}\n' },
        },
      ]);
    } finally {
      await client.close();
    }
  });
});

it('a symlink out of the spec folder is refused at creation, and nothing is written', async () => {
  const outDir = join(work, 'evil-server');
  await expect(
    createServerProject({
      spec: specWith([{ image: { file: 'img/evil.png' } }]),
      specDir: work,
      outDir,
      runTests: false,
    }),
  ).rejects.toThrow();
  expect(existsSync(outDir)).toBe(false);
});
