/**
 * The deployment verbs of the command line (deploy, list, status, logs, stop, start, remove, supervisor, and
 * `test` against a deployed server): a thin layer over the control plane. Tables for people, `--format json`
 * for scripts.
 *
 * The control plane (targets, docker, MCP client) is loaded by the verbs that need it; `list` reads the
 * registry and pings the supervisor only. Verbs that read server state check the supervisor
 * (supervisor-check.ts).
 */
import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import type { ServerSpec } from '../../core/spec/model.js';
import type { LocalControlPlane } from '../../deploy/control-plane.js';
import type { SupervisorLink } from '../../deploy/targets/local/link.js';
import { parseProcessId } from '../../deploy/targets/local/proc.js';
import { DEFAULT_TARGET, TARGET_NAMES, type TargetName } from '../../deploy/targets/names.js';
import { describeReplicaCounts } from '../../deploy/targets/replica-counts.js';
import type { ServerStatusReport } from '../../deploy/types.js';
import { loadConfig } from '../../platform/config.js';
import type { DeploymentRecord, ServerRecord, TriggerRun, TriggerSummary } from '../../store/index.js';
import { checkSupervisor, describeSupervisorState, type SupervisorState } from './supervisor-check.js';
import { registerSupervisorCommand } from './supervisor-command.js';

export interface DeployIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

export interface DeployHelpers {
  /** Stop with this exit code (no error message). */
  exit(code: number): never;
  /** A spec file, validated. */
  readSpec(file: string): Promise<{ spec: ServerSpec; dir: string }>;
}

const formatOption = () =>
  new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');

export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** The control plane of `--home`; it starts a supervisor on demand unless MCP_FACTORY_SUPERVISOR_AUTOSTART=off. */
export async function plane(
  opts: { home?: string },
  autoStartSupervisor = loadConfig().supervisorAutostart,
): Promise<LocalControlPlane> {
  const { createControlPlane } = await import('../../deploy/control-plane.js');
  return createControlPlane({ home: opts.home, registryUrl: loadConfig().registryUrl, autoStartSupervisor });
}

async function withPlane<T>(opts: { home?: string }, fn: (cp: LocalControlPlane) => Promise<T>): Promise<T> {
  const cp = await plane(opts);
  try {
    return await fn(cp);
  } finally {
    await cp.close();
  }
}

/** Check the supervisor against the recorded deployments; prints its warning or notice (text output only). */
async function superviseCheck(
  io: DeployIo,
  link: SupervisorLink,
  home: string,
  deployments: readonly DeploymentRecord[],
  asJson: boolean,
): Promise<SupervisorState> {
  const state = await checkSupervisor(link, deployments, {
    home,
    autoStart: loadConfig().supervisorAutostart,
  });
  // The warning goes to stderr in JSON mode too: a script may ignore the field, a person must not miss it.
  if (state.warning || !asJson) io.stderr(describeSupervisorState(state));
  return state;
}

/** Fixed-width table; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function pidOf(d: DeploymentRecord): string {
  return parseProcessId(d.processId)?.pid.toString() ?? '-';
}

/** The STATE cell of `list`: `running (replicas 2/3)` for a multi-replica target. */
function withReplicas(d: DeploymentRecord, state: string): string {
  const counts = describeReplicaCounts(d);
  return counts ? `${state} (${counts})` : state;
}

/** What the swarm target reports per deployment (targets/swarm/target.ts health). */
interface ReplicaRuntime {
  replicas?: { desired: number; running: number; healthy: number };
  tasks?: Array<{
    slot: number;
    endpoint: string;
    task: string;
    health: string;
    responseMs?: number;
    detail?: string;
  }>;
}

/** `replicas 2/3 running, 2 healthy` and one line per replica. */
function describeReplicas(rt: ReplicaRuntime): string[] {
  const r = rt.replicas!;
  return [
    `    replicas   ${r.running}/${r.desired} running, ${r.healthy} healthy`,
    ...(rt.tasks ?? []).map(
      (t) =>
        `      #${t.slot}  ${t.health.padEnd(9)} ${t.task.padEnd(8)} ${t.endpoint}${t.responseMs !== undefined ? ` ${t.responseMs} ms` : ''}${t.detail ? ` — ${t.detail}` : ''}`,
    ),
  ];
}

function ago(iso: string | null): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** `K=V` → [K, V]; a bare `K` takes the value from this process's environment (as docker -e K does). */
export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? process.env[name] : pair.slice(eq + 1);
    if (value === undefined) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `--env ${name}: not set in your environment; use --env ${name}=VALUE`,
      );
    }
    env[name] = value;
  }
  return env;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function describeDeployment(d: DeploymentRecord): string {
  const where = d.endpoint ?? (d.port ? `port ${d.port}` : '');
  return `${d.server} revision ${d.revision} ${d.status}${where ? ` at ${where}` : ''}${d.processId ? ` (pid ${pidOf(d)})` : ''}`;
}

export function registerDeployCommands(program: Command, io: DeployIo, helpers: DeployHelpers): void {
  const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);

  program
    .command('deploy')
    .description('run a registered server (or --spec FILE: create, register and run it)')
    .argument('[name]', 'registered server name')
    .addOption(
      new Option('--target <target>', 'where to run it').choices(TARGET_NAMES).default(DEFAULT_TARGET),
    )
    .option('--port <port>', 'fixed port (default: a free port from the supervisor range; 0 = choose anew)')
    .option(
      '--env <NAME=VALUE>',
      'environment for the server, repeatable; NAME alone copies your value',
      collect,
      [],
    )
    .option('--spec <file>', 'create and register this spec first (a new revision when it exists)')
    .option('--no-tests', "with --spec: skip the generated server's own tests")
    .option('--runtime <name>', 'docker target: OCI runtime of the container, e.g. runsc (gVisor)')
    .option('--replicas <n>', 'swarm and kubernetes targets: number of replicas, 1-50 (default 1)')
    .option('--cpus <n>', 'swarm target: CPUs per replica (default 1)')
    .option('--memory <mb>', 'swarm target: memory limit per replica in MB (default 256)')
    .option(
      '--constraint <expr>',
      'swarm target: placement constraint, repeatable (node.role==manager)',
      collect,
      [],
    )
    .option('--namespace <ns>', 'kubernetes target: namespace of every object (default: default)')
    .option('--ingress-host <host>', 'kubernetes target: add an Ingress for this host')
    .option(
      '--image-prefix <registry/>',
      'kubernetes target: registry prefix of the image, e.g. registry.example.com/team/',
    )
    .option('--pool <n>', 'microvm target: VMs kept booted ahead of time for this home, 0-16 (0: no pool)')
    .option('--node <name>', 'local target in a factory cluster: the node to run on (default: least loaded)')
    .option(
      '--unsafe-no-sandbox',
      'where no sandbox (bubblewrap) is available, run generated code unconfined with your user rights instead of refusing',
    )
    .option('--home <dir>', 'factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .option('--async', 'queue the deployment as a job and print its id (follow it: mcp-factory jobs wait ID)')
    .addOption(formatOption())
    .action(
      async (
        nameArg: string | undefined,
        opts: {
          async?: boolean;
          target: TargetName;
          port?: string;
          env: string[];
          spec?: string;
          tests: boolean;
          unsafeNoSandbox?: boolean;
          runtime?: string;
          replicas?: string;
          cpus?: string;
          memory?: string;
          constraint: string[];
          namespace?: string;
          ingressHost?: string;
          imagePrefix?: string;
          node?: string;
          pool?: string;
          home?: string;
          format: string;
        },
      ) => {
        const asJson = opts.format === 'json';
        if (opts.pool !== undefined && opts.target !== 'microvm')
          throw new FactoryError('INVALID_ARGUMENTS', '--pool is a microvm target option');
        let port: number | undefined;
        if (opts.port !== undefined) {
          port = Number(opts.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535)
            throw new FactoryError(
              'INVALID_ARGUMENTS',
              `--port ${opts.port}: an integer from 1 to 65535 (0: any free port)`,
            );
        }
        if (opts.async) {
          // A job's input is stored until it is pruned: no spec to create first, no environment values.
          if (!nameArg || opts.spec || opts.env.length > 0 || opts.pool !== undefined)
            throw new FactoryError(
              'INVALID_ARGUMENTS',
              '--async deploys a registered NAME, without --spec, --env or --pool',
            );
          const [{ queueAsync }, { deployServer }] = await Promise.all([
            import('./jobs-commands.js'),
            import('../operations/index.js'),
          ]);
          await queueAsync(io, opts, deployServer, {
            name: nameArg,
            target: opts.target,
            ...(port !== undefined && port > 0 ? { port } : {}),
            ...(opts.runtime ? { runtime: opts.runtime } : {}),
          });
          return;
        }
        const env = parseEnvPairs(opts.env);
        // Numbers as given ("2.5", "abc" stay invalid): the target refuses them with the allowed range.
        const number = (text: string | undefined) =>
          text === undefined ? undefined : Number(text.trim() || Number.NaN);
        // The options of the swarm and kubernetes targets; the control plane refuses those of another target.
        const targetOptions = {
          replicas: number(opts.replicas),
          cpus: number(opts.cpus),
          memoryMb: number(opts.memory),
          constraints: opts.constraint.length ? opts.constraint : undefined,
          namespace: opts.namespace,
          ingressHost: opts.ingressHost,
          imagePrefix: opts.imagePrefix,
        };
        await withPlane(opts, async (cp) => {
          let name = nameArg;
          let created: unknown;
          if (opts.spec) {
            const { spec, dir } = await helpers.readSpec(opts.spec);
            if (name && name !== spec.name)
              throw new FactoryError('INVALID_ARGUMENTS', `the spec is named ${spec.name}, not ${name}`);
            name = spec.name;
            // Before anything is created or registered: a deploy that cannot run must leave nothing behind.
            const missing = await cp.missingEnv(spec, opts.target, env);
            if (missing.length > 0) {
              const { missingEnvError } = await import('../../deploy/control-plane.js');
              throw missingEnvError(spec.name, missing);
            }
            if (!asJson) io.stderr(`Creating ${spec.name}@${spec.version} in ${cp.layout.home}\n`);
            created = await cp.create({
              spec,
              specDir: dir,
              force: true,
              runTests: opts.tests,
              ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
              actor: cliActor(),
              onProgress: (e) => {
                if (asJson || e.status === 'start') return;
                const mark = e.status === 'done' ? '✔' : e.status === 'skipped' ? '–' : '✖';
                io.stderr(`${mark} ${e.step.padEnd(16)}${'ms' in e ? ` (${Math.round(e.ms)} ms)` : ''}\n`);
              },
            });
          }
          if (!name)
            throw new FactoryError('INVALID_ARGUMENTS', 'name a registered server, or pass --spec FILE');
          if (opts.pool !== undefined) {
            // Kept for this home; the deploy below refills (or shrinks) the pool to it.
            const { setPoolSize } = await import('../../deploy/targets/microvm/pool.js');
            setPoolSize(cp.layout, Number(opts.pool.trim() || Number.NaN));
          }
          if (!asJson) io.stderr(`Deploying ${name} to ${opts.target}…\n`);
          const d = await cp.deploy({
            name,
            target: opts.target,
            ...(port !== undefined ? { port } : {}),
            ...(Object.keys(env).length ? { env } : {}),
            ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
            ...(opts.runtime !== undefined ? { runtime: opts.runtime } : {}),
            ...(opts.node !== undefined ? { node: opts.node } : {}),
            ...Object.fromEntries(Object.entries(targetOptions).filter(([, v]) => v !== undefined)),
            actor: cliActor(),
          });
          if (asJson) json({ ok: true, ...(created ? { created } : {}), deployment: d });
          else io.stdout(`✔ ${describeDeployment(d)}\n`);
        });
      },
    );

  program
    .command('list')
    .description('registered servers and where they run')
    .option('--all', 'include removed servers')
    .option('--home <dir>', 'factory home')
    .addOption(formatOption())
    .action(async (opts: { all?: boolean; home?: string; format: string }) => {
      // No control plane: the registry and the supervisor's channel are all a table needs (start-up time).
      const [{ homeLayout }, { openRegistry }, { SupervisorLink }] = await Promise.all([
        import('../../platform/home.js'),
        import('../../store/index.js'),
        import('../../deploy/targets/local/link.js'),
      ]);
      const config = loadConfig();
      const layout = homeLayout(opts.home ?? config.home);
      const registry = await openRegistry({ home: layout.home, url: config.registryUrl });
      try {
        let deployments = await registry.listDeployments();
        const link = new SupervisorLink(layout, {
          autoStart: config.supervisorAutostart,
          registryUrl: config.registryUrl,
        });
        const supervisor = await superviseCheck(io, link, layout.home, deployments, opts.format === 'json');
        if (supervisor.restarted) deployments = await registry.listDeployments(); // after its first pass
        const servers: ServerRecord[] = await registry.listServers({ includeRemoved: opts.all ?? false });
        const byServer = new Map<string, DeploymentRecord[]>();
        for (const d of deployments) byServer.set(d.server, [...(byServer.get(d.server) ?? []), d]);
        if (opts.format === 'json') {
          json({
            servers: servers.map((s) => ({ ...s, deployments: byServer.get(s.name) ?? [] })),
            supervisor,
          });
          return;
        }
        if (servers.length === 0) {
          io.stdout(
            'No servers registered. Create one: mcp-deploy --spec FILE (or mcp-factory create --spec FILE --register)\n',
          );
          return;
        }
        const rows = servers.flatMap((s) => {
          const ds = byServer.get(s.name) ?? [];
          const base = [s.name, s.status, String(s.currentRevision), s.currentVersion];
          if (ds.length === 0) return [[...base, '-', '-', '-', '-', '-']];
          return ds.map((d) => [
            ...base,
            d.target,
            withReplicas(
              d,
              d.desired === d.status || d.status === 'failed' ? d.status : `${d.status}→${d.desired}`,
            ),
            pidOf(d),
            d.status === 'running' ? ago(d.startedAt) : '-',
            d.endpoint ?? '-',
          ]);
        });
        io.stdout(
          table(['NAME', 'STATUS', 'REV', 'VERSION', 'TARGET', 'STATE', 'PID', 'UP', 'ENDPOINT'], rows),
        );
      } finally {
        await registry.close();
      }
    });

  program
    .command('status')
    .description('details and live health of one server')
    .argument('<name>', 'server name')
    .option('--home <dir>', 'factory home')
    .addOption(formatOption())
    .action(async (name: string, opts: { home?: string; format: string }) => {
      await withPlane(opts, async (cp) => {
        const registry = await cp.registry();
        await registry.getServer(name); // REGISTRY_NOT_FOUND before anything else
        const supervisor = await superviseCheck(
          io,
          cp.supervisor,
          cp.layout.home,
          await registry.listDeployments({ server: name }),
          opts.format === 'json',
        );
        const report: ServerStatusReport = await cp.status(name);
        if (opts.format === 'json') {
          json({ ...report, supervisor });
          return;
        }
        const s = report.server;
        const out: string[] = [
          `${s.name}  ${s.status}  revision ${s.currentRevision} (${s.currentVersion}) of ${s.latestRevision}`,
        ];
        if (s.lastError) out.push(`  last error: ${s.lastError}`);
        if (report.deployments.length === 0) out.push(`  not deployed (mcp-deploy ${s.name})`);
        for (const d of report.deployments) {
          out.push('');
          out.push(
            `  deployment #${d.id} on ${d.target}: ${d.status} (desired ${d.desired}), revision ${d.revision}`,
          );
          if (d.endpoint) out.push(`    endpoint   ${d.endpoint}`);
          if (d.processId) out.push(`    pid        ${pidOf(d)}`);
          if (d.startedAt && d.status === 'running')
            out.push(`    up         ${ago(d.startedAt)} (since ${d.startedAt})`);
          const h = d.health;
          if (!h && describeReplicaCounts(d)) out.push(`    ${describeReplicaCounts(d)} (as last recorded)`);
          if (h) {
            const ms = h.responseMs !== undefined ? ` in ${h.responseMs} ms` : '';
            out.push(
              `    health     ${h.health}${ms}${h.detail ? ` — ${h.detail}` : ''} (checked ${h.checkedAt})`,
            );
            const rt = (h as { runtime?: { restarts?: number; adopted?: boolean } & ReplicaRuntime }).runtime;
            // Swarm reports {desired, running, healthy} and each replica; kubernetes a number of replicas.
            if (rt?.replicas && typeof rt.replicas === 'object') out.push(...describeReplicas(rt));
            else if (rt && describeReplicaCounts(d))
              out.push(`    ${describeReplicaCounts(d)} (available/desired)`);
            else if (rt)
              out.push(
                `    restarts   ${rt.restarts ?? 0}${rt.adopted ? ' (adopted by the current supervisor)' : ''}`,
              );
          }
          if (d.lastError) out.push(`    last error ${d.lastError}`);
        }
        out.push('');
        out.push(`  tools (${report.tools.length}): ${report.tools.map((t) => t.name).join(', ')}`);
        for (const t of report.triggers ?? []) out.push(`  ${describeTriggerSummary(t)}`);
        out.push(
          `  revisions: ${report.versions.map((v) => `${v.revision}${v.revision === s.currentRevision ? '*' : ''} ${v.version} ${v.artifactHash.slice(0, 12)}`).join(', ')}`,
        );
        io.stdout(`${out.join('\n')}\n`);
      });
    });

  program
    .command('logs')
    .description("a deployed server's output (stdout and stderr, with supervisor events)")
    .argument('<name>', 'server name')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('--tail <n>', 'lines from the end', '100')
    .option('--triggers', "the runs of the server's triggers (one line per attempt) instead of its output")
    .option('--home <dir>', 'factory home')
    .action(
      async (name: string, opts: { follow?: boolean; tail: string; home?: string; triggers?: boolean }) => {
        const tail = Number(opts.tail);
        if (!Number.isInteger(tail) || tail < 0)
          throw new FactoryError('INVALID_ARGUMENTS', `--tail ${opts.tail}: a number ≥ 0`);
        if (opts.triggers) {
          if (opts.follow)
            throw new FactoryError('INVALID_ARGUMENTS', '--triggers cannot be combined with --follow');
          await withPlane(opts, async (cp) => {
            const runs = await cp.triggerRuns(name, { limit: Math.min(Math.max(tail, 1), 1000) });
            for (const r of runs.reverse()) io.stdout(`${describeTriggerRun(r)}\n`);
          });
          return;
        }
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        if (opts.follow) process.once('SIGINT', onSignal);
        try {
          await withPlane(opts, async (cp) => {
            const registry = await cp.registry();
            await registry.getServer(name);
            await superviseCheck(
              io,
              cp.supervisor,
              cp.layout.home,
              await registry.listDeployments({ server: name }),
              false,
            );
            for await (const line of cp.logs(name, {
              tail,
              follow: opts.follow ?? false,
              signal: controller.signal,
            })) {
              io.stdout(`${line}\n`);
            }
          });
        } finally {
          process.off('SIGINT', onSignal);
        }
      },
    );

  for (const [verb, description] of [
    ['stop', 'stop a deployed server (it stays registered and deployed, desired state stopped)'],
    ['start', 'start a stopped (or failed) deployment again'],
    ['remove', 'stop and remove a server (versions and audit history are kept)'],
  ] as const) {
    program
      .command(verb)
      .description(description)
      .argument('<name>', 'server name')
      .option('--home <dir>', 'factory home')
      .addOption(formatOption())
      .action(async (name: string, opts: { home?: string; format: string }) => {
        await withPlane(opts, async (cp) => {
          await cp[verb](name, { actor: cliActor() });
          const [d] = (await cp.listDeployments()).filter(
            (x) => x.server === name && x.target === DEFAULT_TARGET,
          );
          if (opts.format === 'json') json({ ok: true, server: name, action: verb, deployment: d ?? null });
          else io.stdout(`✔ ${verb === 'remove' ? `${name} removed` : d ? describeDeployment(d) : name}\n`);
        });
      });
  }

  registerSupervisorCommand(program, io, helpers);
}

/** One line of `status` per trigger: what it calls, its runs by outcome and the newest one. */
export function describeTriggerSummary(t: TriggerSummary): string {
  const counts = Object.entries(t.counts)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  return `trigger #${t.trigger} ${t.type} → ${t.tool}: ${counts}; last ${t.lastOutcome} at ${t.lastStartedAt}`;
}

/** One line of `logs --triggers` per attempt. */
export function describeTriggerRun(r: TriggerRun): string {
  const error = r.error ? ` — ${r.error.replace(/\s+/g, ' ').slice(0, 300)}` : '';
  return `${r.startedAt} trigger #${r.trigger} ${r.type} → ${r.tool} attempt ${r.attempt} ${r.outcome} in ${Math.round(r.durationMs)} ms key ${r.key}${error}`;
}

/** `mcp-factory test NAME …` when NAME is not a directory: the same verbs against the deployed server. */
export async function testDeployed(
  io: DeployIo,
  helpers: DeployHelpers,
  name: string,
  tool: string | undefined,
  args: Record<string, unknown>,
  opts: { all?: boolean; list?: boolean; json: boolean; home?: string },
): Promise<void> {
  const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  await withPlane(opts, async (cp) => {
    try {
      await (await cp.registry()).getServer(name);
    } catch (error) {
      if (!(error instanceof FactoryError && error.code === 'REGISTRY_NOT_FOUND')) throw error;
      throw new FactoryError(
        'REGISTRY_NOT_FOUND',
        `${name}: there is no such directory, and no server named ${name} in the registry`,
        {
          details: { hint: `Pass ./${name} for a generated project, or deploy it first: mcp-deploy ${name}` },
        },
      );
    }
    if (opts.list) {
      const tools = await cp.listTools(name);
      if (opts.json) json({ server: name, tools });
      else for (const t of tools) io.stdout(`${t.name.padEnd(28)} ${t.description ?? ''}\n`);
      return;
    }
    if (opts.all) {
      const { protocolVersion, outcomes } = await cp.testDeployed(name);
      const failed = outcomes.filter((o) => o.status === 'failed').length;
      const passed = outcomes.filter((o) => o.status === 'passed').length;
      const skipped = outcomes.length - failed - passed;
      if (opts.json) json({ server: name, protocolVersion, passed, failed, skipped, outcomes });
      else {
        for (const o of outcomes)
          io.stdout(
            `${o.status === 'passed' ? '✔' : o.status === 'failed' ? '✖' : '–'} ${o.case.name}${o.reason ? `: ${o.reason}` : ''}\n`,
          );
        io.stdout(
          `${passed} passed, ${failed} failed, ${skipped} skipped (deployed ${name}, protocol ${protocolVersion ?? 'unknown'})\n`,
        );
      }
      if (failed) helpers.exit(5);
      return;
    }
    const outcome = await cp.callTool(name, tool!, args);
    if (opts.json) json({ server: name, tool, ...outcome });
    else io.stdout(`${outcome.text}\n`);
    if (outcome.isError) {
      if (!opts.json) io.stderr(`✖ ${tool} returned an error result\n`);
      helpers.exit(5);
    }
  });
}
