/**
 * Small helpers of the conformance runner: progress logging on stderr (stdout carries the summary), file
 * checks and JSON reading.
 */
import fs from 'node:fs';

export const log = (...parts: unknown[]): void => console.error('[conformance]', ...parts);

export function exists(file: string): boolean {
  try {
    fs.accessSync(file);
    return true;
  } catch {
    return false;
  }
}

export const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The message of an unknown thrown value. */
export const messageOf = (error: unknown): string => String((error as Error | undefined)?.message ?? error);
