/**
 * `mcp-factory test <dir|name> [tool] [args]`: call one tool of a generated project, list its tools, or run
 * its planned cases (--all). A bare name that is not a directory means the deployed server of that name.
 * A failing tool or case ends with EXIT.TOOL_FAILED.
 */
import { statSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import type { ProtocolChoice } from '../../platform/mcp-client/call-tool.js';
import { type DeployHelpers, testDeployed } from './deploy-commands.js';
import { EXIT, ExitSignal } from './exit.js';
import type { CliIo } from './io.js';

export function registerTestCommand(program: Command, io: CliIo, deployHelpers: DeployHelpers): void {
  program
    .command('test')
    .description(
      'call a tool of a generated server (or run all of its planned cases); a name that is not a directory means the deployed server',
    )
    .argument('<dir>', 'generated server directory, or the name of a deployed server')
    .argument('[tool]', 'tool name')
    .argument('[args]', 'arguments as JSON', '{}')
    .option('--all', "run the server's planned test cases")
    .option('--list', 'list the tools')
    .addOption(
      new Option('--protocol <version>', 'protocol era')
        .choices(['auto', '2025-11-25', '2026-07-28'])
        .default('auto'),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .option('--home <dir>', 'for a deployed server: factory home')
    .action(
      async (
        dir: string,
        tool: string | undefined,
        argsText: string,
        opts: {
          all?: boolean;
          list?: boolean;
          protocol: ProtocolChoice;
          format: string;
          json?: boolean;
          home?: string;
        },
      ) => {
        const json = opts.json || opts.format === 'json';
        if (!tool && !opts.all && !opts.list)
          throw new FactoryError('INVALID_ARGUMENTS', 'name a tool, or pass --all or --list', {
            issues: [
              {
                code: 'INVALID_ARGUMENTS',
                message: 'name a tool, or pass --all or --list',
                path: '',
                hint: 'mcp-factory test ./inventory-mcp search_products \'{"query":"laptop"}\'',
              },
            ],
          });
        const args = parseJsonArg(argsText, 'the tool arguments');
        if (typeof args !== 'object' || args === null || Array.isArray(args))
          throw new FactoryError('INVALID_ARGUMENTS', 'the tool arguments must be a JSON object');
        // Loaded here, not at the top: `--help` and the other verbs must not pay for the MCP client.
        const [{ connectToProject, runAllCases }, { SERVER_NAME }, { callTool }] = await Promise.all([
          import('../../build/verify/cases.js'),
          import('../../core/spec/model.js'),
          import('../../platform/mcp-client/call-tool.js'),
        ]);
        // A bare name that is not a directory here means a deployed server; paths keep meaning projects.
        if (!isDirectory(dir) && SERVER_NAME.test(dir)) {
          await testDeployed(io, deployHelpers, dir, tool, args as Record<string, unknown>, {
            all: opts.all ?? false,
            list: opts.list ?? false,
            json,
            ...(opts.home ? { home: opts.home } : {}),
          });
          return;
        }
        const session = await connectToProject(dir, { protocol: opts.protocol });
        try {
          if (opts.list) {
            const { tools } = await session.client.listTools();
            if (json)
              io.stdout(`${JSON.stringify({ protocolVersion: session.protocolVersion, tools }, null, 2)}\n`);
            else for (const t of tools) io.stdout(`${t.name.padEnd(28)} ${t.description ?? ''}\n`);
            return;
          }
          if (opts.all) {
            const outcomes = await runAllCases(dir, session);
            const failed = outcomes.filter((o) => o.status === 'failed').length;
            const passed = outcomes.filter((o) => o.status === 'passed').length;
            const skipped = outcomes.length - failed - passed;
            if (json)
              io.stdout(
                `${JSON.stringify({ protocolVersion: session.protocolVersion, passed, failed, skipped, outcomes }, null, 2)}\n`,
              );
            else {
              for (const o of outcomes)
                io.stdout(
                  `${o.status === 'passed' ? '✔' : o.status === 'failed' ? '✖' : '–'} ${o.case.name}${o.reason ? `: ${o.reason}` : ''}\n`,
                );
              io.stdout(
                `${passed} passed, ${failed} failed, ${skipped} skipped (protocol ${session.protocolVersion ?? 'unknown'})\n`,
              );
            }
            if (failed) throw new ExitSignal(EXIT.TOOL_FAILED);
            return;
          }
          const outcome = await callTool(session, tool!, args as Record<string, unknown>);
          if (json)
            io.stdout(
              `${JSON.stringify({ protocolVersion: session.protocolVersion, ...outcome }, null, 2)}\n`,
            );
          else io.stdout(`${outcome.text}\n`);
          if (outcome.isError) {
            if (!json) io.stderr(`✖ ${tool} returned an error result\n`);
            throw new ExitSignal(EXIT.TOOL_FAILED);
          }
        } finally {
          await session.close();
        }
      },
    );
}

function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FactoryError('INVALID_ARGUMENTS', `${what}: not valid JSON (${(error as Error).message})`, {
      issues: [
        {
          code: 'INVALID_ARGUMENTS',
          message: `${what}: not valid JSON (${(error as Error).message})`,
          path: '',
          hint: 'Quote the JSON for your shell, e.g. \'{"query": "laptop"}\'.',
        },
      ],
    });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
