/**
 * Process entry of the supervisor, as the control plane starts it on demand (detached, stdout/stderr on
 * `<home>/logs/supervisor.log`): `node dist/cli/supervisor-daemon.js --home DIR`. The registry URL, when not the
 * home's SQLite file, comes from MCP_FACTORY_REGISTRY_URL (never the command line, where `ps` would show a
 * password). `mcp-factory supervisor --foreground` runs the same loop in the foreground.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FactoryError } from '../../core/errors/index.js';
import { Supervisor } from '../../deploy/targets/local/supervisor.js';
import { loadConfig } from '../../platform/config.js';
import { defaultHome } from '../../store/index.js';

/** Run a supervisor until SIGTERM/SIGINT or a shutdown request; resolves to an exit code. */
export async function runSupervisorProcess(options: {
  home: string;
  registryUrl?: string | undefined;
  write: (line: string) => void;
}): Promise<number> {
  let supervisor: Supervisor;
  try {
    supervisor = await Supervisor.start({
      home: options.home,
      registryUrl: options.registryUrl,
      log: (line) => options.write(`${line}\n`),
    });
  } catch (error) {
    const e = error as FactoryError;
    options.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'supervisor could not start', code: e.code ?? 'INTERNAL', error: e.message })}\n`,
    );
    return e instanceof FactoryError ? 6 : 70;
  }
  const stop = () => void supervisor.stop();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await supervisor.done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return 0;
}

function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMain()) {
  const { values } = parseArgs({ options: { home: { type: 'string' } }, strict: true });
  process.exitCode = await runSupervisorProcess({
    home: values.home ?? defaultHome(),
    registryUrl: loadConfig().registryUrl,
    write: (line) => process.stderr.write(line),
  });
}
