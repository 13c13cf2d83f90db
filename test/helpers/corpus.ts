/**
 * The real-world inputs the tests use (Chinook for the three databases, Petstore and Twilio for OpenAPI), kept
 * gzipped in test/fixtures/corpus/ so the suite runs on a plain clone. `corpusFile(name)` unpacks one into a
 * per-process cache directory (the importers read paths) and returns its path; `chinookSqliteFile()` builds the
 * SQLite database from its script once per process.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';

export const CORPUS_DIR = resolve(import.meta.dirname, '../fixtures/corpus');

let cache: string | undefined;
const cacheDir = () => (cache ??= mkdtempSync(join(tmpdir(), 'mcpf-corpus-')));

/** Path of an unpacked corpus file (e.g. `twilio_api_v2010.json`). */
export function corpusFile(name: string): string {
  const out = join(cacheDir(), name);
  if (!existsSync(out)) {
    mkdirSync(cacheDir(), { recursive: true });
    writeFileSync(out, gunzipSync(readFileSync(join(CORPUS_DIR, `${name}.gz`))));
  }
  return out;
}

/** The text of a corpus file. */
export function corpusText(name: string): string {
  return readFileSync(corpusFile(name), 'utf8');
}

/** Chinook as a SQLite database file, built from Chinook_Sqlite.sql (same schema and rows as the upstream .sqlite). */
export function chinookSqliteFile(): string {
  const out = join(cacheDir(), 'Chinook_Sqlite.sqlite');
  if (!existsSync(out)) {
    const db = new Database(`${out}.tmp`);
    try {
      db.exec(corpusText('Chinook_Sqlite.sql'));
    } finally {
      db.close();
    }
    writeFileSync(out, readFileSync(`${out}.tmp`));
  }
  return out;
}
