/**
 * How the supervisor starts one server: inside the sandbox (platform/sandbox) — the factory home hidden but for
 * the revision's project directory (read-only) and the server's data directory (`<home>/data/<name>`,
 * read-write), a non-root uid, its own PID namespace, rlimits — and, unless its spec needs the network, in a
 * private network namespace serving on a listening socket the supervisor opens and passes in (listen.ts).
 *
 * Without a working sandbox the server is not started (SANDBOX_UNAVAILABLE) unless its deployment was made with
 * `--unsafe-no-sandbox`, which leaves UNSAFE_MARKER in the server's directory of the home; then it runs
 * unconfined, as before, and says so in its log and in the supervisor's runtime report.
 *
 * The supervisor identifies its servers by the markers in their environment (proc.ts): they stay on the bwrap
 * process, which is the one the supervisor manages and signals (its process group holds the payload), and are
 * removed from the payload's environment, which has no business knowing where the factory home is.
 */
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../../core/errors/index.js';
import type { HomeLayout } from '../../../platform/home.js';
import {
  copyOwnedBy,
  detectSandbox,
  listenFdNodeArgs,
  nodeHeapArgs,
  openListener,
  type PassedListener,
  SERVER_LIMITS,
  sandboxCommand,
  serverSandboxUid,
} from '../../../platform/sandbox/index.js';
import { MARKER_CONFIG, MARKER_DEPLOYMENT, MARKER_HOME } from './proc.js';
import type { Expected } from './state.js';

/** In `<home>/servers/<name>/`: this server may run unconfined when no sandbox is available. */
export const UNSAFE_MARKER = 'UNSAFE-NO-SANDBOX';

export type SandboxKind = 'bwrap' | 'none';

export interface Launch {
  file: string;
  args: string[];
  /** Descriptors to pass after stdin/stdout/stderr (fd 3 …). */
  fds: number[];
  sandbox: SandboxKind;
  /** Network of the sandbox: 'none' when the server only gets its passed socket. */
  network: 'none' | 'host' | undefined;
  /** Release what the supervisor opened for the child (after spawn). */
  release(): void;
}

export function dataDir(layout: HomeLayout, server: string): string {
  return join(layout.home, 'data', server);
}

export function unsafeMarker(layout: HomeLayout, server: string): string {
  return join(layout.serverDir(server), UNSAFE_MARKER);
}

/** Record (or clear) that a server may run without a sandbox; written by `deploy --unsafe-no-sandbox`. */
export function setUnsafeNoSandbox(layout: HomeLayout, server: string, allowed: boolean): void {
  const file = unsafeMarker(layout, server);
  if (!allowed) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(layout.serverDir(server), { recursive: true });
  writeFileSync(file, `${new Date().toISOString()} deployed with --unsafe-no-sandbox\n`, { mode: 0o600 });
}

function serverArgs(expected: Expected): string[] {
  return [expected.bundle, '--transport', 'http', '--host', '127.0.0.1', '--port', String(expected.port)];
}

/** The server's data directory, created 0700 and owned by the sandbox's uid when the factory is root. */
function ensureDataDir(layout: HomeLayout, server: string, uid: number | undefined): string {
  const dir = dataDir(layout, server);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (uid !== undefined) chownSync(dir, uid, uid);
  return dir;
}

/**
 * A project's shipped SQLite databases (`data/` of the revision) are state: the first sandboxed start copies them
 * into the server's data directory (`shipped/`), which is then mounted over the read-only `data/` — so writes
 * land outside the revision, survive restarts and redeploys, and the revision stays as it was built.
 */
function shippedData(
  projectDir: string,
  data: string,
  uid: number | undefined,
): { from: string; to: string }[] {
  const source = join(projectDir, 'data');
  if (!existsSync(source)) return [];
  const copy = join(data, 'shipped');
  if (!existsSync(copy)) copyOwnedBy(source, copy, uid);
  return [{ from: copy, to: source }];
}

/**
 * The command that starts `expected` for deployment `deploymentId`. `listener` (optional): open the server's
 * port here and pass it in, which lets a server without network needs run in a private network namespace;
 * without it the server listens itself and keeps the host network.
 */
export async function prepareLaunch(
  layout: HomeLayout,
  deploymentId: number,
  server: string,
  expected: Expected,
  options: { listener: boolean } = { listener: true },
): Promise<Launch> {
  const base = launchBase(layout, deploymentId, server, expected);
  if (base.sandbox === 'none' || !options.listener) return base.build(undefined);
  const listener = await openListener(expected.port);
  try {
    return base.build(listener);
  } catch (error) {
    listener.close();
    throw error;
  }
}

/** The same without a passed socket (host network): for callers that cannot wait. */
export function prepareLaunchSync(
  layout: HomeLayout,
  deploymentId: number,
  server: string,
  expected: Expected,
): Launch {
  return launchBase(layout, deploymentId, server, expected).build(undefined);
}

function launchBase(
  layout: HomeLayout,
  deploymentId: number,
  server: string,
  expected: Expected,
): { sandbox: SandboxKind; build: (listener: PassedListener | undefined) => Launch } {
  const support = detectSandbox();
  if (!support.available) {
    if (!existsSync(unsafeMarker(layout, server))) {
      throw new FactoryError(
        'SANDBOX_UNAVAILABLE',
        `${server} was not started: no sandbox is available (${support.reason})`,
        { details: { server, reason: support.reason } },
      );
    }
    return {
      sandbox: 'none',
      build: () => ({
        file: process.execPath,
        args: serverArgs(expected),
        fds: [],
        sandbox: 'none',
        network: undefined,
        release: () => undefined,
      }),
    };
  }
  const uid = support.mode === 'setuid' ? serverSandboxUid(layout.home, deploymentId) : undefined;
  return {
    sandbox: 'bwrap',
    build: (listener) => {
      const data = ensureDataDir(layout, server, uid);
      const network = listener && expected.network !== 'host' ? 'none' : 'host';
      const command = sandboxCommand(support, {
        command: [
          process.execPath,
          ...nodeHeapArgs(SERVER_LIMITS),
          ...(listener ? listenFdNodeArgs() : []),
          ...serverArgs(expected),
        ],
        readOnly: [expected.projectDir, ...(expected.binds?.readOnly ?? [])],
        readWrite: [data, ...(expected.binds?.readWrite ?? [])],
        mounts: shippedData(expected.projectDir, data, uid).map((m) => ({ ...m, writable: true })),
        hide: [layout.home],
        network,
        chdir: expected.projectDir,
        uid: uid ?? 65534,
        // Servers outlive the supervisor (the next one adopts them); the PID namespace ends with its init.
        dieWithParent: false,
        // Spawned detached (own session, no terminal): the payload stays in the process group the supervisor
        // signals.
        newSession: false,
        unsetEnv: [MARKER_HOME, MARKER_DEPLOYMENT, MARKER_CONFIG],
        // HOME and TMPDIR of the payload: its data directory and the private /tmp.
        setEnv: { HOME: data, TMPDIR: '/tmp' },
        limits: SERVER_LIMITS,
      });
      return {
        file: command.file,
        args: command.args,
        fds: listener ? [listener.fd] : [],
        sandbox: 'bwrap',
        network,
        release: () => listener?.close(),
      };
    },
  };
}
