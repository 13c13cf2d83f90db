/**
 * runtime/content.ts and successResult: content results pass through checked (known types, base64, plain MIME
 * types, URIs, a size cap), bytes become base64, and a plain return value is serialised exactly as before.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  binaryBlock,
  checkedBlocks,
  MAX_CONTENT_CHARS,
  renderContent,
  renderContentFiles,
  toolContent,
} from '../../runtime/content.js';
import { successResult } from '../../runtime/tool.js';

const refused = (blocks: unknown[]) => () => checkedBlocks(blocks);

describe('checkedBlocks', () => {
  it('keeps valid blocks, drops unknown fields, encodes bytes', () => {
    const out = checkedBlocks([
      { type: 'text', text: 'hi', extra: 'dropped' },
      { type: 'image', data: new Uint8Array([137, 80, 78, 71]), mimeType: 'image/png' },
      { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' },
      { type: 'resource', resource: { uri: 'file:///a.txt', text: 'a' } },
      { type: 'resource', resource: { uri: 'file:///a.bin', mimeType: 'application/pdf', blob: 'JVBERg==' } },
      { type: 'resource_link', uri: 'https://x.test/a', name: 'a', title: 't', _meta: { no: 1 } },
    ]);
    expect(out).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'image', data: 'iVBORw==', mimeType: 'image/png' },
      { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' },
      { type: 'resource', resource: { uri: 'file:///a.txt', text: 'a' } },
      { type: 'resource', resource: { uri: 'file:///a.bin', mimeType: 'application/pdf', blob: 'JVBERg==' } },
      { type: 'resource_link', uri: 'https://x.test/a', name: 'a', title: 't' },
    ]);
  });

  it('refuses bad base64, injected or mismatched MIME types, bad URIs and unknown types', () => {
    const png = (data: unknown, mimeType: unknown = 'image/png') => [{ type: 'image', data, mimeType }];
    expect(refused(png('not base64!'))).toThrow(/block 0: data is not valid base64/);
    expect(refused(png('AAE'))).toThrow(/base64/);
    expect(refused(png(42))).toThrow(/base64 text or bytes/);
    expect(refused(png('AAEC', 'image/png\r\nX-Injected: y'))).toThrow(/plain image/);
    expect(refused(png('AAEC', 'image/png; q=1'))).toThrow(/plain image/);
    expect(refused(png('AAEC', 'audio/wav'))).toThrow(/plain image/);
    expect(refused([{ type: 'resource', resource: { uri: 'no scheme', text: 'x' } }])).toThrow(
      /absolute URI/,
    );
    expect(refused([{ type: 'resource', resource: { uri: 'a:b\nc', text: 'x' } }])).toThrow(/absolute URI/);
    expect(refused([{ type: 'resource', resource: { uri: 'a:b', text: 'x', blob: 'AAEC' } }])).toThrow(
      /either text or blob/,
    );
    expect(refused([{ type: 'resource_link', uri: 'a:b' }])).toThrow(/needs a name/);
    expect(refused([{ type: 'video', data: 'AAEC' }])).toThrow(/unknown type "video"/);
    expect(refused(['text'])).toThrow(/not an object/);
  });

  it('caps the whole result: many small blocks add up', () => {
    const chunk = 'A'.repeat(3 * 1024 * 1024); // 3 MiB of base64 each: the third block passes 8 MiB
    expect(refused([1, 2, 3].map(() => ({ type: 'image', data: chunk, mimeType: 'image/png' })))).toThrow(
      `content block 2: the result exceeds ${MAX_CONTENT_CHARS} characters`,
    );
    expect(refused([{ type: 'text', text: 'x'.repeat(MAX_CONTENT_CHARS + 1) }])).toThrow(/exceeds/);
    // Text counts as sent: quotes are escaped, so 5 Mi quotes are 10 MiB on the wire.
    expect(refused([{ type: 'text', text: '"'.repeat(5 * 1024 * 1024) }])).toThrow(/exceeds/);
    expect(checkedBlocks([{ type: 'text', text: 'x'.repeat(MAX_CONTENT_CHARS) }])).toHaveLength(1);
    expect(refused(Array.from({ length: 1001 }, () => ({ type: 'text', text: '' })))).toThrow(/too many/);
  });
});

describe('successResult', () => {
  it('passes a content result through, checked', () => {
    const result = successResult(
      toolContent([{ type: 'image', data: 'AAEC', mimeType: 'image/gif' }]),
      'none',
    );
    expect(result).toEqual({ content: [{ type: 'image', data: 'AAEC', mimeType: 'image/gif' }] });
    expect(() =>
      successResult(toolContent([{ type: 'image', data: '%%', mimeType: 'image/gif' }]), 'none'),
    ).toThrow(/base64/);
  });

  it('needs the structured value of a tool that declares returns, and wraps it like a plain value', () => {
    const blocks = [{ type: 'text' as const, text: 'see' }];
    expect(() => successResult(toolContent(blocks), 'object')).toThrow(/declares `returns`/);
    expect(successResult(toolContent(blocks, { n: 1 }), 'object').structuredContent).toEqual({ n: 1 });
    expect(successResult(toolContent(blocks, [1, 2]), 'wrap').structuredContent).toEqual({ result: [1, 2] });
    expect(() => successResult(toolContent(blocks, [1]), 'object')).toThrow(/must be an object/);
  });

  it('keeps plain values exactly as before', () => {
    expect(successResult({ a: 1 }, 'none')).toEqual({
      content: [{ type: 'text', text: '{\n  "a": 1\n}' }],
      structuredContent: { a: 1 },
    });
    expect(successResult('hi', 'none')).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    // An object that merely looks like content is a value, not content.
    const lookalike = { content: [{ type: 'image', data: '%%', mimeType: 'x' }] };
    expect(successResult(lookalike, 'none').structuredContent).toEqual(lookalike);
  });
});

describe('renderContent and binaryBlock', () => {
  it('fills placeholders in text fields only', () => {
    const out = renderContent(
      [
        { type: 'text', text: 'Hi {{who}}' },
        { type: 'resource', resource: { uri: 'x:{{who}}', text: 'to {{who}}' } },
      ],
      { who: 'Ann' },
    );
    expect(out.blocks).toEqual([
      { type: 'text', text: 'Hi Ann' },
      { type: 'resource', resource: { uri: 'x:{{who}}', text: 'to Ann' } },
    ]);
  });

  it('maps media types: image, audio, other binary as a blob; parameters and bad types dropped', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(binaryBlock(bytes, 'IMAGE/PNG; q=1', 'https://u/x')).toEqual({
      type: 'image',
      data: 'AQID',
      mimeType: 'image/png',
    });
    expect(binaryBlock(bytes, 'audio/mpeg', 'https://u/x').type).toBe('audio');
    expect(binaryBlock(bytes, 'image/p<ng', 'https://u/x')).toEqual({
      type: 'resource',
      resource: { uri: 'https://u/x', mimeType: 'application/octet-stream', blob: 'AQID' },
    });
    expect(binaryBlock(bytes, 'application/pdf', 'https://u/x')).toMatchObject({
      resource: { mimeType: 'application/pdf' },
    });
  });
});

describe('renderContentFiles (shipped files)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mcpf-content-files-'));
  const outside = mkdtempSync(join(tmpdir(), 'mcpf-content-outside-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'assets/logo.png'), Buffer.from([137, 80, 78, 71]));
  writeFileSync(join(root, 'assets/note.txt'), 'plain {{who}}');
  writeFileSync(join(root, 'assets/big.bin'), Buffer.alloc(10 * 1024 * 1024 + 1));
  writeFileSync(join(outside, 'secret.png'), 'SECRET');
  symlinkSync(join(outside, 'secret.png'), join(root, 'assets/evil.png'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('reads images as base64 and text resources as text (file contents are not templates)', async () => {
    const out = await renderContentFiles(
      [
        { type: 'text', text: 'hi {{who}}' },
        { type: 'image', file: 'assets/logo.png' },
        { type: 'resource', resource: { uri: 'file:///note.txt', file: 'assets/note.txt' } },
      ],
      { who: 'Ann' },
      root,
    );
    expect(successResult(out, 'none').content).toEqual([
      { type: 'text', text: 'hi Ann' },
      { type: 'image', data: 'iVBORw==', mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'file:///note.txt', mimeType: 'text/plain', text: 'plain {{who}}' },
      },
    ]);
  });

  it('refuses symlinks out of the project, traversal and oversized files', async () => {
    const read = (file: string) => renderContentFiles([{ type: 'image', file }], {}, root);
    await expect(read('assets/evil.png')).rejects.toThrow(/outside the project/);
    await expect(read(`../${outside.split('/').pop()}/secret.png`)).rejects.toThrow(/outside the project/);
    await expect(read(join(outside, 'secret.png'))).rejects.toThrow(/not a path inside the project/);
    await expect(read('assets/big.bin')).rejects.toThrow(/larger than/);
  });

  it('an image file of a non-image type is refused when the result is checked', async () => {
    const out = await renderContentFiles([{ type: 'image', file: 'assets/note.txt' }], {}, root);
    expect(() => successResult(out, 'none')).toThrow(/plain image/);
  });
});
