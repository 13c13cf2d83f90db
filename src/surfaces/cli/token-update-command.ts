/**
 * `mcp-factory token update NAME [--servers …] [--tools …] [--clear-servers] [--clear-tools] [--role R]
 * [--expires 30d]`: change a token's allow-lists, role or expiry in place (its value stays, so nothing has to be
 * handed out again). The values are checked like `token create`'s (the same list parser and the token store's
 * checks); the CLI is the local user and may change any token, but a personal token never gets more than its
 * owner has (identity/token-update.ts). The change, each field from and to, goes to the audit trail.
 */
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import { ROLES, type Role } from '../../identity/roles.js';
import {
  addHomeOptions,
  auditTokenChange,
  durationArg,
  type HomeOptions,
  listArg,
  localActor,
  type ServeIo,
  withTokens,
} from './serve.js';

interface UpdateOptions extends HomeOptions {
  servers?: string[];
  tools?: string[];
  clearServers?: boolean;
  clearTools?: boolean;
  role?: Role;
  expires?: number;
  format: string;
}

/** An allow-list option and its --clear-… twin: unchanged, removed (null) or replaced. */
function listChange(what: 'servers' | 'tools', list: string[] | undefined, clear: boolean | undefined) {
  if (list !== undefined && clear)
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `--${what} and --clear-${what} contradict each other: give --${what} to restrict the token to other ${what}, --clear-${what} to lift the restriction`,
      { details: { field: what } },
    );
  return clear ? null : list;
}

function describe(list: string[] | null): string {
  return list ? list.join(',') : '*';
}

/** Add `update` to the `token` command (registered by serve.ts). */
export function registerTokenUpdateCommand(program: Command, io: ServeIo): void {
  const token = program.commands.find((c) => c.name() === 'token');
  if (!token) throw new FactoryError('INTERNAL', 'the token command must be registered before token update');
  addHomeOptions(
    token
      .command('update')
      .description(
        "change a token's allow-lists, role or expiry in place (takes effect on the next request; the value stays)",
      )
      .argument('<name>', 'token name or id')
      .option(
        '--servers <patterns>',
        'restrict the token to these servers instead: comma-separated names or patterns with * (as for create)',
        listArg,
      )
      .option(
        '--tools <patterns>',
        'restrict the token to these tools instead: comma-separated patterns of SERVER__TOOL or a plain tool name, with *',
        listArg,
      )
      .option('--clear-servers', 'lift the restriction to servers (every server its role reaches)')
      .option('--clear-tools', 'lift the restriction to tools (every tool of its servers)')
      .addOption(
        new Option(
          '--role <role>',
          "the token's role (a personal token: its owner's role or viewer)",
        ).choices(ROLES),
      )
      .option('--expires <duration>', 'expire 90m, 12h, 30d, 2w … from now', durationArg)
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(async (name: string, opts: UpdateOptions) => {
    const changes = {
      role: opts.role,
      expiresInSeconds: opts.expires,
      allowedServers: listChange('servers', opts.servers, opts.clearServers),
      allowedTools: listChange('tools', opts.tools, opts.clearTools),
    };
    const { changeDetails, updateCheck } = await import('../../identity/token-update.js');
    const actor = localActor('cli');
    const { before, after } = await withTokens(opts, async (store) => {
      // A personal token: its owner must exist and be enabled, and the token never gets more than the owner has.
      const current = (await store.list()).find((t) => t.name === name || t.id === name);
      const ownerRole = current?.owner
        ? await (await import('./identity-commands.js')).tokenOwnerRole(opts, current.owner)
        : undefined;
      return store.update(current?.id ?? name, changes, updateCheck({ name: actor, ownerRole }));
    });
    await auditTokenChange(opts, actor, 'token.update', after.name, io, {
      owner: after.owner,
      changes: changeDetails(before, after),
    });
    if (opts.format === 'json') {
      io.stdout(`${JSON.stringify(after, null, 2)}\n`);
      return;
    }
    io.stderr(
      `Updated token "${after.name}" (${after.id}; role ${after.role}; ${after.expiresAt ? `expires ${after.expiresAt}` : 'never expires'}; servers ${describe(after.allowedServers)}; tools ${describe(after.allowedTools)}).\n`,
    );
  });
}
