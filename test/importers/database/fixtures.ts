/**
 * Chinook (test/fixtures/corpus) loaded into a uniquely named database per run, plus fixture
 * objects the sample lacks: enum, comments, generated/identity columns, a view, and a table whose identifiers
 * are hostile (quotes, semicolons, reserved words, leading digits, spaces).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { chinookSqliteFile, corpusText } from '../../helpers/corpus.js';

export const HOSTILE_TABLE = 'we"ird; DROP TABLE artist';

export type Kind = 'postgresql' | 'mariadb' | 'sqlite';

/** A loaded copy: the import URL, the server's environment, direct SQL for cross-checks, and cleanup. */
export interface LoadedDatabase {
  kind: Kind;
  url: string;
  env: Record<string, string>;
  /** Run SQL directly (placeholders: $1 for PostgreSQL, ? otherwise). */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Column/table names: Chinook is snake_case on PostgreSQL and PascalCase elsewhere. */
  n(snake: string): string;
  close(): Promise<void>;
}

function pascal(snake: string): string {
  return snake.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

const uniqueName = () => `mcpf_chinook_${process.pid}_${randomBytes(3).toString('hex')}`;

const PG_FIXTURES = `
CREATE TYPE mood AS ENUM ('happy', 'sad', 'it''s complicated');
CREATE TABLE review (
  review_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  track_id integer NOT NULL REFERENCES track (track_id),
  mood mood NOT NULL DEFAULT 'happy',
  stars smallint,
  body text,
  body_length integer GENERATED ALWAYS AS (length(body)) STORED,
  big bigint,
  ratio numeric(5, 2),
  data jsonb,
  uid uuid,
  flag boolean,
  raw bytea,
  day date,
  created_at timestamptz NOT NULL DEFAULT now(),
  code character(3)
);
COMMENT ON TABLE review IS 'Listener reviews';
COMMENT ON COLUMN review.stars IS 'One to five';
INSERT INTO review (track_id, mood, stars, body, big, ratio, data, uid, flag, day, code)
VALUES (1, 'sad', 5, 'Loud', 9007199254740993, 1.25, '{"a": 1}', '00000000-0000-4000-8000-000000000001', true, '2024-02-29', 'abc'),
       (2, 'it''s complicated', 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'a');
CREATE VIEW artist_album_count AS
  SELECT ar.artist_id, ar.name, count(al.album_id) AS albums
  FROM artist ar LEFT JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.artist_id, ar.name;
COMMENT ON VIEW artist_album_count IS 'Albums per artist';
CREATE TABLE "we""ird; DROP TABLE artist" (
  "id" integer PRIMARY KEY, "a""b" text, "x; DROP TABLE y" text, "sort" text, "1st" integer, "a b" text, "a_b" text
);
INSERT INTO "we""ird; DROP TABLE artist" VALUES
  (1, 'quote', 'semi', 'zzz', 7, 'space', 'under'),
  (2, 'q2', 'DROP', 'aaa', 8, NULL, NULL);
CREATE SCHEMA mcpf_other;
CREATE TABLE mcpf_other.artist (id serial PRIMARY KEY, label text);
`;

export async function loadPostgres(adminUrl: string): Promise<LoadedDatabase> {
  const name = uniqueName();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const script = corpusText('Chinook_PostgreSql.sql');
  const body = script.slice(script.indexOf('\n', script.indexOf('\\c chinook')) + 1);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(body);
  await client.query(PG_FIXTURES);
  return {
    kind: 'postgresql',
    url,
    env: { DATABASE_URL: url },
    query: async (sql, params) => (await client.query(sql, params)).rows,
    n: (s) => s,
    close: async () => {
      await client.end();
      const drop = new pg.Client({ connectionString: adminUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await drop.end();
    },
  };
}

const MYSQL_FIXTURES = `
CREATE TABLE Review (
  ReviewId INT AUTO_INCREMENT PRIMARY KEY COMMENT 'Surrogate key',
  TrackId INT NOT NULL,
  Mood ENUM('happy', 'sad', 'it''s complicated') NOT NULL DEFAULT 'happy',
  Stars TINYINT COMMENT 'One to five',
  Body TEXT,
  BodyLength INT AS (CHAR_LENGTH(Body)) VIRTUAL,
  Big BIGINT,
  Ratio DECIMAL(5, 2),
  Data JSON,
  Flag TINYINT(1),
  Raw BLOB,
  Day DATE,
  CreatedAt DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT FK_ReviewTrack FOREIGN KEY (TrackId) REFERENCES Track (TrackId)
) COMMENT = 'Listener reviews';
INSERT INTO Review (TrackId, Mood, Stars, Body, Big, Ratio, Data, Flag, Day)
VALUES (1, 'sad', 5, 'Loud', 9007199254740993, 1.25, '{"a": 1}', 1, '2024-02-29'),
       (2, 'it''s complicated', 3, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE VIEW ArtistAlbumCount AS
  SELECT ar.ArtistId, ar.Name, COUNT(al.AlbumId) AS Albums
  FROM Artist ar LEFT JOIN Album al ON al.ArtistId = ar.ArtistId GROUP BY ar.ArtistId, ar.Name;
CREATE TABLE \`we"ird; DROP TABLE artist\` (
  \`id\` INT PRIMARY KEY, \`a"b\` VARCHAR(20), \`x; DROP TABLE y\` VARCHAR(20), \`sort\` VARCHAR(20),
  \`1st\` INT, \`a b\` VARCHAR(20), \`a_b\` VARCHAR(20), \`back\`\`tick\` VARCHAR(20)
);
INSERT INTO \`we"ird; DROP TABLE artist\` VALUES
  (1, 'quote', 'semi', 'zzz', 7, 'space', 'under', 'bt'),
  (2, 'q2', 'DROP', 'aaa', 8, NULL, NULL, NULL);
`;

export async function loadMysql(adminUrl: string): Promise<LoadedDatabase> {
  const name = uniqueName();
  const script = corpusText('Chinook_MySql.sql').replaceAll('`Chinook`', `\`${name}\``);
  const admin = await mysql.createConnection({ uri: adminUrl, multipleStatements: true });
  await admin.query(script);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const conn = await mysql.createConnection({ uri: url, multipleStatements: true, supportBigNumbers: true });
  await conn.query(MYSQL_FIXTURES);
  return {
    kind: 'mariadb',
    url,
    env: { DATABASE_URL: url },
    query: async (sql, params) => (await conn.query(sql, params))[0] as Record<string, unknown>[],
    n: pascal,
    close: async () => {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

const SQLITE_FIXTURES = `
CREATE TABLE Review (
  ReviewId INTEGER PRIMARY KEY,
  TrackId INTEGER NOT NULL REFERENCES Track (TrackId),
  Mood TEXT NOT NULL DEFAULT 'happy' CHECK (Mood IN ('happy', 'sad', 'it''s complicated')),
  Stars INTEGER,
  Body TEXT,
  BodyLength INTEGER GENERATED ALWAYS AS (length(Body)) VIRTUAL,
  Big BIGINT,
  Ratio DECIMAL(5, 2),
  Data JSON,
  Flag BOOLEAN,
  Raw BLOB,
  Day DATE,
  CreatedAt DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO Review (TrackId, Mood, Stars, Body, Big, Ratio, Data, Flag, Day)
VALUES (1, 'sad', 5, 'Loud', 9007199254740993, 1.25, '{"a": 1}', 1, '2024-02-29'),
       (2, 'it''s complicated', 3, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE VIEW ArtistAlbumCount AS
  SELECT ar.ArtistId, ar.Name, COUNT(al.AlbumId) AS Albums
  FROM Artist ar LEFT JOIN Album al ON al.ArtistId = ar.ArtistId GROUP BY ar.ArtistId, ar.Name;
CREATE TABLE "we""ird; DROP TABLE artist" (
  "id" INTEGER PRIMARY KEY, "a""b" TEXT, "x; DROP TABLE y" TEXT, "sort" TEXT, "1st" INTEGER, "a b" TEXT, "a_b" TEXT
);
INSERT INTO "we""ird; DROP TABLE artist" VALUES
  (1, 'quote', 'semi', 'zzz', 7, 'space', 'under'),
  (2, 'q2', 'DROP', 'aaa', 8, NULL, NULL);
`;

export async function loadSqlite(dir: string): Promise<LoadedDatabase> {
  const file = join(dir, 'chinook.sqlite');
  copyFileSync(chinookSqliteFile(), file);
  const db = new Database(file);
  db.exec(SQLITE_FIXTURES);
  return {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    env: { DATABASE_PATH: file },
    query: async (sql, params = []) => {
      const stmt = db.prepare(sql);
      return (stmt.reader ? stmt.all(...params) : []) as Record<string, unknown>[];
    },
    n: pascal,
    close: async () => {
      db.close();
    },
  };
}
