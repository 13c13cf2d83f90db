/**
 * `mcp-factory supervisor [start|status|stop|install]`: the supervisor of local deployments.
 *
 * - `start` starts it in the background (or runs it here with --foreground, for systemd and containers);
 * - `stop --stop-servers` also stops every server; with no supervisor running it stops them from the registry
 *   alone, signalling only processes proven to be this home's servers through /proc (unsupervised.ts);
 * - `install` writes a systemd unit (user or system) so that a crash or a reboot is covered.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import { supervisorEntry } from '../../deploy/targets/local/link.js';
import { loadConfig } from '../../platform/config.js';
import { cliActor, type DeployHelpers, type DeployIo, plane } from './deploy-commands.js';
import {
  defaultUnitPath,
  enableCommands,
  environmentFile,
  renderUnit,
  type UnitScope,
} from './systemd-unit.js';

const ACTIONS = ['start', 'status', 'stop', 'install'] as const;

interface SupervisorOptions {
  foreground?: boolean;
  stopServers?: boolean;
  system?: boolean;
  print?: boolean;
  path?: string;
  home?: string;
  format: string;
}

export function registerSupervisorCommand(program: Command, io: DeployIo, helpers: DeployHelpers): void {
  const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  program
    .command('supervisor')
    .description('the supervisor of local deployments: start (in the background), status, stop, install')
    .argument('[action]', 'start | status | stop | install', 'start')
    .option('--foreground', 'start: run in this process until SIGTERM/SIGINT (for systemd and containers)')
    .option(
      '--stop-servers',
      'stop: also stop every server, with or without a running supervisor (default: they keep running and are adopted later)',
    )
    .option('--system', 'install: a system unit (/etc/systemd/system, User= you) instead of a user unit')
    .option('--print', 'install: print the unit instead of writing it')
    .option('--path <file>', 'install: write the unit here (default: the systemd directory of the scope)')
    .option('--home <dir>', 'factory home')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (action: string, opts: SupervisorOptions) => {
      if (!(ACTIONS as readonly string[]).includes(action))
        throw new FactoryError(
          'INVALID_ARGUMENTS',
          `unknown supervisor action ${action}: start, status, stop or install`,
        );
      const asJson = opts.format === 'json';
      // `supervisor start` is the explicit request: it starts one whatever MCP_FACTORY_SUPERVISOR_AUTOSTART says.
      const cp = action === 'start' ? await plane(opts, true) : await plane(opts);
      try {
        if (action === 'install') {
          install(io, cp.layout.home, opts);
          return;
        }
        if (action === 'start' && opts.foreground) {
          await cp.close();
          const { runSupervisorProcess } = await import('./supervisor-daemon.js');
          const code = await runSupervisorProcess({
            home: cp.layout.home,
            registryUrl: loadConfig().registryUrl,
            write: io.stderr,
          });
          if (code !== 0) helpers.exit(code);
          return;
        }
        if (action === 'start') {
          const info = await cp.supervisor.ensure();
          if (asJson) json({ ok: true, running: true, ...info });
          else io.stdout(`✔ supervisor running (pid ${info.pid}), log ${cp.layout.supervisorLog}\n`);
          return;
        }
        if (action === 'status') {
          const info = await cp.supervisor.ping();
          if (asJson) json({ running: Boolean(info), ...(info ?? {}) });
          else if (info)
            io.stdout(
              `supervisor running: pid ${info.pid}, since ${info.startedAt}, ${info.deployments} local deployment(s)\n  home ${info.home}\n  registry ${info.registry}\n  log ${cp.layout.supervisorLog}\n`,
            );
          else io.stdout(`supervisor not running (home ${cp.layout.home})\n`);
          if (!info) helpers.exit(6);
          return;
        }
        const stopServers = opts.stopServers ?? false;
        const wasRunning = await cp.supervisor.shutdown(stopServers);
        const { markStopped, stopUnsupervisedServers } = await import(
          '../../deploy/targets/local/unsupervised.js'
        );
        const registry = await cp.registry();
        let stopped: Array<{ pid: number; server: string | null; outcome: string }> = [];
        if (stopServers && !wasRunning) {
          // Nobody supervises them: stop the recorded servers from here (identity proven through /proc).
          stopped = await stopUnsupervisedServers(cp.layout, registry, {
            graceMs: loadConfig().supervisor.stopGraceMs,
            actor: cliActor(),
          });
        } else if (stopServers) {
          // The supervisor stopped them without touching the registry: record that they no longer run.
          await markStopped(cp.layout, registry, await registry.listDeployments(), cliActor());
        }
        // The microvm warm pool's spare VMs run no server: they end with the supervisor.
        const { stopPool } = await import('../../deploy/targets/microvm/pool.js');
        const poolVms = await stopPool(cp.layout);
        if (asJson) json({ ok: true, wasRunning, stopServers, stopped, poolVms });
        else {
          io.stdout(wasRunning ? '✔ supervisor stopped\n' : 'supervisor was not running\n');
          if (poolVms > 0) io.stdout(`✔ stopped ${poolVms} microvm pool VM(s)\n`);
          for (const s of stopped)
            io.stdout(`✔ stopped ${s.server ?? 'an orphan server'} (pid ${s.pid}, ${s.outcome})\n`);
          if (stopServers && !wasRunning && stopped.length === 0)
            io.stdout('no server process was running\n');
        }
      } finally {
        await cp.close();
      }
    });
}

function install(io: DeployIo, home: string, opts: SupervisorOptions): void {
  const scope: UnitScope = opts.system ? 'system' : 'user';
  const unit = renderUnit({
    scope,
    node: process.execPath,
    entry: supervisorEntry(),
    home,
    user: scope === 'system' ? userInfo().username : undefined,
  });
  if (opts.print) {
    io.stdout(unit);
    return;
  }
  const path = resolve(opts.path ?? defaultUnitPath(scope, homedir()));
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, unit, { mode: 0o644 });
  } catch (error) {
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `cannot write the unit to ${path}: ${(error as Error).message}`,
      {
        details: {
          hint:
            scope === 'system'
              ? 'A system unit needs root: sudo mcp-factory supervisor install --system, or --print and copy it.'
              : 'Pass --path FILE, or --print and copy it.',
        },
      },
    );
  }
  const next = opts.path
    ? [`(installed elsewhere than systemd's directory: link it with systemctl link ${path})`]
    : [];
  io.stdout(
    [
      `✔ wrote ${path}`,
      ...next,
      'Enable it:',
      ...enableCommands(scope).map((c) => `  ${c}`),
      `Registry URL and tuning for the supervisor go in ${environmentFile(home)} (KEY=VALUE, chmod 600).`,
      'Then let systemd alone start it: export MCP_FACTORY_SUPERVISOR_AUTOSTART=off in the shells that run mcp-factory.',
      '',
    ].join('\n'),
  );
}
