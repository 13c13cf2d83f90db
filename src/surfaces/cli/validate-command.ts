/**
 * `mcp-factory validate <file>`: load and check a spec; every problem is reported with file:line:col (as a
 * FactoryError, printed by the caller), a valid spec gets a one-line (or JSON) summary.
 */
import { type Command, Option } from 'commander';
import type { CliIo } from './io.js';

export function registerValidateCommand(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description('check a spec and report every problem with file:line:col')
    .argument('<file>', 'YAML or JSON spec file')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .action(async (file: string, opts: { format: string; json?: boolean }) => {
      const { resolveSource } = await import('./sources.js'); // not on the path of `--help`
      const { spec } = await resolveSource({ spec: file });
      const summary = {
        ok: true,
        name: spec.name,
        version: spec.version,
        tools: spec.tools.length,
        resources: spec.resources.length,
        prompts: spec.prompts.length,
        triggers: spec.triggers.length,
      };
      if (opts.json || opts.format === 'json')
        io.stdout(`${JSON.stringify({ ...summary, issues: [] }, null, 2)}\n`);
      else
        io.stdout(
          `✔ ${file} is valid: ${spec.name}@${spec.version}, ${summary.tools} tools, ${summary.resources} resources, ${summary.prompts} prompts, ${summary.triggers} triggers\n`,
        );
    });
}
