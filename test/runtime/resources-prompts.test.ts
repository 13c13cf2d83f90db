/**
 * A generated server, compiled and run, serves resources and prompts from data definitions: shipped files (blob
 * bytes equal the file; text types as text), inline base64, SQL template resources (no rows → resource not
 * found; a `list` query fills resources/list), completions by prefix, enum arguments checked, `when` messages, images and embedded resources — in
 * both protocol eras.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, ERAS } from '../helpers/mcp.js';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const BIN = Buffer.from([0, 1, 2, 250, 251, 252, 13, 10]);
let work: string;
let bundle: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-resprompt-'));
  mkdirSync(join(work, 'img'));
  writeFileSync(join(work, 'img', 'logo.png'), Buffer.from(PNG, 'base64'));
  writeFileSync(join(work, 'notes.md'), '# Notes\nhello');
  writeFileSync(join(work, 'data.bin'), BIN);
  const db = new Database(join(work, 'shop.db'));
  db.exec(
    "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT); INSERT INTO items VALUES ('a1','apple'),('b2','bread');",
  );
  db.close();
  const result = validateSpec({
    name: 'res-prompts',
    connections: [{ name: 'shop', type: 'sqlite', path: 'shop.db' }],
    resources: [
      { name: 'logo', uri: 'assets://logo', file: 'img/logo.png' },
      { name: 'notes', uri: 'assets://notes', file: 'notes.md' },
      { name: 'raw', uri: 'assets://raw', file: 'data.bin' },
      { name: 'inline', uri: 'assets://inline', blob: 'AAEC', mimeType: 'application/octet-stream' },
      {
        name: 'greeting',
        uri: 'greet://{who}',
        text: 'Hello {{who}}',
        complete: { who: ['alice', 'albert', 'bob'] },
      },
      {
        name: 'item',
        uri: 'shop://items/{id}',
        mimeType: 'application/json',
        sql: { connection: 'shop', statement: 'SELECT id, name FROM items WHERE id = :id' },
        list: 'SELECT id, name FROM items ORDER BY id',
        complete: { id: { sql: "SELECT DISTINCT id FROM items WHERE id LIKE :value || '%' ORDER BY id" } },
      },
    ],
    prompts: [
      {
        name: 'review',
        arguments: [
          { name: 'lang', required: true, enum: ['typescript', 'python', 'rust'] },
          { name: 'focus', complete: ['speed', 'security'] },
        ],
        messages: [
          { text: 'Review this {{lang}} code.' },
          { text: 'Focus on {{focus}}.', when: 'focus' },
          { role: 'assistant', image: { file: 'img/logo.png' } },
          { image: { data: PNG, mimeType: 'image/png' } },
          { resource: 'assets://notes' },
        ],
      },
    ],
  });
  expect(result.issues).toEqual([]);
  const created = await createServerProject({
    spec: result.spec!,
    specDir: work,
    outDir: join(work, 'server'),
    runTests: false,
  });
  expect(readFileSync(join(work, 'server', 'assets', 'img', 'logo.png'))).toEqual(Buffer.from(PNG, 'base64'));
  bundle = created.bundle.file;
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(ERAS)('resources and prompts (%s)', (era) => {
  it('serves files as blob or text, inline base64, templates and SQL rows', async () => {
    const client = await connectStdio(bundle, era);
    try {
      const logo = (await client.readResource({ uri: 'assets://logo' })).contents[0] as Record<
        string,
        string
      >;
      expect(logo.mimeType).toBe('image/png');
      expect(Buffer.from(logo.blob!, 'base64')).toEqual(Buffer.from(PNG, 'base64'));
      expect(logo.text).toBeUndefined();
      const raw = (await client.readResource({ uri: 'assets://raw' })).contents[0] as Record<string, string>;
      expect(raw.mimeType).toBe('application/octet-stream');
      expect(Buffer.from(raw.blob!, 'base64')).toEqual(BIN);
      const notes = (await client.readResource({ uri: 'assets://notes' })).contents[0] as Record<
        string,
        string
      >;
      expect(notes).toMatchObject({ mimeType: 'text/markdown', text: '# Notes\nhello' });
      const inline = (await client.readResource({ uri: 'assets://inline' })).contents[0] as Record<
        string,
        string
      >;
      expect(inline.blob).toBe('AAEC');
      const greet = (await client.readResource({ uri: 'greet://bob' })).contents[0] as Record<string, string>;
      expect(greet.text).toBe('Hello bob');
      const item = (await client.readResource({ uri: 'shop://items/a1' })).contents[0] as Record<
        string,
        string
      >;
      expect(JSON.parse(item.text!)).toEqual({ rows: [{ id: 'a1', name: 'apple' }] });
      const list = await client.listResources();
      expect(list.resources.find((r) => r.uri === 'assets://logo')?.mimeType).toBe('image/png');
      // The template's list query: one entry per row, named by its `name` column.
      expect(list.resources.filter((r) => r.uri.startsWith('shop://')).map((r) => [r.uri, r.name])).toEqual([
        ['shop://items/a1', 'apple'],
        ['shop://items/b2', 'bread'],
      ]);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('answers resource-not-found for unknown URIs and SQL templates without rows', async () => {
    const client = await connectStdio(bundle, era);
    try {
      for (const uri of ['assets://nope', 'shop://items/zz', 'shop://items/..%2F..%2Fetc%2Fpasswd']) {
        const error = (await client.readResource({ uri }).catch((e: unknown) => e)) as {
          code?: number;
          data?: unknown;
        };
        expect(error.code, uri).toBe(-32602);
        expect(error.data, uri).toEqual({ uri });
      }
    } finally {
      await client.close();
    }
  }, 30_000);

  it('completes prompt arguments and template variables by prefix', async () => {
    const client = await connectStdio(bundle, era);
    try {
      expect(client.getServerCapabilities()?.completions).toBeDefined();
      const lang = await client.complete({
        ref: { type: 'ref/prompt', name: 'review' },
        argument: { name: 'lang', value: 'py' },
      });
      expect(lang.completion.values).toEqual(['python']);
      const focus = await client.complete({
        ref: { type: 'ref/prompt', name: 'review' },
        argument: { name: 'focus', value: '' },
      });
      expect(focus.completion.values).toEqual(['speed', 'security']);
      const who = await client.complete({
        ref: { type: 'ref/resource', uri: 'greet://{who}' },
        argument: { name: 'who', value: 'al' },
      });
      expect(who.completion.values).toEqual(['alice', 'albert']);
      const ids = await client.complete({
        ref: { type: 'ref/resource', uri: 'shop://items/{id}' },
        argument: { name: 'id', value: 'b' },
      });
      expect(ids.completion.values).toEqual(['b2']);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('checks enum arguments, includes `when` messages only when given, embeds images and resources', async () => {
    const client = await connectStdio(bundle, era);
    try {
      const bad = await client
        .getPrompt({ name: 'review', arguments: { lang: 'cobol' } })
        .catch((e: { code?: number }) => e);
      expect((bad as { code?: number }).code).toBe(-32602);
      const plain = await client.getPrompt({ name: 'review', arguments: { lang: 'rust' } });
      expect(plain.messages.map((m) => m.content.type)).toEqual(['text', 'image', 'image', 'resource']);
      expect(plain.messages[0]!.content).toEqual({ type: 'text', text: 'Review this rust code.' });
      expect(plain.messages[1]).toMatchObject({
        role: 'assistant',
        content: { data: PNG, mimeType: 'image/png' },
      });
      expect(plain.messages[3]!.content).toMatchObject({
        resource: { uri: 'assets://notes', text: '# Notes\nhello' },
      });
      const focused = await client.getPrompt({ name: 'review', arguments: { lang: 'rust', focus: 'speed' } });
      expect(focused.messages[1]!.content).toEqual({ type: 'text', text: 'Focus on speed.' });
    } finally {
      await client.close();
    }
  }, 30_000);
});
