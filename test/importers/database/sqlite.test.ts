/** Database importer on SQLite (always available: better-sqlite3), with the Chinook sample built into a temp file. */
import { loadSqlite } from './fixtures.js';
import { chinookSuite } from './suite.js';

chinookSuite('sqlite', (work) => loadSqlite(work));
