/**
 * The verbs that read server state (list, status, logs) check that a supervisor watches the local deployments
 * the registry records as active. Without one a crashed server is never restarted, so the verb starts the
 * supervisor again when it may (the local default: it adopts the live servers and restarts the dead ones), and
 * otherwise says so loudly: a warning line on stderr and a `supervisor` field in JSON output.
 */
import type { SupervisorLink } from '../../deploy/targets/local/link.js';
import { findMarkedProcesses } from '../../deploy/targets/local/proc.js';
import { activeLocalDeployments, liveProcessOf } from '../../deploy/targets/local/unsupervised.js';
import type { DeploymentRecord } from '../../store/index.js';

/** The `supervisor` field of JSON output. */
export interface SupervisorState {
  running: boolean;
  pid: number | null;
  /** This command started it (it was not running while local deployments were recorded as active). */
  restarted: boolean;
  /** Servers recorded as running locally that no supervisor was watching when the command began. */
  unsupervised: string[];
  /** Of those, the ones whose process is gone (verified through /proc). */
  notRunning: string[];
  /** Set when servers stay unsupervised: what is wrong and what to do. */
  warning: string | null;
}

export interface SupervisorCheckOptions {
  home: string;
  /** Start a supervisor when none runs (MCP_FACTORY_SUPERVISOR_AUTOSTART, default on). */
  autoStart: boolean;
}

const unique = (names: string[]) => [...new Set(names)].sort();

/** Ping the supervisor; when none answers while local deployments are active, restart it or warn. */
export async function checkSupervisor(
  link: SupervisorLink,
  deployments: readonly DeploymentRecord[],
  options: SupervisorCheckOptions,
): Promise<SupervisorState> {
  const info = await link.ping();
  const state: SupervisorState = {
    running: Boolean(info),
    pid: info?.pid ?? null,
    restarted: false,
    unsupervised: [],
    notRunning: [],
    warning: null,
  };
  const active = activeLocalDeployments(deployments);
  if (info || active.length === 0) return state;
  const marked = findMarkedProcesses(options.home);
  state.unsupervised = unique(active.map((d) => d.server));
  state.notRunning = unique(active.filter((d) => !liveProcessOf(d, marked)).map((d) => d.server));
  let failure = '';
  if (options.autoStart) {
    try {
      const started = await link.ensure();
      // One reconcile pass: it adopts the live servers and records the dead ones before we print anything.
      await link.nudge().catch(() => undefined);
      return { ...state, running: true, pid: started.pid, restarted: true };
    } catch (error) {
      failure = ` Starting it failed: ${(error as Error).message}.`;
    }
  } else {
    failure = ' MCP_FACTORY_SUPERVISOR_AUTOSTART is off, so this command does not start one.';
  }
  const gone = state.notRunning.length ? ` (not running any more: ${state.notRunning.join(', ')})` : '';
  state.warning =
    `no supervisor is running for ${options.home}: ${state.unsupervised.length} server(s) recorded as running ` +
    `are unsupervised, with no crash recovery: ${state.unsupervised.join(', ')}${gone}.${failure} ` +
    'Start it: mcp-factory supervisor start (for crashes and reboots: mcp-factory supervisor install).';
  return state;
}

/** The stderr lines of a check for people (nothing when all is well). */
export function describeSupervisorState(state: SupervisorState): string {
  if (state.warning) return `⚠ WARNING: ${state.warning}\n`;
  if (state.restarted)
    return `! the supervisor was not running while ${state.unsupervised.length} server(s) were recorded as running (${state.unsupervised.join(', ')}); started it again (pid ${state.pid}): it adopts the live servers and restarts the others\n`;
  return '';
}
