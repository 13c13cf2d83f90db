/**
 * The command line: a thin layer over the programmatic API. It is the only place that prints or exits.
 * Exit codes are documented in the README (CLI section).
 *
 * This file assembles the program (the order of registration is the order of `--help`) and maps what a
 * command throws to an exit code; each verb lives in its own *-command(s).ts file.
 *
 * Start-up time: registering a verb must stay cheap. A verb file imports only commander and light modules at
 * the top and loads its subsystem (build, LLM, OpenAPI, docker, MCP SDK, the control plane) with `await
 * import()` inside its action; test/cli-life/startup.test.ts fails when `--help`, `list` or `status` load one.
 */
import { Command, CommanderError } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import { factoryVersion } from '../../platform/factory-files.js';
import { registerCreateCommand } from './create-command.js';
import { type DeployHelpers, registerDeployCommands } from './deploy-commands.js';
import { EXIT, ExitSignal, exitCodeFor, printError } from './exit.js';
import { registerExportCommand } from './export-command.js';
import { registerGatewayCommand } from './gateway-command.js';
import { registerHostAgentCommand } from './host-agent-command.js';
import { registerIdentityCommands } from './identity-commands.js';
import { type CliIo, defaultIo } from './io.js';
import { registerJobsCommands } from './jobs-commands.js';
import { registerMaintenanceCommands } from './maintenance-commands.js';
import { registerNodesCommand } from './nodes-command.js';
import { registerOperatorCommand } from './operator-command.js';
import { registerServeCommands } from './serve.js';
import { registerTemplateCommands } from './templates.js';
import { registerTestCommand } from './test-command.js';
import { registerTokenUpdateCommand } from './token-update-command.js';
import { registerToolsmithCommands } from './toolsmith-commands.js';
import { registerValidateCommand } from './validate-command.js';

export { EXIT } from './exit.js';

export function buildProgram(io: CliIo = defaultIo): Command {
  const program = new Command('mcp-factory')
    .description('Turn a declarative spec into a tested, bundled MCP server.')
    .version(factoryVersion())
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  registerCreateCommand(program, io);
  registerTemplateCommands(program, io);
  registerServeCommands(program, io);
  registerHostAgentCommand(program, io);
  registerTokenUpdateCommand(program, io);
  registerIdentityCommands(program, io);
  registerGatewayCommand(program, io);
  registerValidateCommand(program, io);
  registerTestCommand(program, io, deployHelpers);
  registerDeployCommands(program, io, deployHelpers);
  registerMaintenanceCommands(program, io, deployHelpers.exit);
  registerNodesCommand(program, io, deployHelpers.exit);
  registerToolsmithCommands(program, io);
  registerJobsCommands(program, io);
  registerExportCommand(program, io);
  registerOperatorCommand(program, io);

  return program;
}

const deployHelpers: DeployHelpers = {
  exit(code: number): never {
    throw new ExitSignal(code);
  },
  async readSpec(file: string) {
    const { resolveSource } = await import('./sources.js');
    const { spec, specDir } = await resolveSource({ spec: file });
    return { spec, dir: specDir };
  },
};

/** Run the CLI; resolves to the process exit code (never calls process.exit itself). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(io);
  const json =
    argv.includes('--json') && !argv.includes('create')
      ? true
      : argv.some((a, i) => a === '--format' && argv[i + 1] === 'json') || argv.includes('--format=json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof ExitSignal) return error.code;
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (error instanceof FactoryError) {
      printError(io, error, json);
      return exitCodeFor(error);
    }
    io.stderr(
      `✖ internal error: ${(error as Error)?.stack ?? String(error)}\nPlease report this with the command you ran.\n`,
    );
    return EXIT.INTERNAL;
  }
}
