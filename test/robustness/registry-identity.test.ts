/**
 * Issue 17.2: the registry file's identity. Deleting or replacing registry.db under a process that holds it is
 * detected (REGISTRY_REPLACED) instead of silently splitting the factory; a new registry is not created while
 * the deleted one is still held (REGISTRY_HELD); a damaged file has its own code (REGISTRY_CORRUPT); backups are
 * consistent copies that restore by a rename.
 */

import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { runDoctor } from '../../src/deploy/doctor.js';
import { homeLayout } from '../../src/platform/home.js';
import { backupSqlite, checkIntegrity, openRegistry, type Registry } from '../../src/store/index.js';

const require = createRequire(import.meta.url);
const dirs: string[] = [];
const open: Registry[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'mcpf-regid-'));
  dirs.push(d);
  return d;
}

async function registryAt(home: string): Promise<Registry> {
  const r = await openRegistry({ home });
  open.push(r);
  return r;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof FactoryError ? e.code : `not a FactoryError: ${String(e)}`),
  );
}

const audit = (r: Registry, target: string) => r.audit({ actor: 'test', action: 'note', target });

describe('registry file identity', () => {
  it('a deleted registry is detected by its holder, and no new one is created while it is held', async () => {
    const home = tempHome();
    const file = join(home, 'registry.db');
    const holder = await registryAt(home);
    await audit(holder, 'before');
    rmSync(file);
    expect(await codeOf(audit(holder, 'after'))).toBe('REGISTRY_REPLACED');
    expect(await codeOf(holder.listAudit())).toBe('REGISTRY_REPLACED');
    // Another opener would have created an empty registry beside the held one: refused, nothing written.
    const error = await openRegistry({ home }).catch((e: unknown) => e as FactoryError);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('REGISTRY_HELD');
    expect((error as FactoryError).message).toContain(String(process.pid));
    expect(existsSync(file)).toBe(false);
    const report = await runDoctor({ layout: homeLayout(home) });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check === 'registry-identity')?.status).toBe('error');
    await holder.close();
    open.length = 0;
    // Once nobody holds it, a fresh registry may be created; the old WAL is moved aside, not replayed into it.
    const fresh = await registryAt(home);
    expect(await fresh.listAudit()).toEqual([]);
  });

  it('a replaced registry (a backup moved into place) is detected, and the new file is what opens', async () => {
    const home = tempHome();
    const file = join(home, 'registry.db');
    const holder = await registryAt(home);
    await audit(holder, 'in-backup');
    const copy = join(home, 'copy.db');
    const result = await backupSqlite(file, copy);
    expect(result.bytes).toBeGreaterThan(0);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    await audit(holder, 'after-backup');
    renameSync(copy, file);
    expect(await codeOf(holder.listAudit())).toBe('REGISTRY_REPLACED');
    expect(holder.holdsCurrentFile()).toBe(false);
    // While the holder runs, the restored file would be read through the holder's WAL: refused.
    expect(await codeOf(openRegistry({ home }))).toBe('REGISTRY_HELD');
    // Once it lets go (as the supervisor does when it sees REGISTRY_REPLACED), the restored file opens as is.
    await holder.close();
    const reopened = await registryAt(home);
    expect((await reopened.listAudit()).map((a) => a.target)).toEqual(['in-backup']);
  });

  it('a backup restored over a registry whose holder was killed is not mixed with the old WAL', async () => {
    const home = tempHome();
    const file = join(home, 'registry.db');
    const r = await registryAt(home);
    await audit(r, 'kept');
    await r.close();
    open.length = 0;
    const backup = join(home, 'good.db');
    await backupSqlite(file, backup);
    // A holder writes into the WAL and dies before any checkpoint: its frames stay in registry.db-wal.
    const script = [
      `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});`,
      `const db = new Database(${JSON.stringify(file)});`,
      "db.pragma('journal_mode = WAL'); db.pragma('wal_autocheckpoint = 0');",
      "db.exec('CREATE TABLE leaked (x)');",
      "process.kill(process.pid, 'SIGKILL');",
    ].join('\n');
    spawnSync(process.execPath, ['-e', script]);
    expect(existsSync(`${file}-wal`)).toBe(true);
    renameSync(backup, file);
    const restored = await registryAt(home);
    const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master`.execute(restored.kysely);
    expect(tables.rows.map((t) => t.name)).not.toContain('leaked');
    expect((await restored.listAudit()).map((a) => a.target)).toEqual(['kept']);
    expect(readdirSync(home).some((n) => n.startsWith('registry.db-wal.orphaned-'))).toBe(true);
  });

  it('backup refuses to overwrite without --force, and to write over the registry', async () => {
    const home = tempHome();
    const file = join(home, 'registry.db');
    const r = await registryAt(home);
    await audit(r, 'x');
    const copy = join(home, 'b.db');
    writeFileSync(copy, 'keep me');
    expect(await codeOf(backupSqlite(file, copy))).toBe('INVALID_ARGUMENTS');
    expect(readFileSync(copy, 'utf8')).toBe('keep me');
    expect(await codeOf(backupSqlite(file, file))).toBe('INVALID_ARGUMENTS');
    await backupSqlite(file, copy, { force: true });
    expect(checkIntegrity(copy).ok).toBe(true);
  });

  it('a file that is not a database, or a damaged one, is REGISTRY_CORRUPT, never a new registry', async () => {
    const home = tempHome();
    const file = join(home, 'registry.db');
    writeFileSync(file, 'this is not a database at all, just text\n'.repeat(200));
    expect(await codeOf(openRegistry({ home }))).toBe('REGISTRY_CORRUPT');
    expect(readFileSync(file, 'utf8')).toMatch(/^this is not a database/);
    const report = await runDoctor({ layout: homeLayout(home) });
    expect(report.checks.find((c) => c.check === 'registry-integrity')?.status).toBe('error');

    // A real registry with a page overwritten in the middle: malformed.
    rmSync(file);
    const r = await registryAt(home);
    for (let i = 0; i < 300; i++) await audit(r, `entry-${i}-${'y'.repeat(150)}`);
    await r.close();
    open.length = 0;
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    // Overwrite the middle leaf page of the audit table itself (read off dbstat), so that reading the
    // audit must meet the damage whatever page layout the migrations leave.
    const Database = require('better-sqlite3');
    const inspect = new Database(file, { readonly: true });
    const pageSize = Number(inspect.pragma('page_size', { simple: true }));
    const leaves = (
      inspect
        .prepare("SELECT pageno FROM dbstat WHERE name = 'mcpf_audit' AND pagetype = 'leaf' ORDER BY pageno")
        .all() as Array<{ pageno: number }>
    ).map((p) => p.pageno);
    inspect.close();
    expect(leaves.length).toBeGreaterThan(4);
    const fd = openSync(file, 'r+');
    const garbage = Buffer.alloc(pageSize, 0xa5);
    const page = leaves[Math.floor(leaves.length / 2)] as number;
    writeSync(fd, garbage, 0, garbage.length, (page - 1) * pageSize);
    closeSync(fd);
    expect(checkIntegrity(file).ok).toBe(false);
    const code = await openRegistry({ home }).then(
      async (damaged) => {
        open.push(damaged);
        return codeOf(damaged.listAudit({ limit: 1000 }));
      },
      (e: unknown) => (e as FactoryError).code,
    );
    expect(code).toBe('REGISTRY_CORRUPT');
  });
});
