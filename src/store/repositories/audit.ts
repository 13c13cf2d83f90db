/** mcpf_audit: the append-only trail of management actions (database triggers refuse updates and deletes). */

import type { AuditEntry, AuditFilter, AuditInput } from '../types.js';
import { checkJson } from '../validate.js';
import { asObject, chunks, type Db, now } from './shared.js';

const MAX_DETAILS_BYTES = 64 * 1024;

function auditEntry(row: {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: unknown;
}): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details === null ? null : asObject(row.details),
  };
}

export class AuditRepository {
  /** Append an entry, stamped now; details are refused (REGISTRY_INVALID) past 64 KiB of JSON. */
  async append(trx: Db, entry: AuditInput): Promise<AuditEntry> {
    const row = await trx
      .insertInto('mcpf_audit')
      .values({
        at: now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        details:
          entry.details === undefined ? null : checkJson('audit details', entry.details, MAX_DETAILS_BYTES),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return auditEntry(row);
  }

  /** Append entries stamped now, in multi-row inserts (no rows returned); returns how many. */
  async appendMany(trx: Db, entries: readonly AuditInput[]): Promise<number> {
    const at = now();
    const rows = entries.map((entry) => ({
      at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      details:
        entry.details === undefined ? null : checkJson('audit details', entry.details, MAX_DETAILS_BYTES),
    }));
    for (const chunk of chunks(rows, 100)) await trx.insertInto('mcpf_audit').values(chunk).execute();
    return rows.length;
  }

  /** Newest first; `limit` is the caller's (already bounded). */
  async list(db: Db, filter: AuditFilter, limit: number): Promise<AuditEntry[]> {
    let q = db.selectFrom('mcpf_audit').selectAll();
    if (filter.target !== undefined) q = q.where('target', '=', filter.target);
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(auditEntry);
  }
}
