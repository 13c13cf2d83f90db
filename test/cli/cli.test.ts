/**
 * The command line: exit codes, text and JSON output, and what `create` leaves on disk when it fails.
 * Most cases run in-process through runCli(); a few spawn the real bins (which load dist/, built here if stale).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/surfaces/cli/main.js';
import { ensureBuilt } from '../helpers/build.js';
import { runProcess } from '../helpers/run.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BAD = join(ROOT, 'test/fixtures/bad');
const TEXT_TOOLS = join(ROOT, 'examples/text-tools.yaml');

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    isTTY: false,
  });
  return { code, out, err };
}

function bin(name: string, ...args: string[]): Promise<Run> {
  return runProcess(process.execPath, [join(ROOT, 'bin', name), ...args], { cwd: ROOT });
}

/** `.NAME.tmp-*` siblings that a failed or finished create must never leave behind. */
function leftovers(outDir: string): string[] {
  const dir = dirname(outDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(`.${basename(outDir)}.tmp-`));
}

const inline = (spec: Record<string, unknown>) => JSON.stringify(spec);
const STATIC_SPEC = inline({
  name: 'inline-ok',
  tools: [{ name: 'hi', description: 'Say hi', static: { text: 'hi there' } }],
});
const EVAL_SPEC = inline({
  name: 'evil',
  tools: [
    {
      name: 'run_it',
      description: 'runs code',
      parameters: { code: { type: 'string', required: true } },
      code: { source: 'const x = 1;\nreturn eval(args.code);' },
    },
  ],
});
/** Trusted local use: the spec opts into child_process; the scan still rates it high. */
const SPAWN_SPEC = inline({
  name: 'spawner',
  tools: [
    {
      name: 'uptime',
      description: 'runs uptime',
      code: {
        source:
          "const { execFileSync } = await import('node:child_process');\nreturn execFileSync('uptime', [], { encoding: 'utf8' });",
        hostAccess: { modules: ['child_process'], reason: 'reports the uptime of this machine (local use)' },
      },
    },
  ],
});
const TYPE_ERROR_SPEC = inline({
  name: 'typo',
  tools: [
    {
      name: 'broken',
      description: 'does not compile',
      parameters: { n: { type: 'integer', required: true } },
      code: { source: 'const a = 1;\nconst s: string = args.n;\nreturn s + a;' },
    },
  ],
});

let tmp: string;
let textTools: string;

beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'mcp-factory-cli-'));
  textTools = join(tmp, 'text-tools');
  const created = await cli('create', '--spec', TEXT_TOOLS, '--out', textTools, '--no-tests');
  expect(created.code, created.err).toBe(EXIT.OK);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('mcp-factory validate', () => {
  it.each(['text-tools.yaml', 'inventory.yaml', 'rest-wrapper.yaml'])(
    'examples/%s is valid: exit 0 and a summary',
    async (name) => {
      const r = await cli('validate', join(ROOT, 'examples', name));
      expect(r.code, r.err).toBe(EXIT.OK);
      expect(r.out).toMatch(
        /✔ .* is valid: [a-z0-9-]+@\d+\.\d+\.\d+, \d+ tools, \d+ resources, \d+ prompts, \d+ triggers/,
      );
      expect(r.err).toBe('');
    },
  );

  it('an invalid spec: exit 1, file:line:col, the code in brackets and a hint for every issue', async () => {
    const file = join(BAD, 'defaults-violations.yaml');
    const r = await cli('validate', file);
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.out).toBe('');
    expect(r.err).toContain('5 problem');
    for (const line of [10, 14, 18, 22, 25])
      expect(r.err).toContain(`${file}:${line}:18 at tools[0].parameters.`);
    expect(r.err.match(/\[SPEC_INVALID_SCHEMA\]/g)).toHaveLength(5);
    expect(r.err.match(/^ {2}hint: \S/gm)).toHaveLength(5);
  });

  it('a YAML syntax error points at its line and column', async () => {
    const file = join(BAD, 'syntax-tab-indent.yaml');
    const r = await cli('validate', file);
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.err).toContain(`${file}:4:1: `);
    expect(r.err).toContain('[SPEC_SYNTAX]');
    expect(r.err).toContain('hint:');
  });

  it('--format json and --json print parseable JSON with issues[]', async () => {
    const file = join(BAD, 'duplicate-tool-names.yaml');
    for (const flags of [['--format', 'json'], ['--json'], ['--format=json']]) {
      const r = await cli('validate', file, ...flags);
      expect(r.code).toBe(EXIT.INVALID_INPUT);
      const report = JSON.parse(r.out);
      expect(report).toMatchObject({ ok: false, error: 'SPEC_DUPLICATE_NAME' });
      expect(report.issues).toEqual([
        expect.objectContaining({
          code: 'SPEC_DUPLICATE_NAME',
          path: 'tools[2].name',
          file,
          line: 10,
          column: 11,
          hint: expect.any(String),
        }),
      ]);
    }
    const ok = await cli('validate', TEXT_TOOLS, '--json');
    expect(ok.code).toBe(EXIT.OK);
    expect(JSON.parse(ok.out)).toMatchObject({
      ok: true,
      name: 'text-tools-mcp',
      tools: 3,
      prompts: 1,
      issues: [],
    });
  });

  it('a file that does not exist: exit 1, SPEC_READ_FAILED', async () => {
    const r = await cli('validate', join(tmp, 'nope.yaml'));
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.err).toContain('[SPEC_READ_FAILED]');
    expect(r.err).toContain('ENOENT');
  });

  it('a 10 MB spec file: exit 1, SPEC_TOO_LARGE', async () => {
    const file = join(tmp, 'huge.yaml');
    writeFileSync(file, `name: huge\ndescription: "${'x'.repeat(10 * 1024 * 1024)}"\n`);
    const r = await cli('validate', file, '--format', 'json');
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(JSON.parse(r.out).issues).toEqual([expect.objectContaining({ code: 'SPEC_TOO_LARGE', file })]);
    rmSync(file);
  });

  it('no file argument, an unknown command or an unknown option: exit 2', async () => {
    expect((await cli('validate')).code).toBe(EXIT.USAGE);
    expect((await cli('frobnicate')).code).toBe(EXIT.USAGE);
    expect((await cli('validate', TEXT_TOOLS, '--format', 'xml')).code).toBe(EXIT.USAGE);
  });

  it('the real bin exits with the same codes', async () => {
    const bad = await bin('mcp-factory.mjs', 'validate', join(BAD, 'sql-stacked.yaml'));
    expect(bad.code).toBe(EXIT.INVALID_INPUT);
    expect(bad.err).toMatch(
      /sql-stacked\.yaml:10:18 at tools\[0\]\.sql\.statement: .* \[SPEC_INVALID_SQL\]\n {2}hint: /,
    );
    const good = await bin('mcp-factory.mjs', 'validate', TEXT_TOOLS);
    expect(good.code).toBe(EXIT.OK);
    expect(good.out).toContain('is valid');
  });
});

describe('mcp-factory create', () => {
  it('without --spec or --json, or with both: exit 2', async () => {
    const none = await cli('create', '--out', join(tmp, 'x'));
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.err).toContain('--spec');
    expect(none.err).toContain('[INVALID_ARGUMENTS]');
    const both = await cli('create', '--spec', TEXT_TOOLS, '--json', STATIC_SPEC, '--out', join(tmp, 'x'));
    expect(both.code).toBe(EXIT.USAGE);
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });

  it('--json that is not JSON: exit 2; --json with an invalid spec: exit 1 with every issue', async () => {
    const notJson = await cli('create', '--json', '{name: nope', '--out', join(tmp, 'x'));
    expect(notJson.code).toBe(EXIT.USAGE);
    expect(notJson.err).toContain('not valid JSON');
    const invalid = await cli(
      'create',
      '--json',
      inline({ name: 'Bad Name', tools: [{ name: 'a b', description: 'd', static: { text: '{{x}}' } }] }),
      '--out',
      join(tmp, 'x'),
    );
    expect(invalid.code).toBe(EXIT.INVALID_INPUT);
    expect(invalid.err).toContain('at name: ');
    expect(invalid.err).toContain('at tools[0].name: ');
    expect(invalid.err).toContain('[SPEC_INVALID_NAME]');
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });

  it('a spec file with problems: exit 1 with file:line:col', async () => {
    const file = join(BAD, 'undefined-connection.yaml');
    const r = await cli('create', '--spec', file, '--out', join(tmp, 'x'));
    expect(r.code).toBe(EXIT.INVALID_INPUT);
    expect(r.err).toContain(
      `${file}:11:19 at tools[0].sql.connection: connection "primary" is not defined [SPEC_UNDEFINED_REFERENCE]`,
    );
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });

  describe('output directory handling', () => {
    let out: string;
    beforeAll(() => {
      out = join(tmp, 'existing');
      mkdirSync(join(out, 'sub'), { recursive: true });
      writeFileSync(join(out, 'keep.txt'), 'precious');
      writeFileSync(join(out, 'sub', 'nested.txt'), 'also precious');
    });

    it('an existing --out without --force: exit 1 OUTPUT_EXISTS, the directory untouched', async () => {
      const r = await cli('create', '--json', STATIC_SPEC, '--out', out, '--no-tests');
      expect(r.code).toBe(EXIT.INVALID_INPUT);
      expect(r.err).toContain(`${out} already exists`);
      expect(readdirSync(out).sort()).toEqual(['keep.txt', 'sub']);
      expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('precious');
      expect(readFileSync(join(out, 'sub', 'nested.txt'), 'utf8')).toBe('also precious');
      expect(leftovers(out)).toEqual([]);

      const json = await cli('create', '--json', STATIC_SPEC, '--out', out, '--no-tests', '--format', 'json');
      expect(json.code).toBe(EXIT.INVALID_INPUT);
      expect(JSON.parse(json.out)).toMatchObject({ ok: false, error: 'OUTPUT_EXISTS' });
    });

    it('with --force it is replaced, leaving no temporary siblings', async () => {
      const r = await cli('create', '--json', STATIC_SPEC, '--out', out, '--no-tests', '--force');
      expect(r.code, r.err).toBe(EXIT.OK);
      expect(existsSync(join(out, 'keep.txt'))).toBe(false);
      expect(existsSync(join(out, 'sub'))).toBe(false);
      expect(existsSync(join(out, 'dist/server.mjs'))).toBe(true);
      expect(readdirSync(dirname(out)).filter((f) => f.startsWith('.existing'))).toEqual([]);
    });

    it('an --out that is a file is refused even with --force', async () => {
      const file = join(tmp, 'a-file');
      writeFileSync(file, 'not a directory');
      const r = await cli('create', '--json', STATIC_SPEC, '--out', file, '--no-tests', '--force');
      expect(r.code).toBe(EXIT.INVALID_INPUT);
      expect(r.err).toContain('not a directory');
      expect(readFileSync(file, 'utf8')).toBe('not a directory');
    });
  });

  it('a code tool calling eval(): exit 3 SPEC_UNSAFE_CODE, no output and no temporary directory', async () => {
    const out = join(tmp, 'evil');
    const r = await cli('create', '--json', EVAL_SPEC, '--out', out, '--no-tests');
    expect(r.code).toBe(EXIT.SECURITY_BLOCKED);
    expect(r.err).toContain('[SPEC_UNSAFE_CODE]');
    expect(r.err).toContain('tools[0].code.source');
    expect(r.err).toContain('critical code-eval at line 2');
    expect(r.err).toMatch(/hint: \S/);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);

    const json = await cli('create', '--json', EVAL_SPEC, '--out', out, '--no-tests', '--format', 'json');
    expect(json.code).toBe(EXIT.SECURITY_BLOCKED);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ ok: false, error: 'SPEC_UNSAFE_CODE' });
    expect(report.issues[0]).toMatchObject({ code: 'SPEC_UNSAFE_CODE', path: 'tools[0].code.source' });
    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);

    // The code check is not a scan finding: --force does not let eval through.
    const forced = await cli('create', '--json', EVAL_SPEC, '--out', out, '--no-tests', '--force');
    expect(forced.code).toBe(EXIT.SECURITY_BLOCKED);
    expect(existsSync(out)).toBe(false);
  });

  it('host access granted in the spec still needs --force past the scan for child_process', async () => {
    const out = join(tmp, 'spawner');
    const blocked = await cli('create', '--json', SPAWN_SPEC, '--out', out, '--no-tests');
    expect(blocked.code, blocked.err).toBe(EXIT.SECURITY_BLOCKED);
    expect(blocked.err).toContain('[SECURITY_BLOCKED]');
    expect(blocked.err).toContain('child-process-import');
    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });

  it('--force generates despite the security finding', async () => {
    const out = join(tmp, 'spawner-forced');
    const r = await cli('create', '--json', SPAWN_SPEC, '--out', out, '--no-tests', '--force');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.err).toContain('child-process-import');
    expect(existsSync(join(out, 'dist/server.mjs'))).toBe(true);
    expect(leftovers(out)).toEqual([]);
  });

  it('a code tool with a type error: exit 4, the tool and the line of its body named; nothing left behind', async () => {
    const out = join(tmp, 'typo');
    const r = await cli('create', '--json', TYPE_ERROR_SPEC, '--out', out, '--no-tests');
    expect(r.code).toBe(EXIT.VALIDATION_FAILED);
    expect(r.err).toContain('[TYPECHECK_FAILED]');
    expect(r.err).toMatch(
      /at tools\[0\]\.code\.source: code of tool "broken", line 2: Type 'number' is not assignable to type 'string'/,
    );
    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });

  it('--json inline spec with --format json: ok, steps, and a runnable bundle', async () => {
    const out = join(tmp, 'inline');
    const r = await cli('create', '--json', STATIC_SPEC, '--out', out, '--no-tests', '--format', 'json');
    expect(r.code, r.err).toBe(EXIT.OK);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ ok: true, name: 'inline-ok', version: '0.1.0', outDir: out, tests: null });
    expect(report.bundle).toBe(join(out, 'dist/server.mjs'));
    const steps = Object.fromEntries(
      (report.steps as Array<{ step: string; status: string }>).map((s) => [s.step, s.status]),
    );
    expect(steps).toMatchObject({
      generate: 'ok',
      write: 'ok',
      typecheck: 'ok',
      'security-scan': 'ok',
      bundle: 'ok',
    });
    expect(steps['generated-tests']).toBe('skipped');
    expect(r.err).toBe('');
    expect(leftovers(out)).toEqual([]);
    const call = await cli('test', out, 'hi');
    expect(call).toMatchObject({ code: EXIT.OK, out: 'hi there\n' });
  });

  it('with the generated tests on, the report counts them', async () => {
    const out = join(tmp, 'inline-tested');
    const r = await cli('create', '--json', STATIC_SPEC, '--out', out, '--format', 'json');
    expect(r.code, r.err).toBe(EXIT.OK);
    const report = JSON.parse(r.out);
    expect(report.tests.failed).toBe(0);
    expect(report.tests.passed).toBeGreaterThan(0);
  });
});

describe('mcp-factory test', () => {
  it('calls a tool and prints its text', async () => {
    const r = await cli('test', textTools, 'slugify', '{"title":"Hello World"}');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toBe('hello-world\n');
  });

  it('an unknown tool: exit 5, with the tools the server has', async () => {
    const r = await cli('test', textTools, 'nope', '{}');
    expect(r.code).toBe(EXIT.TOOL_FAILED);
    expect(r.err).toContain('no tool "nope"');
    expect(r.err).toContain('word_stats, slugify, greet');
  });

  it('a tool returning isError: exit 5, the error text on stdout', async () => {
    const r = await cli('test', textTools, 'slugify', '{"title":"!!!"}');
    expect(r.code).toBe(EXIT.TOOL_FAILED);
    expect(r.out).toContain('the title has no letters or digits');
    expect(r.err).toContain('slugify returned an error result');
  });

  it('arguments that are not JSON, or not a JSON object: exit 2 (usage)', async () => {
    const bad = await cli('test', textTools, 'slugify', '{title: Hello}');
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.err).toContain('not valid JSON');
    expect(bad.err).toContain('[INVALID_ARGUMENTS]');
    expect(bad.err).toContain('hint:');
    for (const notObject of ['[1,2]', '"text"', 'null', '42']) {
      const r = await cli('test', textTools, 'slugify', notObject);
      expect(r.code, notObject).toBe(EXIT.USAGE);
      expect(r.err).toContain('must be a JSON object');
    }
  });

  it('arguments that violate the input schema: exit 5', async () => {
    const r = await cli('test', textTools, 'slugify', '{"title": 42}');
    expect(r.code).toBe(EXIT.TOOL_FAILED);
  });

  it('--all runs the planned cases: exit 0 and a summary line', async () => {
    const r = await cli('test', textTools, '--all');
    expect(r.code, r.out + r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/^\d+ passed, 0 failed, 0 skipped \(protocol [\d-]+\)$/m);
    expect(Number(/^(\d+) passed/m.exec(r.out)![1])).toBeGreaterThanOrEqual(5);
    const json = JSON.parse((await cli('test', textTools, '--all', '--json')).out);
    expect(json.failed).toBe(0);
  });

  it('--list names every tool', async () => {
    const r = await cli('test', textTools, '--list');
    expect(r.code).toBe(EXIT.OK);
    expect(
      r.out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['word_stats', 'slugify', 'greet']);
    const json = JSON.parse((await cli('test', textTools, '--list', '--format', 'json')).out);
    expect(json.tools.map((t: { name: string }) => t.name)).toEqual(['word_stats', 'slugify', 'greet']);
  });

  it.each(['2026-07-28', '2025-11-25'])(
    '--protocol %s works and is the negotiated version',
    async (version) => {
      const r = await cli('test', textTools, 'greet', '{"name":"Ada"}', '--protocol', version, '--json');
      expect(r.code, r.err).toBe(EXIT.OK);
      expect(JSON.parse(r.out)).toMatchObject({
        protocolVersion: version,
        isError: false,
        text: expect.stringContaining('Hello, Ada!'),
      });
      const all = await cli('test', textTools, '--all', '--protocol', version);
      expect(all.code).toBe(EXIT.OK);
      expect(all.out).toContain(`(protocol ${version})`);
    },
  );

  it('an unsupported --protocol, or no tool and no --all/--list: exit 2', async () => {
    expect((await cli('test', textTools, 'greet', '--protocol', '1999-01-01')).code).toBe(EXIT.USAGE);
    const r = await cli('test', textTools);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain('--all or --list');
  });

  it('a directory without a built server: exit 5 SERVER_START_FAILED', async () => {
    const r = await cli('test', join(tmp, 'no-such-server'), 'greet');
    expect(r.code).toBe(EXIT.TOOL_FAILED);
    expect(r.err).toContain('dist/server.mjs does not exist');
    expect(r.err).toContain('hint:');
  });

  it('the real bin exits 5 for an unknown tool', async () => {
    const r = await bin('mcp-factory.mjs', 'test', textTools, 'nope');
    expect(r.code).toBe(EXIT.TOOL_FAILED);
    expect(r.err).toContain('no tool "nope"');
  });
});

describe('aliases', () => {
  it('bin/mcp-create.mjs is `mcp-factory create`', async () => {
    const out = join(tmp, 'via-alias');
    const r = await bin('mcp-create.mjs', '--json', STATIC_SPEC, '--out', out, '--no-tests');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.err).toContain(`Created ${out}`);
    expect(existsSync(join(out, 'dist/server.mjs'))).toBe(true);
    const missing = await bin('mcp-create.mjs', '--out', join(tmp, 'x'));
    expect(missing.code).toBe(EXIT.USAGE);
  });

  it('bin/mcp-test.mjs is `mcp-factory test`', async () => {
    const r = await bin('mcp-test.mjs', textTools, 'greet', '{"name":"Ada"}');
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toBe('Hello, Ada! Welcome to the text tools.\n');
    const failed = await bin('mcp-test.mjs', textTools, 'slugify', '{"title":"!!!"}');
    expect(failed.code).toBe(EXIT.TOOL_FAILED);
  });
});
