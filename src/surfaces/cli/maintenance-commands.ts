/**
 * `mcp-factory doctor` (check a factory home; `--repair` fixes what cannot lose data) and `mcp-factory backup
 * FILE` (a consistent copy of the SQLite registry through SQLite's online backup API). Local-machine
 * administration: CLI-only, like the token verbs, so no HTTP endpoint or MCP tool is published for them.
 */
import { type Command, Option } from 'commander';
import type { DoctorCheck } from '../../deploy/doctor.js';
import { loadConfig } from '../../platform/config.js';
import { homeLayout } from '../../platform/home.js';
import { EXIT } from './exit.js';
import type { CliIo } from './io.js';

const MARK: Record<DoctorCheck['status'], string> = { ok: '✔', warn: '!', error: '✖', repaired: '✚' };

export function registerMaintenanceCommands(
  program: Command,
  io: CliIo,
  exit: (code: number) => never,
): void {
  program
    .command('doctor')
    .description(
      'check the factory home: registry file and integrity, supervisor, stale pids, orphaned folders, secret permissions',
    )
    .option('--home <dir>', 'factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .option(
      '--repair',
      'fix what is safe: file modes, a stale supervisor.pid, staging folders of dead creates',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { home?: string; repair?: boolean; format: string }) => {
      const { runDoctor } = await import('../../deploy/doctor.js');
      const config = loadConfig();
      const report = await runDoctor({
        layout: homeLayout(opts.home ?? config.home),
        registryUrl: config.registryUrl,
        repair: opts.repair ?? false,
      });
      if (opts.format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        io.stdout(`Factory home ${report.home}\nRegistry ${report.registry}\n`);
        for (const c of report.checks) {
          io.stdout(`${MARK[c.status]} ${c.check.padEnd(20)} ${c.message}\n`);
          if (c.hint) io.stdout(`  hint: ${c.hint}\n`);
        }
      }
      if (!report.ok) exit(EXIT.INVALID_INPUT);
    });

  program
    .command('backup <file>')
    .description(
      'write a consistent copy of the registry (SQLite online backup) to FILE; see README to restore',
    )
    .option('--home <dir>', 'factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .option('--force', 'replace FILE when it exists')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, opts: { home?: string; force?: boolean; format: string }) => {
      const { backupSqlite, registrySqliteFile } = await import('../../store/index.js');
      const config = loadConfig();
      const source = registrySqliteFile({ home: opts.home ?? config.home, url: config.registryUrl });
      const result = await backupSqlite(source, file, { force: opts.force ?? false });
      if (opts.format === 'json') io.stdout(`${JSON.stringify({ ok: true, source, ...result }, null, 2)}\n`);
      else
        io.stderr(
          `Backed up ${source} to ${result.file} (${result.bytes} bytes, ${Math.round(result.ms)} ms, integrity checked).\n`,
        );
    });
}
