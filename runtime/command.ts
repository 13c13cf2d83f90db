/**
 * A command tool call: build and check the argv (command-argv.ts), run it on the policy's backend
 * (command-exec.ts), audit it, and answer `{ exitCode, signal, stdout, stderr, truncated, timedOut }`.
 * A run that did not exit 0 is the tool's error (isError) with the same structured content. Every run — and
 * every refused call — writes one `command` audit line: who (the OAuth subject, if any), tool, argv with secret
 * parameters redacted, backend, exit, duration, bytes of output.
 */
import { type CommandDefinition, isInside, prepareCommand } from './command-argv.js';
import { type AgentTarget, BACKENDS, type ExecResult, type SshTarget } from './command-exec.js';
import { requireEnv, ToolError, ToolFailure } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export type { CommandDefinition } from './command-argv.js';

export interface CommandCallContext {
  log: Logger;
  signal: AbortSignal;
  user?: { subject: string } | undefined;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
}

/** Runs one call of a command tool; resolves with the result when the program exits 0. */
export async function runCommand(
  def: CommandDefinition,
  args: Record<string, unknown>,
  ctx: CommandCallContext,
  metrics?: Metrics,
): Promise<CommandResult> {
  const backend = BACKENDS[def.policy.backend];
  const who = ctx.user?.subject;
  const audit = { tool: def.tool, backend: def.policy.backend, ...(who ? { subject: who } : {}) };
  if (!backend) throw new ToolError(`unknown execution backend "${def.policy.backend}"`);
  let prepared: ReturnType<typeof prepareCommand>;
  let ssh: SshTarget | undefined;
  let agent: AgentTarget | undefined;
  try {
    ssh = def.policy.ssh ? sshTarget(def.policy.ssh) : undefined;
    agent = def.policy.agent ? agentTarget(def.policy.agent) : undefined;
    prepared = prepareCommand(def, args);
    // A remote command starts in the user's home (ssh) or the agent's first root; a sandbox only has its
    // roots and a private /tmp.
    const sandboxed = def.policy.backend === 'bwrap' || def.policy.backend === 'docker';
    const cwd = prepared.cwd ?? prepared.roots[0]?.path ?? (ssh || agent ? undefined : '/tmp');
    if (sandboxed && cwd !== '/tmp' && !prepared.roots.some((r) => cwd && isInside(cwd, r.path)))
      throw new ToolError(`cwd ${cwd} is not inside a root of the policy`);
    prepared.cwd = cwd;
  } catch (error) {
    ctx.log.warn('command refused', {
      ...audit,
      reason: error instanceof Error ? error.message : String(error),
    });
    metrics?.observeCommand?.(def.tool, def.policy.backend, 'refused', 0, 0);
    throw error;
  }
  let result: ExecResult;
  try {
    result = await backend.run(
      [prepared.program, ...prepared.args],
      {
        env: prepared.env,
        cwd: prepared.cwd,
        stdin: prepared.stdin,
        timeoutMs: def.timeoutMs,
        maxOutputBytes: def.maxOutputBytes,
        limits: def.policy.limits,
        roots: prepared.roots,
        network: def.policy.network,
        runAs: def.policy.runAs,
        image: def.policy.docker?.image,
        ssh,
        agent,
      },
      ctx.signal,
    );
  } catch (error) {
    // A remote authority (the host agent) refused the call: nothing ran.
    ctx.log.warn('command refused', {
      ...audit,
      reason: error instanceof Error ? error.message : String(error),
    });
    metrics?.observeCommand?.(def.tool, def.policy.backend, 'refused', 0, 0);
    throw error;
  }
  const bytesOut = Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr);
  const outcome = result.timedOut ? 'timeout' : result.exitCode === 0 ? 'ok' : 'failed';
  ctx.log.info('command', {
    ...audit,
    argv: [prepared.program, ...prepared.auditArgs],
    exitCode: result.exitCode,
    signal: result.signal,
    outcome,
    durationMs: result.durationMs,
    bytesOut,
    truncated: result.truncated,
  });
  metrics?.observeCommand?.(def.tool, def.policy.backend, outcome, result.durationMs / 1000, bytesOut);
  const structured: CommandResult = {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    truncated: result.truncated,
    timedOut: result.timedOut,
  };
  if (result.exitCode !== 0) throw new ToolFailure(failureMessage(def, structured), { ...structured });
  return structured;
}

/** The ssh target with its secrets read from the environment now (a rotated key applies to the next call). */
function sshTarget(ssh: NonNullable<CommandDefinition['policy']['ssh']>): SshTarget {
  const hostKey = ssh.hostKey ?? (ssh.hostKeyEnv ? requireEnv(ssh.hostKeyEnv) : undefined);
  if (!hostKey) throw new ToolError('the ssh backend needs a pinned host key');
  return {
    host: ssh.host,
    port: ssh.port,
    user: ssh.user,
    hostKey,
    privateKey: requireEnv(ssh.privateKeyEnv),
  };
}

/** The agent's address and key, read from the environment now (a rotated key applies to the next call). */
function agentTarget(names: NonNullable<CommandDefinition['policy']['agent']>): AgentTarget {
  return { url: requireEnv(names.urlEnv), keyId: requireEnv(names.keyIdEnv), key: requireEnv(names.keyEnv) };
}

function failureMessage(def: CommandDefinition, r: CommandResult): string {
  const how = r.timedOut
    ? `timed out after ${def.timeoutMs} ms`
    : r.truncated
      ? `was stopped: its output went over ${def.maxOutputBytes} bytes`
      : r.exitCode === null
        ? `was killed by ${r.signal}`
        : `exited with code ${r.exitCode}`;
  return `${JSON.stringify(r, null, 2)}\n\nthe command ${how}`;
}
