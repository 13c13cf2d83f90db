/**
 * Where the conformance runner lives on disk: the repository root (this file sits in src/conformance/ and
 * compiles to dist/conformance/, both two levels below it) and the `.tools/` directory that holds Node 22
 * and the suite releases.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS_DIR = path.join(REPO, '.tools');
