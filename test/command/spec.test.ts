/**
 * The command kind in the spec: what its checks refuse (with code and path), what a valid tool becomes (the
 * definition the runtime runs, its annotations and output schema), and that the command runtime is copied
 * into a project only when the spec has command tools.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateProject } from '../../src/build/generator/index.js';
import { type CommandImpl, commandDefinition } from '../../src/core/kinds/command.js';
import { annotationHints, outputPlan } from '../../src/core/kinds/tool.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { specPermissions } from '../../src/identity/policy.js';
import { runtimeFiles } from '../../src/platform/factory-files.js';

function spec(command: Record<string, unknown>, parameters: Record<string, unknown> = {}) {
  return {
    name: 'cmd-spec',
    tools: [{ name: 'run_it', description: 'Runs a program.', parameters, command }],
  };
}

function issues(command: Record<string, unknown>, parameters: Record<string, unknown> = {}) {
  const r = validateSpec(spec(command, parameters));
  return r.ok ? [] : r.issues.map((i) => ({ code: i.code, path: i.path, message: i.message }));
}

describe('command spec checks', () => {
  it('accepts a plain tool and fills in the safe defaults', () => {
    const r = validateSpec(
      spec({ program: 'ls', args: ['-l', '--', '{{dir}}'] }, { dir: { type: 'string' } }),
    );
    expect(r.ok, JSON.stringify(r.issues)).toBe(true);
    const tool = r.spec!.tools[0]!;
    const impl = (tool as unknown as { command: CommandImpl }).command;
    expect(impl.policy.backend).toBe('bwrap');
    expect(impl.policy.network).toBe(false);
    expect(impl.policy.limits).toEqual({
      cpuSeconds: 10,
      memoryBytes: 512 * 1024 * 1024,
      processes: 32,
      fileBytes: 16 * 1024 * 1024,
    });
    const def = commandDefinition(impl, tool) as { args: unknown[]; policy: { allowedPrograms: string[] } };
    expect(def.args).toEqual([['-l'], ['--'], [{ param: 'dir' }]]);
    expect(def.policy.allowedPrograms).toEqual(['ls']);
    expect(annotationHints(tool)).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      openWorldHint: false,
    });
    expect(outputPlan(tool).schema).toMatchObject({
      required: expect.arrayContaining(['exitCode', 'stdout', 'stderr', 'truncated']),
    });
  });

  it('marks tools with a writable root destructive unless the policy says otherwise', () => {
    const r = validateSpec(
      spec(
        {
          program: 'touch',
          args: ['--', '{{f}}'],
          paths: { f: 'out' },
          policy: { roots: { out: { path: '/srv/out', writable: true } } },
        },
        { f: { type: 'string' } },
      ),
    );
    expect(r.ok, JSON.stringify(r.issues)).toBe(true);
    expect(annotationHints(r.spec!.tools[0]!)).toMatchObject({ destructiveHint: true });
  });

  it.each([
    [
      'a shell as the program',
      { program: 'sh', args: ['-c', 'ls'] },
      'SPEC_UNSAFE_COMMAND',
      'tools[0].command.program',
    ],
    ['a shell by absolute path', { program: '/bin/bash' }, 'SPEC_UNSAFE_COMMAND', 'tools[0].command.program'],
    [
      'a launcher (env) as the program',
      { program: 'env', args: ['ls'] },
      'SPEC_UNSAFE_COMMAND',
      'tools[0].command.program',
    ],
    [
      'a shell on the allow-list',
      { program: '{{p}}', policy: { allowedPrograms: ['ls', 'dash'] } },
      'SPEC_UNSAFE_COMMAND',
      'tools[0].command.policy.allowedPrograms[1]',
    ],
    [
      'a program parameter without allow-list',
      { program: '{{p}}' },
      'SPEC_UNSAFE_COMMAND',
      'tools[0].command.policy.allowedPrograms',
    ],
    ['a relative program path', { program: 'bin/tool' }, 'SPEC_INVALID_VALUE', 'tools[0].command.program'],
    [
      'a program not on its own allow-list',
      { program: 'cat', policy: { allowedPrograms: ['ls'] } },
      'SPEC_UNSAFE_COMMAND',
      'tools[0].command.program',
    ],
    [
      'an unknown parameter in args',
      { program: 'ls', args: ['{{nope}}'] },
      'SPEC_INVALID_TEMPLATE',
      'tools[0].command.args[0]',
    ],
    [
      'an array parameter in args',
      { program: 'ls', args: ['{{list}}'] },
      'SPEC_INVALID_VALUE',
      'tools[0].command.args[0]',
    ],
    [
      'a bad denied pattern',
      { program: 'ls', policy: { deniedArgs: ['(['] } },
      'SPEC_INVALID_VALUE',
      'tools[0].command.policy.deniedArgs[0]',
    ],
    [
      'a path parameter without root',
      { program: 'cat', args: ['{{p}}'], paths: { p: 'data' } },
      'SPEC_UNDEFINED_REFERENCE',
      'tools[0].command.paths.p',
    ],
    [
      'a root with neither path nor env',
      { program: 'ls', policy: { roots: { data: {} } } },
      'SPEC_INVALID_VALUE',
      'tools[0].command.policy.roots.data',
    ],
    [
      'docker without an image',
      { program: 'ls', policy: { backend: 'docker' } },
      'SPEC_MISSING_FIELD',
      'tools[0].command.policy.docker',
    ],
    [
      'a sandbox cwd outside the roots',
      { program: 'ls', cwd: '/etc' },
      'SPEC_INVALID_VALUE',
      'tools[0].command.cwd',
    ],
    ['a relative cwd', { program: 'ls', cwd: 'data' }, undefined, 'tools[0].command.cwd'],
    [
      'a root with ..',
      { program: 'ls', policy: { roots: { d: { path: '/srv/../etc' } } } },
      undefined,
      'tools[0].command.policy.roots.d.path',
    ],
    [
      'run as root',
      { program: 'ls', policy: { runAs: { uid: 0, gid: 0 } } },
      undefined,
      'tools[0].command.policy.runAs.uid',
    ],
    [
      'an undeclared option parameter',
      { program: 'ls', optionParameters: ['x'] },
      'SPEC_UNDEFINED_REFERENCE',
      'tools[0].command.optionParameters[0]',
    ],
    [
      'LD_PRELOAD in the environment',
      { program: 'ls', env: { set: { LD_PRELOAD: '/tmp/x.so' } } },
      undefined,
      'tools[0].command.env.set.LD_PRELOAD',
    ],
    [
      'PATH passed through',
      { program: 'ls', env: { pass: ['PATH'] } },
      undefined,
      'tools[0].command.env.pass[0]',
    ],
    [
      'an option as docker image',
      { program: 'ls', policy: { backend: 'docker', docker: { image: '--privileged' } } },
      undefined,
      'tools[0].command.policy.docker.image',
    ],
    [
      'the agent backend without policy.agent',
      { program: 'ls', policy: { backend: 'agent' } },
      'SPEC_MISSING_FIELD',
      'tools[0].command.policy.agent',
    ],
    [
      'an agent key written into the spec instead of a variable name',
      { program: 'ls', policy: { backend: 'agent', agent: { urlEnv: 'U', keyIdEnv: 'I', key: 'secret' } } },
      'SPEC_UNKNOWN_FIELD',
      'tools[0].command.policy.agent.key',
    ],
    [
      'local roots on the agent backend',
      {
        program: 'cat',
        args: ['{{p}}'],
        paths: { p: 'data' },
        policy: {
          backend: 'agent',
          agent: { urlEnv: 'U', keyIdEnv: 'I', keyEnv: 'K' },
          roots: { data: { path: '/srv' } },
        },
      },
      'SPEC_INVALID_VALUE',
      'tools[0].command.policy.roots',
    ],
    [
      'policy.agent on another backend',
      { program: 'ls', policy: { backend: 'native', agent: { urlEnv: 'U', keyIdEnv: 'I', keyEnv: 'K' } } },
      'SPEC_INVALID_VALUE',
      'tools[0].command.policy.agent',
    ],
    [
      'a shell string as args',
      { program: 'ls', args: 'ls -l; rm -rf /' },
      undefined,
      'tools[0].command.args',
    ],
  ])('refuses %s', (_name, command, code, path) => {
    const found = issues(command, {
      p: { type: 'string' },
      list: { type: 'array', items: { type: 'string' } },
    });
    expect(found.length, JSON.stringify(found)).toBeGreaterThan(0);
    const hit = found.find((i) => i.path === path);
    expect(hit, JSON.stringify(found)).toBeDefined();
    if (code) expect(hit!.code).toBe(code);
  });
});

describe('command runtime files', () => {
  const project = (tools: unknown[]) => {
    const r = validateSpec({ name: 'cmd-files', tools });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return generateProject(r.spec!, {
      runtimeFiles: runtimeFiles(),
      dependencyVersions: { '@modelcontextprotocol/server': '^2.4.0' },
      generatorVersion: '0.0.0-test',
    });
  };

  it('copies runtime/command*.ts and imports runCommand only for specs with command tools', () => {
    const withCommand = project([
      { name: 'a', description: 'a', command: { program: 'echo', args: ['a'] } },
      {
        name: 'b',
        description: 'b',
        command: { program: 'echo', args: ['b'], policy: { backend: 'native' } },
      },
    ]);
    const files = Object.keys(withCommand.files);
    expect(files).toEqual(
      expect.arrayContaining([
        'src/runtime/command.ts',
        'src/runtime/command-argv.ts',
        'src/runtime/command-exec.ts',
      ]),
    );
    const server = withCommand.files['src/server.ts']!;
    expect(server.match(/import \{ runCommand as \w+ \} from '\.\/runtime\/command\.js';/g)).toHaveLength(2);
    expect(files).toContain('src/runtime/exec/argv.ts');
    expect(files).not.toContain('src/runtime/command-agent.ts');
    const without = project([{ name: 'a', description: 'a', static: { text: 'hi' } }]);
    expect(
      Object.keys(without.files).some(
        (f) => f.startsWith('src/runtime/command') || f.startsWith('src/runtime/exec/'),
      ),
    ).toBe(false);
  });
});

describe('who may create command tools', () => {
  it('needs the code and the host-access grants (a default API token creates neither)', () => {
    const r = validateSpec(spec({ program: 'ls' }));
    expect(r.ok).toBe(true);
    expect(specPermissions(r.spec!)).toEqual([
      { permission: 'servers.create.code', tools: ['run_it'] },
      { permission: 'servers.create.host', tools: ['run_it'] },
    ]);
  });
});

describe('docs/commands.md', () => {
  it('its example is a valid spec', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/commands.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const r = validateSpec({ name: 'docs-example', ...(parse(yaml) as object) });
    expect(r.ok, JSON.stringify(r.issues)).toBe(true);
  });
});
