/** Database importer on SQLite (always available: better-sqlite3), with the Chinook sample copied to a temp file. */
import { it } from 'vitest';
import { chinookAvailable, loadSqlite } from './fixtures.js';
import { chinookSuite } from './suite.js';

if (!chinookAvailable()) it.skip('sqlite: the Chinook corpus is missing', () => undefined);
else chinookSuite('sqlite', (work) => loadSqlite(work));
