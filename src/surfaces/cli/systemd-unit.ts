/**
 * The systemd unit of `mcp-factory supervisor install`: the supervisor of one factory home in the foreground,
 * restarted by systemd after a crash and started at boot, so local deployments never stay unsupervised.
 *
 * KillMode=process: stopping or restarting the unit ends the supervisor only; the servers (detached, in their
 * own sessions) keep running and the next supervisor adopts them, as after any supervisor restart. The registry
 * URL and tuning variables go to an EnvironmentFile in the home (mode 0600), never into the unit, which is
 * world-readable.
 */
import { FactoryError } from '../../core/errors/index.js';

export type UnitScope = 'user' | 'system';

export const UNIT_NAME = 'mcp-factory-supervisor.service';

export interface UnitOptions {
  scope: UnitScope;
  /** The Node binary (process.execPath). */
  node: string;
  /** The supervisor's process entry (supervisor-daemon.js). */
  entry: string;
  /** The factory home (absolute). */
  home: string;
  /** system scope: the account the supervisor runs as (the owner of the home). */
  user?: string | undefined;
}

/** A value systemd reads literally: no control characters (a new line would add a directive), `%` escaped. */
function literal(value: string, what: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `${what} contains a control character: ${JSON.stringify(value)}`,
    );
  return value.replaceAll('%', '%%');
}

/** A double-quoted value (Environment=, ExecStart= words): backslash escapes inside the quotes. */
function quoted(value: string, what: string): string {
  return `"${literal(value, what).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** One ExecStart= word: quoted, and `$` doubled (ExecStart= alone expands $VARIABLES). */
function word(value: string, what: string): string {
  return quoted(value, what).replaceAll('$', '$$$$');
}

export function environmentFile(home: string): string {
  return `${home}/supervisor.env`;
}

export function renderUnit(options: UnitOptions): string {
  const { scope, home } = options;
  if (!home.startsWith('/'))
    throw new FactoryError('INVALID_ARGUMENTS', `the home must be absolute: ${home}`);
  const user = options.user;
  if (scope === 'system' && (!user || !/^[a-z_][a-z0-9_.-]*\$?$/i.test(user)))
    throw new FactoryError('INVALID_ARGUMENTS', `not a user name for User=: ${JSON.stringify(user ?? '')}`);
  const exec = [options.node, options.entry, '--home', home].map((v, i) =>
    word(v, ['node', 'entry', '', 'home'][i]!),
  );
  return [
    '# Written by `mcp-factory supervisor install`: the supervisor of local MCP Factory deployments.',
    `# Registry URL and tuning: ${environmentFile(home)} (KEY=VALUE lines, mode 0600), e.g. MCP_FACTORY_REGISTRY_URL=…`,
    '[Unit]',
    `Description=MCP Factory supervisor (${literal(home, 'home')})`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...(scope === 'system' ? [`User=${user}`] : []),
    // Taken verbatim (no quoting here, unlike ExecStart= and Environment=).
    `WorkingDirectory=${literal(home, 'home')}`,
    `Environment=${quoted(`MCP_FACTORY_HOME=${home}`, 'home')}`,
    `EnvironmentFile=-${literal(environmentFile(home), 'home')}`,
    `ExecStart=${exec.join(' ')}`,
    'Restart=always',
    'RestartSec=2',
    // Servers outlive the supervisor and are adopted by the next one: stop only the supervisor's process.
    'KillMode=process',
    'TimeoutStopSec=30',
    '',
    '[Install]',
    `WantedBy=${scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}

/** Where a unit goes by default: ~/.config/systemd/user/ or /etc/systemd/system/. */
export function defaultUnitPath(scope: UnitScope, userHome: string): string {
  return scope === 'system'
    ? `/etc/systemd/system/${UNIT_NAME}`
    : `${userHome}/.config/systemd/user/${UNIT_NAME}`;
}

/** What to run after writing the unit. */
export function enableCommands(scope: UnitScope): string[] {
  const ctl = scope === 'system' ? 'systemctl' : 'systemctl --user';
  return [
    `${ctl} daemon-reload`,
    `${ctl} enable --now ${UNIT_NAME}`,
    ...(scope === 'user' ? ['loginctl enable-linger "$USER"   # start at boot, not at first login'] : []),
  ];
}
