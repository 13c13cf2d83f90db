/**
 * Users and teams on the command line: `mcp-factory user add|list|show|set|passwd|disable|enable|logins` and
 * `mcp-factory team add|list|remove`, plus what `token create --user` and `token update` need (a personal
 * token's owner, team and role). A thin layer over UserAdmin (src/identity/users.ts), which checks names,
 * roles, teams, emails and passwords and writes the audit trail. The CLI is the local user, trusted like the shell that runs it: it
 * manages every user and team. Passwords come from stdin (`--password-stdin`, the first line), never from an
 * argument, so they stay out of shell history and `ps`. Every refusal is a FactoryError thrown before anything
 * is written; this file prints, main.ts maps errors to exit codes.
 */
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import type { Role } from '../../identity/roles.js';
import type { UserAdmin } from '../../identity/users.js';
import { loadConfig } from '../../platform/config.js';
import type { Registry, UserRecord } from '../../store/index.js';
import { addHomeOptions, type HomeOptions, intArg, localActor, type ServeIo } from './serve.js';

/** Read at most this much of stdin looking for the password line (the password rule allows 256 characters). */
const STDIN_CAP = 64 * 1024;

interface Local {
  registry: Registry;
  admin: UserAdmin;
  subject: { kind: 'local'; name: string };
  actor: string;
}

type Format = { format: string };

/** Open the registry of the home, run `fn` as the local user, close it. */
async function asLocalUser<T>(opts: HomeOptions, fn: (local: Local) => Promise<T>): Promise<T> {
  const [{ defaultHome, openRegistry }, { UserAdmin }] = await Promise.all([
    import('../../store/index.js'),
    import('../../identity/users.js'),
  ]);
  const registry = await openRegistry({
    home: opts.home ?? defaultHome(),
    url: opts.registry ?? loadConfig().registryUrl,
  });
  try {
    const actor = localActor('cli');
    return await fn({
      registry,
      admin: new UserAdmin(registry),
      subject: { kind: 'local', name: actor },
      actor,
    });
  } catch (error) {
    throw withHint(error);
  } finally {
    await registry.close();
  }
}

/** The registry's not-found and conflict hints speak of servers; about users and teams, say what to run. */
function withHint(error: unknown): unknown {
  if (!(error instanceof FactoryError) || error.details?.hint !== undefined) return error;
  const details = error.details ?? {};
  let hint: string | undefined;
  if (error.code === 'REGISTRY_NOT_FOUND' && details.team !== undefined)
    hint = 'Create the team first: mcp-factory team add NAME (mcp-factory team list shows the teams).';
  else if (error.code === 'REGISTRY_NOT_FOUND' && details.user !== undefined)
    hint = 'mcp-factory user list shows the users.';
  else if (error.code === 'REGISTRY_CONFLICT' && details.team !== undefined)
    hint = error.message.includes('still has')
      ? 'Only an empty team is removed: move its users first (mcp-factory user set NAME --team OTHER or --no-team).'
      : 'mcp-factory team list shows the teams.';
  else if (error.code === 'REGISTRY_CONFLICT' && details.user !== undefined)
    hint = 'Choose another name, or change the existing user with mcp-factory user set NAME.';
  if (hint === undefined) return error;
  return new FactoryError(error.code, error.message, {
    issues: error.issues,
    details: { ...details, hint },
    cause: error,
  });
}

/** The first line of `input` (a trailing CR LF or LF stripped); reading stops there. */
export async function readPasswordLine(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let bytes = Buffer.alloc(0);
  let line: Buffer | undefined;
  for await (const chunk of input) {
    bytes = Buffer.concat([bytes, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    const newline = bytes.indexOf(0x0a);
    if (newline >= 0) {
      line = bytes.subarray(0, newline);
      break;
    }
    if (bytes.length > STDIN_CAP)
      throw new FactoryError('AUTH_WEAK_PASSWORD', 'the password on stdin is longer than 256 characters');
  }
  line ??= bytes;
  const text = line.toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

async function passwordFromStdin(io: ServeIo): Promise<string> {
  if (process.stdin.isTTY) io.stderr('Password (one line; it is echoed): ');
  const password = await readPasswordLine();
  // Refused before the registry is opened: a weak password writes nothing.
  const { passwordProblem, MIN_PASSWORD, MAX_PASSWORD } = await import('../../identity/passwords.js');
  const problem = passwordProblem(password);
  if (problem)
    throw new FactoryError('AUTH_WEAK_PASSWORD', problem, {
      details: { min: MIN_PASSWORD, max: MAX_PASSWORD },
    });
  return password;
}

function formatOption(): Option {
  return new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
}

function json(io: ServeIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

function table(io: ServeIo, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    io.stdout(
      `${row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()}\n`,
    );
}

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

function describeUser(user: UserRecord): string {
  return `${user.role}${user.team ? `, team ${user.team}` : ', no team'}${user.hasPassword ? ', password set' : ', no password (OIDC sign-in only)'}`;
}

const ROLE_HELP = 'admin, operator, developer, reviewer or viewer';

function registerUserCommands(program: Command, io: ServeIo): void {
  const user = program.command('user').description('users of the factory (sign-in, roles, teams)');

  addHomeOptions(
    user
      .command('add')
      .description('add a user; without --password-stdin it signs in through OIDC only')
      .argument('<name>', 'user name (1-64 of A-Z a-z 0-9 . _ @ -)')
      .requiredOption('--role <role>', `role: ${ROLE_HELP}`)
      .option('--team <team>', 'team (tenant) of the user; the team must exist (mcp-factory team add)')
      .option('--email <email>', 'email address')
      .option('--password-stdin', 'read the password from the first line of stdin (10-256 characters)')
      .addOption(formatOption()),
  ).action(
    async (
      name: string,
      opts: HomeOptions & Format & { role: string; team?: string; email?: string; passwordStdin?: boolean },
    ) => {
      const password = opts.passwordStdin ? await passwordFromStdin(io) : undefined;
      const created = await asLocalUser(opts, (l) =>
        l.admin.create(l.subject, l.actor, {
          name,
          role: opts.role,
          team: opts.team,
          email: opts.email,
          password,
        }),
      );
      if (opts.format === 'json') return json(io, created);
      io.stderr(`Created user "${created.name}" (${describeUser(created)}).\n`);
    },
  );

  addHomeOptions(
    user
      .command('list')
      .description('list the users')
      .option('--team <team>', 'only the users of this team')
      .addOption(formatOption()),
  ).action(async (opts: HomeOptions & Format & { team?: string }) => {
    const users = await asLocalUser(opts, async (l) => {
      if (
        opts.team !== undefined &&
        !(await l.registry.identity.listTeams()).some((t) => t.name === opts.team)
      )
        throw new FactoryError('REGISTRY_NOT_FOUND', `no team "${opts.team}"`, {
          details: { team: opts.team },
        });
      const all = await l.admin.list(l.subject);
      return opts.team === undefined ? all : all.filter((u) => u.team === opts.team);
    });
    if (opts.format === 'json') return json(io, users);
    if (users.length === 0) {
      io.stdout('No users. Add one: mcp-factory user add NAME --role ROLE [--password-stdin]\n');
      return;
    }
    table(
      io,
      ['NAME', 'ROLE', 'TEAM', 'EMAIL', 'SIGN-IN', 'CREATED', 'STATE'],
      users.map((u) => [
        u.name,
        u.role,
        u.team ?? '-',
        u.email ?? '-',
        [u.hasPassword ? 'password' : '', u.oidcSubject ? 'oidc' : ''].filter(Boolean).join(',') || 'oidc',
        day(u.createdAt),
        u.disabledAt ? `disabled ${u.disabledAt.slice(0, 10)}` : 'active',
      ]),
    );
  });

  addHomeOptions(
    user
      .command('show')
      .description("a user's details and personal tokens")
      .argument('<name>', 'user name')
      .addOption(formatOption()),
  ).action(async (name: string, opts: HomeOptions & Format) => {
    const found = await asLocalUser(opts, (l) => l.admin.get(l.subject, name));
    const { withTokens } = await import('./serve.js');
    const tokens = (await withTokens(opts, (store) => store.list()))
      .filter((t) => t.owner === found.name)
      .map((t) => ({ name: t.name, id: t.id, role: t.role, expiresAt: t.expiresAt }));
    if (opts.format === 'json') return json(io, { ...found, tokens });
    const lines: Array<[string, string]> = [
      ['name', found.name],
      ['role', found.role],
      ['team', found.team ?? '-'],
      ['email', found.email ?? '-'],
      ['password', found.hasPassword ? 'set' : 'none (OIDC sign-in only)'],
      ['oidc', found.oidcSubject ?? '-'],
      ['state', found.disabledAt ? `disabled since ${day(found.disabledAt)}` : 'active'],
      ['created', day(found.createdAt)],
      ['updated', day(found.updatedAt)],
      [
        'tokens',
        tokens.length
          ? tokens.map((t) => `${t.name} (${t.role}, expires ${day(t.expiresAt)})`).join(', ')
          : '-',
      ],
    ];
    for (const [k, v] of lines) io.stdout(`${`${k}:`.padEnd(10)}${v}\n`);
  });

  addHomeOptions(
    user
      .command('set')
      .description(
        "change a user's role, team or email (ends the user's sign-in sessions on role/team change)",
      )
      .argument('<name>', 'user name')
      .option('--role <role>', `new role: ${ROLE_HELP}`)
      .option('--team <team>', 'move the user to this team (it must exist)')
      .option('--no-team', 'take the user out of its team')
      .option('--email <email>', 'new email address')
      .option('--no-email', 'remove the email address')
      .option(
        '--oidc-subject <issuer|sub>',
        'link the user to this OIDC identity (the issuer URL, |, the subject)',
      )
      .option('--no-oidc-subject', 'unlink the OIDC identity')
      .addOption(formatOption()),
  ).action(
    async (
      name: string,
      opts: HomeOptions &
        Format & {
          role?: string;
          team?: string | false;
          email?: string | false;
          oidcSubject?: string | false;
        },
    ) => {
      const change = {
        role: opts.role,
        team: opts.team === false ? null : opts.team,
        email: opts.email === false ? null : opts.email,
        oidcSubject: opts.oidcSubject === false ? null : opts.oidcSubject,
      };
      if (Object.values(change).every((v) => v === undefined))
        throw new FactoryError(
          'INVALID_ARGUMENTS',
          'nothing to change: give --role, --team, --no-team, --email, --no-email or --oidc-subject',
        );
      const changed = await asLocalUser(opts, (l) => l.admin.change(l.subject, l.actor, name, change));
      if (opts.format === 'json') return json(io, changed);
      io.stderr(`Changed user "${changed.name}" (${describeUser(changed)}).\n`);
    },
  );

  addHomeOptions(
    user
      .command('passwd')
      .description("set a user's password (ends the user's sign-in sessions)")
      .argument('<name>', 'user name')
      .option('--password-stdin', 'read the new password from the first line of stdin (10-256 characters)')
      .addOption(formatOption()),
  ).action(async (name: string, opts: HomeOptions & Format & { passwordStdin?: boolean }) => {
    if (!opts.passwordStdin)
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        'give the new password on stdin: printf "%s\\n" "$PASSWORD" | mcp-factory user passwd NAME --password-stdin',
      );
    const password = await passwordFromStdin(io);
    const changed = await asLocalUser(opts, (l) => l.admin.change(l.subject, l.actor, name, { password }));
    if (opts.format === 'json') return json(io, changed);
    io.stderr(`Set the password of user "${changed.name}"; its sessions were ended.\n`);
  });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const)
    addHomeOptions(
      user
        .command(verb)
        .description(
          disabled
            ? 'disable a user: sign-in refused, sessions ended, personal tokens refused'
            : 'enable a disabled user again',
        )
        .argument('<name>', 'user name')
        .addOption(formatOption()),
    ).action(async (name: string, opts: HomeOptions & Format) => {
      const changed = await asLocalUser(opts, (l) => l.admin.change(l.subject, l.actor, name, { disabled }));
      if (opts.format === 'json') return json(io, changed);
      io.stderr(`${disabled ? 'Disabled' : 'Enabled'} user "${changed.name}".\n`);
    });

  addHomeOptions(
    user
      .command('logins')
      .description('sign-in history, newest first (successful and refused attempts)')
      .argument('[name]', 'only the attempts with this user name')
      .option('--limit <n>', 'at most this many entries', intArg(1, 10_000), 50)
      .addOption(formatOption()),
  ).action(async (name: string | undefined, opts: HomeOptions & Format & { limit: number }) => {
    const logins = await asLocalUser(opts, (l) =>
      l.registry.identity.listLogins({ ...(name !== undefined ? { name } : {}), limit: opts.limit }),
    );
    if (opts.format === 'json') return json(io, logins);
    if (logins.length === 0) {
      io.stdout(name === undefined ? 'No sign-ins recorded.\n' : `No sign-ins recorded for "${name}".\n`);
      return;
    }
    table(
      io,
      ['AT', 'NAME', 'RESULT', 'ADDRESS', 'REASON'],
      logins.map((e) => [
        e.at.slice(0, 19).replace('T', ' '),
        e.name,
        e.ok ? 'ok' : 'refused',
        e.address ?? '-',
        e.reason,
      ]),
    );
  });
}

function registerTeamCommands(program: Command, io: ServeIo): void {
  const team = program.command('team').description('teams (tenants): their users and servers');

  addHomeOptions(
    team.command('add').description('add a team').argument('<name>', 'team name').addOption(formatOption()),
  ).action(async (name: string, opts: HomeOptions & Format) => {
    const created = await asLocalUser(opts, (l) => l.admin.createTeam(l.subject, l.actor, name));
    if (opts.format === 'json') return json(io, created);
    io.stderr(`Created team "${created.name}".\n`);
  });

  addHomeOptions(
    team.command('list').description('list the teams with their users and servers').addOption(formatOption()),
  ).action(async (opts: HomeOptions & Format) => {
    const teams = await asLocalUser(opts, (l) => l.registry.identity.listTeams());
    if (opts.format === 'json') return json(io, teams);
    if (teams.length === 0) {
      io.stdout('No teams. Add one: mcp-factory team add NAME\n');
      return;
    }
    table(
      io,
      ['NAME', 'USERS', 'SERVERS', 'CREATED'],
      teams.map((t) => [t.name, String(t.users), String(t.servers), day(t.createdAt)]),
    );
  });

  addHomeOptions(
    team
      .command('remove')
      .description('remove an empty team (no users, no servers)')
      .argument('<name>', 'team name')
      .addOption(formatOption()),
  ).action(async (name: string, opts: HomeOptions & Format) => {
    await asLocalUser(opts, (l) => l.admin.deleteTeam(l.subject, l.actor, name));
    if (opts.format === 'json') return json(io, { removed: name });
    io.stderr(`Removed team "${name}".\n`);
  });
}

/**
 * Owner, team and role of a personal token (`token create --user NAME`): the user must exist and be enabled;
 * the role defaults to the user's and may only be the user's own or viewer (a token never has more than its
 * owner). Checked before the token is made.
 */
/** The owner of a personal token: it must exist and be enabled (to make a token, or to change one). */
async function enabledOwner(opts: HomeOptions, userName: string): Promise<UserRecord> {
  const found = await asLocalUser(opts, (l) => l.admin.get(l.subject, userName));
  if (found.disabledAt)
    throw new FactoryError('AUTH_ROLE_NOT_ALLOWED', `user "${found.name}" is disabled`, {
      details: { user: found.name, hint: `Enable the user first: mcp-factory user enable ${found.name}` },
    });
  return found;
}

/** The role of a personal token's owner now (`token update` gives the token at most it, or viewer). */
export async function tokenOwnerRole(opts: HomeOptions, userName: string): Promise<Role> {
  return (await enabledOwner(opts, userName)).role;
}

export async function personalTokenScope(
  opts: HomeOptions,
  userName: string,
  requested: Role | undefined,
): Promise<{ owner: string; team: string | null; role: Role }> {
  const found = await enabledOwner(opts, userName);
  const role = requested ?? found.role;
  if (role !== found.role && role !== 'viewer') {
    const allowed = found.role === 'viewer' ? 'viewer' : `${found.role} (the user's role) or viewer`;
    throw new FactoryError(
      'AUTH_ROLE_NOT_ALLOWED',
      `a personal token of user "${found.name}" may have the role ${allowed}, not ${role}: a token never has more than its owner`,
      {
        details: {
          user: found.name,
          userRole: found.role,
          requested: role,
          hint:
            role === 'service'
              ? 'A service token acts for no user: leave out --user.'
              : `Leave out --role (the token gets ${found.role}), or change the user's role first: mcp-factory user set ${found.name} --role ${role}`,
        },
      },
    );
  }
  return { owner: found.name, team: found.team, role };
}

export function registerIdentityCommands(program: Command, io: ServeIo): void {
  registerUserCommands(program, io);
  registerTeamCommands(program, io);
}
