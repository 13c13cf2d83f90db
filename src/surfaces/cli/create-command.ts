/**
 * `mcp-factory create`: resolve the source (spec, OpenAPI, database, template or prompt), then either write the
 * spec for review (--emit-spec), build into the factory home and register a revision (--register), or build a
 * project directory; progress and findings go to stderr, the result (with --format json) to stdout.
 */
import { closeSync, fchmodSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { Severity } from '../../build/security/index.js';
import { FactoryError } from '../../core/errors/index.js';
import type { ServerSpec } from '../../core/spec/model.js';
import { loadConfig } from '../../platform/config.js';
import type * as Secrets from '../../platform/secrets.js';
import { cliActor } from './deploy-commands.js';
import { type CliIo, progressPrinter } from './io.js';
import type { SourceOptions } from './sources.js';

export function registerCreateCommand(program: Command, io: CliIo): void {
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
    .option(
      '--allow-private-base-url',
      'OpenAPI: accept a server URL on a private, loopback or link-local address (a local API you trust)',
    )
    .option(
      '--strict',
      'OpenAPI: fail (OPENAPI_DEGRADED, nothing written) when any operation is skipped or degraded',
    )
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
    .option(
      '--create-role <name>',
      'database: create this least-privilege role (SELECT on the imported tables; with --writes also INSERT/UPDATE/DELETE) and connect the server with it',
    )
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
    .option(
      '--allow-outside-paths',
      "copy SQLite files named by `path` even when they are outside the spec's folder (a spec you trust)",
    )
    .option('--no-typecheck', 'skip the type-check')
    .option('--no-tests', "skip the generated server's own tests")
    .option(
      '--unsafe-no-sandbox',
      'where no sandbox (bubblewrap) is available, run generated code unconfined with your user rights instead of refusing',
    )
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
          allowOutsidePaths?: boolean;
          unsafeNoSandbox?: boolean;
          typecheck: boolean;
          tests: boolean;
          securityThreshold: string;
          format: string;
          emitSpec?: string | boolean;
          strict?: boolean;
        },
      ) => {
        if (opts.strict && opts.openapi === undefined)
          throw new FactoryError(
            'INVALID_ARGUMENTS',
            '--strict applies to OpenAPI imports: use it with --openapi',
            {
              issues: [
                {
                  code: 'INVALID_ARGUMENTS',
                  message: '--strict applies to OpenAPI imports only',
                  path: '',
                  hint: 'e.g. mcp-factory create --openapi api.yaml --strict',
                },
              ],
            },
          );
        // Loaded here, not at the top: `--help` and the other verbs must not pay for the build pipeline.
        const [
          { createServerProject },
          { formatReport, isSeverity },
          { resolveSource, specToYaml },
          { formatImportSummary, strictImportError },
        ] = await Promise.all([
          import('../../build/create.js'),
          import('../../build/security/index.js'),
          import('./sources.js'),
          import('./import-summary.js'),
        ]);
        const source = await resolveSource({
          ...opts,
          onProgress: progressPrinter(io, opts.format === 'json'),
        });
        const { spec, specDir: dir } = source;
        // Every import says what it produced, lost and needs (stderr: stdout stays the result).
        if (source.importSummary) io.stderr(formatImportSummary(source.importSummary));
        if (opts.strict && source.openApiReport && source.importSummary) {
          const refused = strictImportError(source.openApiReport, source.importSummary);
          if (refused) throw refused;
        }
        if (source.notes?.length && opts.format !== 'json')
          for (const note of source.notes) io.stderr(`  note: ${note}\n`);
        if (source.notices?.length && opts.format !== 'json')
          for (const n of source.notices)
            io.stderr(`  warning ${n.code}: ${n.message}\n    hint: ${n.hint}\n`);
        if (opts.emitSpec !== undefined) {
          const toStdout = typeof opts.emitSpec !== 'string' || opts.emitSpec === '-';
          const file = toStdout ? undefined : (opts.emitSpec as string);
          if (file) {
            writeFileSync(file, specToYaml(source.input));
            io.stderr(
              `Wrote the spec of ${spec.name} (${spec.tools.length} tools) to ${file}; review it, then: mcp-factory create --spec ${file}\n`,
            );
          }
          // --format json: one JSON document on stdout (the importer's report, and the spec itself when no file).
          if (opts.format === 'json')
            io.stdout(
              `${JSON.stringify(
                {
                  ok: true,
                  name: spec.name,
                  version: spec.version,
                  tools: spec.tools.length,
                  ...(file ? { specFile: file } : { spec: source.input }),
                  ...(source.report !== undefined ? { report: source.report } : {}),
                },
                null,
                2,
              )}\n`,
            );
          else if (toStdout) io.stdout(specToYaml(source.input));
          return;
        }
        const json = opts.format === 'json';
        if (opts.register) {
          if (opts.out)
            throw new FactoryError(
              'INVALID_ARGUMENTS',
              '--register creates inside the factory home: drop --out',
            );
          await createRegistered(io, spec, dir, {
            ...(source.secretEnv ? { secretEnv: source.secretEnv } : {}),
            ...(source.extraFiles ? { extraFiles: source.extraFiles } : {}),
            home: opts.home,
            force: opts.force ?? false,
            allowOutsidePaths: opts.allowOutsidePaths ?? false,
            typecheck: opts.typecheck,
            tests: opts.tests,
            unsafeNoSandbox: opts.unsafeNoSandbox ?? false,
            securityThreshold: (isSeverity(opts.securityThreshold)
              ? opts.securityThreshold
              : 'high') as Severity,
            json,
          });
          return;
        }
        const outDir = resolve(opts.out ?? spec.name);
        if (!json) io.stderr(`Creating ${spec.name}@${spec.version} from ${source.origin} → ${outDir}\n`);
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
              ...(opts.allowOutsidePaths ? { allowOutsidePaths: true } : {}),
              typecheck: opts.typecheck,
              runTests: opts.tests,
              ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
              securityThreshold: (isSeverity(opts.securityThreshold)
                ? opts.securityThreshold
                : 'high') as Severity,
              onProgress: progressPrinter(io, json),
              ...(source.testEnv ? { testEnv: source.testEnv } : {}),
              ...(source.extraFiles ? { extraFiles: source.extraFiles } : {}),
            });
        // A created role's URL is a secret: only in the project's .env (0600, git-ignored), never printed.
        if (source.secretEnv)
          writeProjectEnv(await import('../../platform/secrets.js'), result.outDir, source.secretEnv);
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
                ...(source.notices?.length ? { notices: source.notices } : {}),
                ...(source.importSummary ? { import: source.importSummary } : {}),
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
}

/** `create --register`: generate inside the factory home and record a revision in the registry. */
async function createRegistered(
  io: CliIo,
  spec: ServerSpec,
  specDir: string,
  opts: {
    secretEnv?: Record<string, string>;
    extraFiles?: Record<string, string>;
    home: string | undefined;
    force: boolean;
    allowOutsidePaths: boolean;
    typecheck: boolean;
    tests: boolean;
    unsafeNoSandbox: boolean;
    securityThreshold: Severity;
    json: boolean;
  },
): Promise<void> {
  const { createControlPlane } = await import('../../deploy/control-plane.js');
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
      ...(opts.allowOutsidePaths ? { allowOutsidePaths: true } : {}),
      typecheck: opts.typecheck,
      runTests: opts.tests,
      ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
      securityThreshold: opts.securityThreshold,
      actor: cliActor(),
      ...(opts.extraFiles ? { extraFiles: opts.extraFiles } : {}),
      onProgress: progressPrinter(io, opts.json),
    });
    if (opts.secretEnv) {
      const file = cp.layout.envFile(outcome.name);
      // Loaded here: secrets.js pulls in the spec model (zod), which `--help` must not pay for.
      const { readEnvFile, writeEnvFile } = await import('../../platform/secrets.js');
      writeEnvFile(file, { ...readEnvFile(file), ...opts.secretEnv });
    }
    if (opts.json) io.stdout(`${JSON.stringify({ ok: true, registered: true, ...outcome }, null, 2)}\n`);
    else
      io.stderr(
        `\nRegistered ${outcome.name} revision ${outcome.revision} (${outcome.artifactHash.slice(0, 12)}) at ${outcome.projectDir}\nRun it:  mcp-deploy ${outcome.name}\n`,
      );
  } finally {
    await cp.close();
  }
}

/** `<project>/.env` with the server's secret variables, created 0600 (the generated .gitignore lists it). */
function writeProjectEnv(
  { readEnvFile }: typeof Secrets,
  projectDir: string,
  env: Record<string, string>,
): void {
  const file = join(projectDir, '.env');
  const merged = { ...readEnvFile(file), ...env };
  const text = Object.entries(merged)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
  const fd = openSync(file, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${text}\n`);
  } finally {
    closeSync(fd);
  }
}
