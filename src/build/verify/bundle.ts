/**
 * One esbuild bundle per server, plus what it loads from beside it: the SQLite native binding, DuckDB's binding
 * and library (dataset connections; about 70 MB, hard-linked from MCP Factory's node_modules when on the same
 * file system, copied otherwise) and the PostgreSQL parser's WASM when the server needs them, and its data
 * files (the dynamic-mode catalog).
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { FactoryError } from '../../core/errors/index.js';
import { packageDir } from '../../platform/factory-files.js';
import {
  BUNDLE_DATA_FILES,
  BUNDLE_EXTERNALS,
  BUNDLE_FILE,
  bundleOptions,
  DUCKDB_NATIVE_FILES,
} from '../generator/index.js';

export interface BundleResult {
  file: string;
  bytes: number;
  durationMs: number;
  /** Bytes of the native files placed in dist/native/ for DuckDB, and whether they were hard links. */
  native?: { bytes: number; linked: boolean };
}

/** The installed DuckDB binding package of this platform (`-musl` on musl Linux). */
export function duckdbNativeDir(): string {
  const musl =
    process.platform === 'linux' &&
    (process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
      ?.glibcVersionRuntime === undefined;
  return packageDir(`@duckdb/node-bindings-${process.platform}-${process.arch}${musl ? '-musl' : ''}`);
}

/** Hard-link `from` to `to` (same file system), else copy it; true when linked. */
export async function linkOrCopy(from: string, to: string): Promise<boolean> {
  await rm(to, { force: true });
  try {
    await link(from, to);
    return true;
  } catch {
    await copyFile(from, to);
    return false;
  }
}

export async function bundle(
  projectDir: string,
  options: { sqlite: boolean; duckdb?: boolean },
): Promise<BundleResult> {
  const started = performance.now();
  const opts = {
    ...bundleOptions(BUNDLE_EXTERNALS, { duckdb: options.duckdb ?? false }),
    absWorkingDir: projectDir,
    metafile: true,
    logLevel: 'silent',
  } as BuildOptions;
  try {
    const result = await build(opts);
    const bytes = Object.values(result.metafile?.outputs ?? {}).reduce((n, o) => n + o.bytes, 0);
    for (const file of BUNDLE_DATA_FILES) {
      const from = join(projectDir, 'src', file);
      if (existsSync(from)) await copyFile(from, join(projectDir, 'dist', file));
    }
    // The PostgreSQL query guard's parser is WASM, read from beside dist/server.mjs.
    if (Object.keys(result.metafile?.inputs ?? {}).some((f) => f.includes('libpg-query/'))) {
      const wasm = join(packageDir('libpg-query'), 'wasm/libpg-query.wasm');
      await copyFile(wasm, join(projectDir, 'dist/libpg-query.wasm'));
    }
    if (options.sqlite) {
      const binding = join(packageDir('better-sqlite3'), 'build/Release/better_sqlite3.node');
      await mkdir(join(projectDir, 'dist/native'), { recursive: true });
      await copyFile(binding, join(projectDir, 'dist/native/better_sqlite3.node'));
    }
    let native: BundleResult['native'];
    if (options.duckdb) {
      const dir = duckdbNativeDir();
      await mkdir(join(projectDir, 'dist/native'), { recursive: true });
      native = { bytes: 0, linked: true };
      for (const file of DUCKDB_NATIVE_FILES) {
        const from = join(dir, file);
        if (!existsSync(from)) continue;
        native.linked = (await linkOrCopy(from, join(projectDir, 'dist/native', file))) && native.linked;
        native.bytes += statSync(from).size;
      }
    }
    return {
      file: join(projectDir, BUNDLE_FILE),
      bytes,
      durationMs: performance.now() - started,
      ...(native ? { native } : {}),
    };
  } catch (error) {
    const errors =
      (
        error as {
          errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }>;
        }
      ).errors ?? [];
    const message = errors
      .map(
        (e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`,
      )
      .join('\n');
    throw new FactoryError('BUNDLE_FAILED', `bundling failed: ${message || (error as Error).message}`, {
      cause: error,
    });
  }
}
