/** mcpf_secret_refs: where each environment variable of a server gets its value from — references, never values. */
import type { SecretRef } from '../validate.js';
import type { Db } from './shared.js';

export class SecretRefsRepository {
  /** Replace all references of a server. */
  async replace(trx: Db, serverId: number, refs: readonly SecretRef[], at: string): Promise<void> {
    await trx.deleteFrom('mcpf_secret_refs').where('server_id', '=', serverId).execute();
    if (refs.length === 0) return;
    await trx
      .insertInto('mcpf_secret_refs')
      .values(
        refs.map((r) => ({
          server_id: serverId,
          env_var: r.envVar,
          source: r.source,
          description: r.description ?? null,
          updated_at: at,
        })),
      )
      .execute();
  }

  /** By variable name. */
  async list(db: Db, serverId: number): Promise<SecretRef[]> {
    const rows = await db
      .selectFrom('mcpf_secret_refs')
      .select(['env_var', 'source', 'description'])
      .where('server_id', '=', serverId)
      .orderBy('env_var')
      .execute();
    return rows.map((r) => ({ envVar: r.env_var, source: r.source, description: r.description }));
  }
}
