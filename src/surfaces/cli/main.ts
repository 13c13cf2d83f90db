/**
 * The command line: a thin layer over the programmatic API. It is the only place that prints or exits.
 * Exit codes are documented in the README (CLI section).
 */
import { statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { createServerProject, type ProgressEvent } from '../../build/create.js';
import { formatReport, isSeverity, type Severity } from '../../build/security/index.js';
import { connectToProject, runAllCases } from '../../build/verify/cases.js';
import { ERROR_CODES, FactoryError, formatIssue, type Issue } from '../../core/errors/index.js';
import { SERVER_NAME, type ServerSpec } from '../../core/spec/model.js';
import { createControlPlane } from '../../deploy/control-plane.js';
import { loadConfig } from '../../platform/config.js';
import { factoryVersion } from '../../platform/factory-files.js';
import { callTool, type ProtocolChoice } from '../../platform/mcp-client/call-tool.js';
import { cliActor, registerDeployCommands, testDeployed } from './deploy-commands.js';
import { registerServeCommands } from './serve.js';
import { resolveSource, type SourceOptions, specToYaml } from './sources.js';
import { registerTemplateCommands } from './templates.js';

export const EXIT = {
  OK: 0,
  INVALID_INPUT: 1,
  USAGE: 2,
  SECURITY_BLOCKED: 3,
  VALIDATION_FAILED: 4,
  TOOL_FAILED: 5,
  DEPLOYMENT: 6,
  INTERNAL: 70,
} as const;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function exitCodeFor(error: FactoryError): number {
  switch (error.code) {
    case 'SECURITY_BLOCKED':
      return EXIT.SECURITY_BLOCKED;
    case 'TYPECHECK_FAILED':
    case 'GENERATED_TESTS_FAILED':
    case 'BUNDLE_FAILED':
      return EXIT.VALIDATION_FAILED;
    case 'TOOL_CALL_FAILED':
    case 'TOOL_NOT_FOUND':
    case 'SERVER_START_FAILED':
      return EXIT.TOOL_FAILED;
    case 'INVALID_ARGUMENTS':
      return EXIT.USAGE;
    case 'NOT_DEPLOYED':
    case 'DEPLOYMENT_NOT_RUNNING':
    case 'DEPLOY_FAILED':
    case 'DEPLOY_TIMEOUT':
    case 'DEPLOY_TARGET_UNAVAILABLE':
    case 'SUPERVISOR_RUNNING':
    case 'SUPERVISOR_UNAVAILABLE':
      return EXIT.DEPLOYMENT;
    case 'INTERNAL':
      return EXIT.INTERNAL;
    default:
      return EXIT.INVALID_INPUT;
  }
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

function progressPrinter(io: Io, quiet: boolean): (e: ProgressEvent) => void {
  return (e) => {
    if (quiet || e.status === 'start') return;
    const mark = e.status === 'done' ? '✔' : e.status === 'skipped' ? '–' : '✖';
    const ms = 'ms' in e ? ` (${Math.round(e.ms)} ms)` : '';
    const detail = 'detail' in e && e.detail ? `  ${e.detail.split('\n')[0]}` : '';
    io.stderr(`${mark} ${e.step.padEnd(16)}${detail}${ms}\n`);
  };
}

export function buildProgram(io: Io = defaultIo): Command {
  const program = new Command('mcp-factory')
    .description('Turn a declarative spec into a tested, bundled MCP server.')
    .version(factoryVersion())
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('create')
    .description(
      'generate, type-check, scan, bundle and test a server from a spec, OpenAPI document, database or template',
    )
    .option('--spec <file>', 'YAML or JSON spec file')
    .option('--json <spec>', 'the spec as inline JSON')
    .option('--openapi <file|url>', 'an OpenAPI 3.x or Swagger 2.0 document')
    .option('--db <url>', 'a live database: postgres://…, mysql://…, sqlite:path')
    .option('--template <name>', 'a template from `mcp-factory templates` (with --name)')
    .option('--name <name>', 'server name (required with --template; overrides the derived name otherwise)')
    .option('--set <key=value...>', 'template variables')
    .option(
      '--emit-spec [file]',
      'write the spec (YAML) for review instead of generating; - or no value: stdout',
    )
    .option('--allow-remote-refs', 'OpenAPI: follow $refs to http(s) URLs (off by default: SSRF)')
    .option('--include-tag <tag...>', 'OpenAPI: only operations with these tags')
    .option('--exclude-tag <tag...>', 'OpenAPI: leave out operations with these tags')
    .option('--include-path <glob...>', 'OpenAPI: only these paths (/pets/**)')
    .option('--exclude-path <glob...>', 'OpenAPI: leave out these paths')
    .addOption(
      new Option(
        '--dynamic <mode>',
        'OpenAPI: search/describe/invoke tools instead of one tool per operation',
      )
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option('--tables <name...>', 'database: only these tables (names or globs)')
    .option('--writes', 'database: add create/update/delete tools')
    .option('--prompt <text>', 'describe the server in words; an LLM drafts the spec (see docs/llm.md)')
    .option('--prompt-file <file>', 'read the description from a file (- for standard input)')
    .option('--provider <name>', 'LLM provider: anthropic, openai, google, openai-compatible')
    .option('--model <id>', 'LLM model')
    .option('--api-key-env <VAR>', 'environment variable holding the LLM API key')
    .option('--base-url <url>', 'LLM endpoint (OpenAI-compatible servers: Ollama, vLLM, LM Studio)')
    .option('--temperature <n>', 'LLM temperature (default 0.2)')
    .option('--max-retries <n>', 'LLM retries on rate limits and timeouts (default 3)')
    .option('--timeout <seconds>', 'LLM timeout per attempt (default 180)')
    .option('--max-repairs <n>', 'repair rounds for invalid specs and failing builds (default 3)')
    .option('--research', 'search the web for API docs first (Tavily, TAVILY_API_KEY)')
    .option('--out <dir>', 'output directory (default: ./<name>)')
    .option('--register', 'create inside the factory home and register it (a revision), ready for mcp-deploy')
    .option('--home <dir>', 'with --register: factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .option('--force', 'replace an existing output directory; do not block on security findings')
    .option('--no-typecheck', 'skip the type-check')
    .option('--no-tests', "skip the generated server's own tests")
    .addOption(
      new Option('--security-threshold <severity>', 'block at this severity')
        .choices(['info', 'low', 'medium', 'high', 'critical'])
        .default('high'),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      async (
        opts: SourceOptions & {
          out?: string;
          register?: boolean;
          home?: string;
          force?: boolean;
          typecheck: boolean;
          tests: boolean;
          securityThreshold: string;
          format: string;
          emitSpec?: string | boolean;
        },
      ) => {
        const source = await resolveSource({
          ...opts,
          onProgress: progressPrinter(io, opts.format === 'json'),
        });
        const { spec, specDir: dir } = source;
        if (source.notes?.length && opts.format !== 'json')
          for (const note of source.notes) io.stderr(`  note: ${note}\n`);
        if (opts.emitSpec !== undefined) {
          const yaml = specToYaml(source.input);
          if (typeof opts.emitSpec !== 'string' || opts.emitSpec === '-') io.stdout(yaml);
          else {
            writeFileSync(opts.emitSpec, yaml);
            io.stderr(
              `Wrote the spec of ${spec.name} (${spec.tools.length} tools) to ${opts.emitSpec}; review it, then: mcp-factory create --spec ${opts.emitSpec}\n`,
            );
          }
          if (source.report !== undefined && opts.format === 'json')
            io.stderr(`${JSON.stringify(source.report, null, 2)}\n`);
          return;
        }
        const json = opts.format === 'json';
        if (opts.register) {
          if (opts.out)
            throw new FactoryError(
              'INVALID_ARGUMENTS',
              '--register creates inside the factory home: drop --out',
            );
          await registerCreate(io, spec, dir, {
            home: opts.home,
            force: opts.force ?? false,
            typecheck: opts.typecheck,
            tests: opts.tests,
            securityThreshold: (isSeverity(opts.securityThreshold)
              ? opts.securityThreshold
              : 'high') as Severity,
            json,
          });
          return;
        }
        const outDir = resolve(opts.out ?? spec.name);
        if (!json) {
          io.stderr(`Creating ${spec.name}@${spec.version} from ${source.origin} → ${outDir}\n`);
          const skipped = (source.report as { skipped?: unknown[] } | undefined)?.skipped;
          if (Array.isArray(skipped) && skipped.length)
            io.stderr(
              `  note: the importer skipped ${skipped.length} item(s); see --emit-spec --format json for the report\n`,
            );
        }
        const threshold = (isSeverity(opts.securityThreshold) ? opts.securityThreshold : 'high') as Severity;
        const result = source.create
          ? await source.create({
              outDir,
              force: opts.force ?? false,
              typecheck: opts.typecheck,
              runTests: opts.tests,
              securityThreshold: threshold,
              onProgress: progressPrinter(io, json),
            })
          : await createServerProject({
              spec,
              specDir: dir,
              outDir,
              force: opts.force ?? false,
              typecheck: opts.typecheck,
              runTests: opts.tests,
              securityThreshold: (isSeverity(opts.securityThreshold)
                ? opts.securityThreshold
                : 'high') as Severity,
              onProgress: progressPrinter(io, json),
              ...(source.testEnv ? { testEnv: source.testEnv } : {}),
            });
        if (json) {
          io.stdout(
            `${JSON.stringify(
              {
                ok: true,
                name: spec.name,
                version: spec.version,
                outDir: result.outDir,
                bundle: result.bundle.file,
                files: result.files.length,
                security: { findings: result.security.findings, counts: result.security.counts },
                tests: result.tests
                  ? {
                      passed: result.tests.passed,
                      failed: result.tests.failed,
                      skipped: result.tests.skipped,
                    }
                  : null,
                steps: result.log.steps,
                totalMs: Math.round(result.totalMs),
              },
              null,
              2,
            )}\n`,
          );
        } else {
          if (result.security.findings.length) io.stderr(`${formatReport(result.security)}\n`);
          io.stderr(`\nCreated ${result.outDir} in ${(result.totalMs / 1000).toFixed(1)} s.\n`);
          io.stderr(
            `Try it:  mcp-factory test ${result.outDir} --list\n         node ${result.bundle.file} --transport http --port 3000\n`,
          );
        }
      },
    );

  registerTemplateCommands(program, io);
  registerServeCommands(program, io);

  program
    .command('validate')
    .description('check a spec and report every problem with file:line:col')
    .argument('<file>', 'YAML or JSON spec file')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .action(async (file: string, opts: { format: string; json?: boolean }) => {
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

  registerDeployCommands(program, io, deployHelpers);

  return program;
}

const deployHelpers = {
  exit(code: number): never {
    throw new ExitSignal(code);
  },
  async readSpec(file: string) {
    const { spec, specDir } = await resolveSource({ spec: file });
    return { spec, dir: specDir };
  },
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `create --register`: generate inside the factory home and record a revision in the registry. */
async function registerCreate(
  io: Io,
  spec: ServerSpec,
  specDir: string,
  opts: {
    home: string | undefined;
    force: boolean;
    typecheck: boolean;
    tests: boolean;
    securityThreshold: Severity;
    json: boolean;
  },
): Promise<void> {
  const cp = createControlPlane({
    home: opts.home,
    registryUrl: loadConfig().registryUrl,
  });
  try {
    if (!opts.json) io.stderr(`Creating ${spec.name}@${spec.version} in ${cp.layout.home}\n`);
    const outcome = await cp.create({
      spec,
      specDir,
      force: opts.force,
      typecheck: opts.typecheck,
      runTests: opts.tests,
      securityThreshold: opts.securityThreshold,
      actor: cliActor(),
      onProgress: progressPrinter(io, opts.json),
    });
    if (opts.json) io.stdout(`${JSON.stringify({ ok: true, registered: true, ...outcome }, null, 2)}\n`);
    else
      io.stderr(
        `\nRegistered ${outcome.name} revision ${outcome.revision} (${outcome.artifactHash.slice(0, 12)}) at ${outcome.projectDir}\nRun it:  mcp-deploy ${outcome.name}\n`,
      );
  } finally {
    await cp.close();
  }
}

function printError(io: Io, error: FactoryError, json: boolean): void {
  if (json) {
    io.stdout(
      `${JSON.stringify({ ok: false, error: error.code, message: error.message, issues: error.issues, details: error.details ?? null }, null, 2)}\n`,
    );
    return;
  }
  const issues: Issue[] = error.issues;
  const single = issues.length === 1 && issues[0]!.message === error.message;
  if (!single) io.stderr(`✖ ${error.message}\n`);
  for (const issue of issues) io.stderr(`${single ? '✖ ' : ''}${formatIssue(issue)}\n`);
  const output = error.details?.output;
  if (typeof output === 'string') io.stderr(`\n${output}\n`);
  if (!issues.length) io.stderr(`  hint: ${String(error.details?.hint ?? ERROR_CODES[error.code].hint)}\n`);
}

/** Run the CLI; resolves to the process exit code (never calls process.exit itself). */
export async function runCli(argv: string[], io: Io = defaultIo): Promise<number> {
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
