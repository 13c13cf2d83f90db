/**
 * The pure parts of the CLI lifecycle: the log excerpt of a failed deploy, the systemd unit of `supervisor
 * install` (and its refusal of values that would inject unit lines), `supervisor install --print/--path`, the
 * exit code of DEPLOY_MISSING_ENV, and the lazily loaded target list agreeing with the static one.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { logExcerpt } from '../../src/deploy/log-excerpt.js';
import { TARGETS } from '../../src/deploy/targets/index.js';
import { TARGET_LOADERS } from '../../src/deploy/targets/loaders.js';
import { EXIT, exitCodeFor } from '../../src/surfaces/cli/exit.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { renderUnit } from '../../src/surfaces/cli/systemd-unit.js';
import { tempHome } from './helpers.js';

describe('logExcerpt', () => {
  const minified = `var a="${'x'.repeat(50_000)}";throw new Error("boom")`;

  it('drops the source line Node prints under a crash, and its caret line', () => {
    const lines = [
      'file:///home/u/.mcp-factory/servers/s/abc/dist/server.mjs:1',
      minified,
      '                                   ^',
      '',
      'Error: boom',
      '    at file:///home/u/.mcp-factory/servers/s/abc/dist/server.mjs:1:50020',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)',
      '    at async ModuleLoader.import (node:internal/modules/esm/loader:606:24)',
      '',
      'Node.js v20.20.2',
    ];
    const out = logExcerpt(lines);
    expect(out).toEqual([
      'file:///home/u/.mcp-factory/servers/s/abc/dist/server.mjs:1 (source line omitted)',
      'Error: boom',
      '    at file:///home/u/.mcp-factory/servers/s/abc/dist/server.mjs:1:50020',
    ]);
    // Idempotent: the CLI applies it again to what the control plane already cut.
    expect(logExcerpt(out)).toEqual(out);
  });

  it('omits a huge line whose header fell off, truncates long ones, keeps the last lines', () => {
    const out = logExcerpt(
      [minified, 'y'.repeat(500), ...Array.from({ length: 20 }, (_, i) => `line ${i}`)],
      {
        maxLines: 22,
        maxChars: 100,
      },
    );
    expect(out[0]).toBe(`[a line of ${minified.length} characters omitted]`);
    expect(out[1]).toBe(`${'y'.repeat(100)}… [400 characters omitted]`);
    expect(logExcerpt(out, { maxLines: 3 })).toEqual(['line 17', 'line 18', 'line 19']);
    expect(out.join('\n').length).toBeLessThan(1000);
  });
});

describe('the systemd unit', () => {
  const base = { node: '/usr/bin/node', entry: '/opt/mcpf/dist/surfaces/cli/supervisor-daemon.js' };

  it('runs the supervisor of the home in the foreground, restarts it, and leaves the servers alone', () => {
    const unit = renderUnit({ ...base, scope: 'user', home: '/home/ann/.mcp-factory' });
    expect(unit).toContain(
      'ExecStart="/usr/bin/node" "/opt/mcpf/dist/surfaces/cli/supervisor-daemon.js" "--home" "/home/ann/.mcp-factory"',
    );
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).toMatch(/^WorkingDirectory=\/home\/ann\/\.mcp-factory$/m);
    expect(unit).toMatch(/^WantedBy=default\.target$/m);
    expect(unit).toContain('EnvironmentFile=-/home/ann/.mcp-factory/supervisor.env');
    expect(unit).not.toMatch(/^User=/m);
    expect(unit).not.toMatch(/^[^#].*REGISTRY_URL=/m); // never a URL (a password) in the world-readable unit

    const system = renderUnit({ ...base, scope: 'system', home: '/srv/mcpf', user: 'mcpf' });
    expect(system).toMatch(/^User=mcpf$/m);
    expect(system).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it('quotes paths so that specifiers, variables, quotes and spaces stay literal', () => {
    const unit = renderUnit({ ...base, scope: 'user', home: '/home/a b/%h$HOME"x\\' });
    const exec = unit.split('\n').find((l) => l.startsWith('ExecStart='))!;
    expect(exec).toContain('"--home" "/home/a b/%%h$$HOME\\"x\\\\"');
    // `$` is expanded by ExecStart= only: elsewhere it stays single.
    expect(unit).toContain('\nWorkingDirectory=/home/a b/%%h$HOME"x\\\n');
    expect(unit).toContain('\nEnvironment="MCP_FACTORY_HOME=/home/a b/%%h$HOME\\"x\\\\"\n');
  });

  it('refuses a home or user that would add lines to the unit', () => {
    for (const home of ['/home/a\nExecStartPre=/bin/rm -rf /', '/home/a\r[Service]', 'relative/home']) {
      expect(() => renderUnit({ ...base, scope: 'user', home })).toThrow(FactoryError);
    }
    expect(() =>
      renderUnit({ ...base, scope: 'system', home: '/srv', user: 'root\nExecStartPre=/x' }),
    ).toThrow(FactoryError);
    expect(() => renderUnit({ ...base, scope: 'system', home: '/srv' })).toThrow(FactoryError);
  });
});

describe('mcp-factory supervisor install', () => {
  const home = tempHome('install');
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  async function cli(...argv: string[]) {
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

  it('--print prints the unit of this home and writes nothing', async () => {
    const r = await cli('supervisor', 'install', '--print', '--home', home);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(r.out).toMatch(/^\[Service\]$/m);
    expect(r.out).toContain(`"--home" "${home}"`);
    expect(r.out).toContain(process.execPath);
    expect(existsSync(join(home, 'unit.service'))).toBe(false);
  });

  it('--path writes the unit there (0644) and says how to enable it', async () => {
    const file = join(home, 'units', 'mcp-factory-supervisor.service');
    const r = await cli('supervisor', 'install', '--path', file, '--home', home);
    expect(r.code, r.err).toBe(EXIT.OK);
    expect(readFileSync(file, 'utf8')).toMatch(/^ExecStart=.*supervisor-daemon\.js" "--home"/m);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(r.out).toContain('systemctl --user enable --now mcp-factory-supervisor.service');
  });

  it('an unknown action is a usage error', async () => {
    const r = await cli('supervisor', 'instal', '--home', home);
    expect(r.code).toBe(EXIT.USAGE);
  });
});

describe('exit codes and targets', () => {
  it('a missing variable is a deployment error (exit 6), as documented', () => {
    expect(exitCodeFor(new FactoryError('DEPLOY_MISSING_ENV', 'x needs Y'))).toBe(EXIT.DEPLOYMENT);
  });

  it('the lazily loaded targets are the static list', async () => {
    expect(Object.keys(TARGET_LOADERS).sort()).toEqual(Object.keys(TARGETS).sort());
    for (const [name, load] of Object.entries(TARGET_LOADERS))
      expect(await load()).toBe(TARGETS[name as keyof typeof TARGETS]);
  });
});
