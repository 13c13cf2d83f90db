/**
 * Spec checks of static `content:` blocks and `cache` hints: bad base64, MIME types with parameters or line
 * breaks, URIs without a scheme, oversized data and `cache` on a tool that writes are refused with a path and a
 * hint; good specs pass and emit the handler and options the runtime expects.
 */
import { describe, expect, it } from 'vitest';
import { generateServerCode } from '../../src/build/generator/server-code.js';
import { validateSpec } from '../../src/core/spec/index.js';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function spec(tool: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return validateSpec({ name: 'content-spec', tools: [{ name: 't', description: 'd', ...tool }], ...extra });
}

function issues(tool: Record<string, unknown>) {
  const r = spec(tool);
  expect(r.ok).toBe(false);
  return r.issues.map((i) => ({ code: i.code, path: i.path, message: i.message, hint: i.hint }));
}

describe('static content blocks', () => {
  it('accepts every block kind and emits a renderContent handler', () => {
    const r = spec({
      parameters: { who: { type: 'string', required: true } },
      static: {
        content: [
          { text: 'Hello {{who}}' },
          { image: { data: PNG, mimeType: 'image/png' } },
          { audio: { data: 'UklGRg==', mimeType: 'audio/wav' } },
          { resource: { uri: 'file:///notes.txt', mimeType: 'text/plain', text: 'for {{who}}' } },
          { resource: { uri: 'file:///a.bin', data: 'AAEC' } },
          { link: { uri: 'https://example.com/a.pdf', name: 'a.pdf', mimeType: 'application/pdf' } },
        ],
      },
    });
    expect(r.issues).toEqual([]);
    const code = generateServerCode({ spec: r.spec!, sqlitePaths: {}, generatorVersion: 'test' }).files[
      'src/server.ts'
    ]!;
    expect(code).toMatch(/import \{ renderContent as (\w+) \} from '\.\/runtime\/content\.js';/);
    expect(code).toContain('"type":"resource_link"');
    expect(code).toContain(`"blob":"AAEC"`);
  });

  it('refuses bad base64 with the path of the data and a hint', () => {
    for (const data of ['not base64!', 'AAE', 'AA==AA==', 'AAEC\nAAEC']) {
      const found = issues({ static: { content: [{ image: { data, mimeType: 'image/png' } }] } });
      expect(found).toContainEqual(
        expect.objectContaining({
          code: 'SPEC_INVALID_VALUE',
          path: 'tools[0].static.content[0].image.data',
          hint: expect.stringContaining('base64'),
        }),
      );
    }
  });

  it('refuses MIME types with parameters, line breaks or the wrong family', () => {
    for (const [block, path] of [
      [{ image: { data: PNG, mimeType: 'image/png\r\nX-Injected: y' } }, 'image.mimeType'],
      [{ image: { data: PNG, mimeType: 'image/png; charset=x' } }, 'image.mimeType'],
      [{ image: { data: PNG, mimeType: 'audio/wav' } }, 'image.mimeType'],
      [{ audio: { data: PNG, mimeType: 'image/png' } }, 'audio.mimeType'],
      [{ resource: { uri: 'file:///x', mimeType: 'text', text: 'x' } }, 'resource.mimeType'],
    ] as const) {
      const found = issues({ static: { content: [block] } });
      expect(found.map((i) => i.path)).toContain(`tools[0].static.content[0].${path}`);
    }
  });

  it('refuses URIs without a scheme or with spaces, empty or double blocks, text and data together', () => {
    const found = issues({
      static: {
        content: [
          { resource: { uri: '../etc/passwd', text: 'x' } },
          { link: { uri: 'https://a b', name: 'n' } },
          {},
          { text: 'a', image: { data: PNG, mimeType: 'image/png' } },
          { resource: { uri: 'file:///x', text: 'a', data: 'AAEC' } },
        ],
      },
    });
    const paths = found.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'tools[0].static.content[0].resource.uri',
        'tools[0].static.content[1].link.uri',
        'tools[0].static.content[2]',
        'tools[0].static.content[3]',
        'tools[0].static.content[4].resource',
      ]),
    );
  });

  it('checks placeholders in text blocks and embedded text', () => {
    const found = issues({
      static: { content: [{ text: '{{nope}}' }, { resource: { uri: 'x:y', text: '{{gone}}' } }] },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'SPEC_INVALID_TEMPLATE', path: 'tools[0].static.content[0].text' }),
        expect.objectContaining({
          code: 'SPEC_INVALID_TEMPLATE',
          path: 'tools[0].static.content[1].resource.text',
        }),
      ]),
    );
  });

  it('refuses more data than one result may carry, text and content together, and returns with content', () => {
    const big = 'A'.repeat(3 * 1024 * 1024); // three blocks: 9 MiB of base64, over the 8 MiB cap
    const found = issues({
      returns: { type: 'string' },
      static: { content: [1, 2, 3].map(() => ({ image: { data: big, mimeType: 'image/png' } })) },
    });
    expect(found).toContainEqual(
      expect.objectContaining({
        path: 'tools[0].static.content',
        message: expect.stringContaining('at most'),
      }),
    );
    expect(found.map((i) => i.path)).toContain('tools[0].returns');
    expect(issues({ static: { text: 'a', content: [{ text: 'b' }] } })[0]?.path).toBe('tools[0].static');
    expect(issues({ static: {} })[0]?.code).toBe('SPEC_MISSING_FIELD');
  });
});

describe('static content from shipped files', () => {
  it('emits file blocks with their project path, read at call time', () => {
    const r = spec({
      static: {
        content: [
          { image: { file: 'img/logo.png' } },
          { audio: { file: './sounds/beep.mp3', mimeType: 'audio/mpeg' } },
          { resource: { uri: 'file:///report.pdf', file: 'docs/report.pdf' } },
        ],
      },
    });
    expect(r.issues).toEqual([]);
    const code = generateServerCode({ spec: r.spec!, sqlitePaths: {}, generatorVersion: 'test' }).files[
      'src/server.ts'
    ]!;
    expect(code).toMatch(/import \{ renderContentFiles as \w+ \} from '\.\/runtime\/content\.js';/);
    expect(code).toContain('"file":"assets/img/logo.png"');
    expect(code).toContain('"file":"assets/sounds/beep.mp3"');
    expect(code).toContain('runtime.projectRoot');
  });

  it('refuses paths that leave the spec folder, absolute paths, and files whose type is unknown', () => {
    for (const file of [
      '../secret.png',
      'a/../../secret.png',
      '/etc/passwd.png',
      'C:/x.png',
      'a\\b.png',
      'x\u0000.png',
    ]) {
      const found = issues({ static: { content: [{ image: { file } }] } });
      expect(found.map((i) => i.path)).toContain('tools[0].static.content[0].image.file');
    }
    expect(issues({ static: { content: [{ image: { file: 'notes.txt' } }] } })[0]).toMatchObject({
      code: 'SPEC_MISSING_FIELD',
      path: 'tools[0].static.content[0].image.mimeType',
    });
    expect(issues({ static: { content: [{ image: { data: PNG } }] } })[0]?.path).toBe(
      'tools[0].static.content[0].image.mimeType',
    );
    expect(
      issues({ static: { content: [{ image: { data: PNG, file: 'a.png', mimeType: 'image/png' } }] } })[0]
        ?.path,
    ).toBe('tools[0].static.content[0].image');
    expect(
      issues({ static: { content: [{ resource: { uri: 'x:y', file: '../../etc/passwd' } }] } })[0]?.path,
    ).toBe('tools[0].static.content[0].resource.file');
  });
});

describe('cache hints', () => {
  it('allows cache on read-only tools (declared or inferred) and emits it as a tool option', () => {
    const r = spec(
      { static: { text: 'x' }, cache: { ttlMs: 5000, scope: 'public' } },
      { production: { listCache: { ttlMs: 60000 } } },
    );
    expect(r.issues).toEqual([]);
    const code = generateServerCode({ spec: r.spec!, sqlitePaths: {}, generatorVersion: 'test' }).files[
      'src/server.ts'
    ]!;
    expect(code).toContain('"cache":{"ttlMs":5000,"cacheScope":"public"}');
    expect(code).toContain('cacheHints: {"tools/list":{"ttlMs":60000,"cacheScope":"private"}');
    expect(
      spec({ code: { source: 'return 1;' }, annotations: { readOnly: true }, cache: { ttlMs: 1 } }).issues,
    ).toEqual([]);
  });

  it('refuses cache on a tool that is not read-only, and bad values', () => {
    expect(issues({ code: { source: 'return 1;' }, cache: { ttlMs: 1000 } })).toContainEqual(
      expect.objectContaining({ code: 'SPEC_INVALID_VALUE', path: 'tools[0].cache' }),
    );
    expect(
      issues({ static: { text: 'x' }, annotations: { readOnly: false }, cache: { ttlMs: 1 } })[0]?.path,
    ).toBe('tools[0].cache');
    expect(issues({ static: { text: 'x' }, cache: { ttlMs: -1 } })[0]?.path).toBe('tools[0].cache.ttlMs');
    expect(issues({ static: { text: 'x' }, cache: { ttlMs: 1, scope: 'shared' } })[0]?.path).toBe(
      'tools[0].cache.scope',
    );
  });

  it('emits no cache hints when none are configured', () => {
    const r = spec({ static: { text: 'x' } });
    const code = generateServerCode({ spec: r.spec!, sqlitePaths: {}, generatorVersion: 'test' }).files[
      'src/server.ts'
    ]!;
    expect(code).not.toContain('cacheHints');
    expect(code).not.toContain('"cache"');
  });
});
