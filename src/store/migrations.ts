/**
 * Schema migrations, defined in code and applied by Kysely's Migrator. Names sort in application order; a
 * migration is never edited once released — add a new one. Each migration runs inside one transaction on both
 * backends (see the SQLite adapter in connect.ts), serialised across processes: by `BEGIN IMMEDIATE` on SQLite,
 * by Kysely's advisory lock on PostgreSQL.
 */
import {
  type ColumnDataType,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  sql,
} from 'kysely';
import {
  type Backend,
  DEPLOYMENT_STATUSES,
  DESIRED_STATES,
  HEALTH_STATES,
  JOB_STATES,
  RUN_STATUSES,
  SERVER_STATUSES,
  TOOL_STATES,
  TRIGGER_OUTCOMES,
  USER_ROLES,
} from './schema.js';

export const MIGRATION_TABLE = 'mcpf_migration';
export const MIGRATION_LOCK_TABLE = 'mcpf_migration_lock';

// Migrations run against an untyped Kysely (the schema is what they create).
// biome-ignore lint/suspicious/noExplicitAny: the migration API is untyped by design
type Db = Kysely<any>;

function inList(values: readonly string[]) {
  return sql.join(values.map((v) => sql.lit(v)));
}

function types(backend: Backend) {
  const pg = backend === 'postgres';
  return {
    json: (pg ? 'jsonb' : 'text') as ColumnDataType,
    real: (pg ? 'double precision' : 'real') as ColumnDataType,
    /** An auto-increment primary key; AUTOINCREMENT on SQLite so a deleted id is never reused. */
    id<T extends string, C extends string>(t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C | 'id'> {
      return pg
        ? t.addColumn('id', 'serial', (c) => c.primaryKey())
        : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    },
  };
}

/** Refuse UPDATE (and DELETE when `deletes`) on a table: immutable versions, append-only audit. */
async function refuseChanges(db: Db, backend: Backend, table: string, deletes: boolean): Promise<void> {
  const ops = deletes ? ['UPDATE', 'DELETE'] : ['UPDATE'];
  for (const op of ops) {
    const name = sql.id(`${table}_no_${op.toLowerCase()}`);
    if (backend === 'sqlite') {
      await sql`CREATE TRIGGER ${name} BEFORE ${sql.raw(op)} ON ${sql.table(table)}
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table} rows cannot be changed (${op})`)}); END`.execute(db);
    } else {
      await sql`CREATE TRIGGER ${name} BEFORE ${sql.raw(op)} ON ${sql.table(table)}
        FOR EACH ROW EXECUTE FUNCTION mcpf_refuse_change()`.execute(db);
    }
  }
  if (deletes && backend === 'postgres') {
    await sql`CREATE TRIGGER ${sql.id(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION mcpf_refuse_change()`.execute(db);
  }
}

function initial(backend: Backend): Migration {
  const t = types(backend);
  return {
    async up(db: Db) {
      if (backend === 'postgres') {
        await sql`CREATE OR REPLACE FUNCTION mcpf_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION '% rows cannot be changed (%)', TG_TABLE_NAME, TG_OP; END $$`.execute(db);
      }

      await t
        .id(db.schema.createTable('mcpf_servers'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('current_revision', 'integer', (c) => c.notNull())
        .addColumn('latest_revision', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addCheckConstraint('mcpf_servers_status', sql`status IN (${inList(SERVER_STATUSES)})`)
        .addCheckConstraint(
          'mcpf_servers_revisions',
          sql`current_revision >= 1 AND current_revision <= latest_revision`,
        )
        .execute();

      await t
        .id(db.schema.createTable('mcpf_versions'))
        .addColumn('server_id', 'integer', (c) => c.notNull().references('mcpf_servers.id'))
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('spec', t.json, (c) => c.notNull())
        .addColumn('artifact_hash', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('mcpf_versions_revision', ['server_id', 'revision'])
        .addCheckConstraint('mcpf_versions_hash', sql`length(artifact_hash) = 64`)
        .execute();
      await refuseChanges(db, backend, 'mcpf_versions', false);

      await t
        .id(db.schema.createTable('mcpf_tools'))
        .addColumn('version_id', 'integer', (c) => c.notNull().references('mcpf_versions.id'))
        .addColumn('server_id', 'integer', (c) => c.notNull().references('mcpf_servers.id'))
        .addColumn('server_name', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('description', 'text')
        .addColumn('annotations', t.json, (c) => c.notNull())
        .addColumn('keywords', 'text', (c) => c.notNull())
        .addUniqueConstraint('mcpf_tools_name', ['version_id', 'name'])
        .execute();
      await db.schema
        .createIndex('mcpf_tools_server_revision')
        .on('mcpf_tools')
        .columns(['server_id', 'revision'])
        .execute();
      await refuseChanges(db, backend, 'mcpf_tools', false);
      if (backend === 'postgres') {
        // Weights: tool name A, title B, description C, server name D (ts_rank's default weights 1/.4/.2/.1).
        await sql`ALTER TABLE mcpf_tools ADD COLUMN search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('simple'::regconfig, keywords), 'A') ||
          setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'B') ||
          setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C') ||
          setweight(to_tsvector('simple'::regconfig, server_name), 'D')) STORED`.execute(db);
        await sql`CREATE INDEX mcpf_tools_search ON mcpf_tools USING gin (search)`.execute(db);
      } else {
        // FTS5 is compiled into better-sqlite3's SQLite; without it, search falls back to LIKE (search.ts).
        try {
          await sql`CREATE VIRTUAL TABLE mcpf_tools_fts USING fts5(
            keywords, title, description, server_name, tokenize = 'unicode61 remove_diacritics 2')`.execute(
            db,
          );
        } catch (error) {
          if (!/no such module/i.test(String((error as Error).message))) throw error;
        }
      }

      await t
        .id(db.schema.createTable('mcpf_deployments'))
        .addColumn('server_id', 'integer', (c) => c.notNull().references('mcpf_servers.id'))
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('desired', 'text', (c) => c.notNull())
        .addColumn('port', 'integer')
        .addColumn('endpoint', 'text')
        .addColumn('process_id', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('stopped_at', 'text')
        .addUniqueConstraint('mcpf_deployments_target', ['server_id', 'target'])
        .addForeignKeyConstraint('mcpf_deployments_version', ['server_id', 'revision'], 'mcpf_versions', [
          'server_id',
          'revision',
        ])
        .addCheckConstraint('mcpf_deployments_status', sql`status IN (${inList(DEPLOYMENT_STATUSES)})`)
        .addCheckConstraint('mcpf_deployments_desired', sql`desired IN (${inList(DESIRED_STATES)})`)
        .addCheckConstraint('mcpf_deployments_port', sql`port IS NULL OR (port >= 1 AND port <= 65535)`)
        .execute();

      await db.schema
        .createTable('mcpf_secret_refs')
        .addColumn('server_id', 'integer', (c) => c.notNull().references('mcpf_servers.id'))
        .addColumn('env_var', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('mcpf_secret_refs_pk', ['server_id', 'env_var'])
        .execute();

      // Metrics tables are clustered on their key on SQLite (WITHOUT ROWID): each upsert touches one b-tree.
      const clustered = <T extends string, C extends string>(b: CreateTableBuilder<T, C>) =>
        backend === 'sqlite' ? b.modifyEnd(sql`WITHOUT ROWID`) : b;
      await clustered(
        db.schema
          .createTable('mcpf_tool_calls')
          .addColumn('server', 'text', (c) => c.notNull())
          .addColumn('tool', 'text', (c) => c.notNull())
          .addColumn('minute', 'integer', (c) => c.notNull())
          .addColumn('calls', 'integer', (c) => c.notNull())
          .addColumn('errors', 'integer', (c) => c.notNull())
          .addColumn('latency_sum', t.real, (c) => c.notNull())
          .addColumn('latency_min', t.real, (c) => c.notNull())
          .addColumn('latency_max', t.real, (c) => c.notNull())
          .addPrimaryKeyConstraint('mcpf_tool_calls_pk', ['server', 'tool', 'minute']),
      ).execute();
      await db.schema.createIndex('mcpf_tool_calls_minute').on('mcpf_tool_calls').column('minute').execute();
      await clustered(
        db.schema
          .createTable('mcpf_tool_latency')
          .addColumn('server', 'text', (c) => c.notNull())
          .addColumn('tool', 'text', (c) => c.notNull())
          .addColumn('minute', 'integer', (c) => c.notNull())
          .addColumn('bucket', 'integer', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('mcpf_tool_latency_pk', ['server', 'tool', 'minute', 'bucket']),
      ).execute();
      await db.schema
        .createIndex('mcpf_tool_latency_minute')
        .on('mcpf_tool_latency')
        .column('minute')
        .execute();

      await t
        .id(db.schema.createTable('mcpf_audit'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('details', t.json)
        .execute();
      await db.schema.createIndex('mcpf_audit_target').on('mcpf_audit').columns(['target', 'id']).execute();
      await refuseChanges(db, backend, 'mcpf_audit', true);
    },
  };
}

/**
 * Identity: teams (tenants), users with a role, sign-in sessions with their refresh tokens (one row per token
 * ever issued, so a replayed one is recognised), the login history, the factory's JWT signing keys, and the
 * owner and team of each server.
 */
function identity(backend: Backend): Migration {
  const t = types(backend);
  return {
    async up(db: Db) {
      await t
        .id(db.schema.createTable('mcpf_teams'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await t
        .id(db.schema.createTable('mcpf_users'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('oidc_subject', 'text', (c) => c.unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('team', 'text', (c) => c.references('mcpf_teams.name'))
        .addColumn('disabled_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addCheckConstraint('mcpf_users_role', sql`role IN (${inList(USER_ROLES)})`)
        .execute();
      await db.schema
        .createTable('mcpf_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('mcpf_users.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_reason', 'text')
        .addColumn('address', 'text')
        .execute();
      await db.schema.createIndex('mcpf_sessions_user').on('mcpf_sessions').column('user_id').execute();
      await db.schema
        .createTable('mcpf_refresh_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull().references('mcpf_sessions.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute();
      await t
        .id(db.schema.createTable('mcpf_logins'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .execute();
      await db.schema.createIndex('mcpf_logins_name').on('mcpf_logins').columns(['name', 'id']).execute();
      await db.schema
        .createTable('mcpf_signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .execute();
      await db.schema.alterTable('mcpf_servers').addColumn('owner', 'text').execute();
      await db.schema.alterTable('mcpf_servers').addColumn('team', 'text').execute();
    },
  };
}

/**
 * Embedding vectors of hybrid tool search (store/search.ts), keyed by sha256(model + text): a tool whose text
 * did not change is never embedded again, by any process. `vector` is Float32 little-endian.
 */
function embeddings(backend: Backend): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('mcpf_embeddings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('dims', 'integer', (c) => c.notNull())
        .addColumn('vector', backend === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addCheckConstraint('mcpf_embeddings_dims', sql`dims >= 1 AND dims <= 4096`)
        .execute();
    },
  };
}

/** Toolsmith runs (the durable checkpoint of each question's pipeline) and their append-only trail. */
function toolsmith(backend: Backend): Migration {
  const t = types(backend);
  return {
    async up(db: Db) {
      await db.schema
        .createTable('mcpf_toolsmith_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('question', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('tool_state', 'text', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('state', t.json, (c) => c.notNull())
        .addColumn('tool_name', 'text')
        .addColumn('tool_version', 'integer')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('error', 'text')
        .addCheckConstraint('mcpf_toolsmith_runs_status', sql`status IN (${inList(RUN_STATUSES)})`)
        .addCheckConstraint('mcpf_toolsmith_runs_state', sql`tool_state IN (${inList(TOOL_STATES)})`)
        .execute();
      await db.schema
        .createIndex('mcpf_toolsmith_runs_status')
        .on('mcpf_toolsmith_runs')
        .columns(['status', 'updated_at'])
        .execute();
      await db.schema
        .createIndex('mcpf_toolsmith_runs_tool')
        .on('mcpf_toolsmith_runs')
        .columns(['tool_name', 'tool_version'])
        .execute();
      await t
        .id(db.schema.createTable('mcpf_toolsmith_events'))
        .addColumn('run_id', 'text', (c) => c.notNull().references('mcpf_toolsmith_runs.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('node', 'text')
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text')
        .addColumn('note', 'text')
        .addColumn('details', t.json)
        .execute();
      await db.schema
        .createIndex('mcpf_toolsmith_events_run')
        .on('mcpf_toolsmith_events')
        .columns(['run_id', 'id'])
        .execute();
      await refuseChanges(db, backend, 'mcpf_toolsmith_events', true);
    },
  };
}

/** Factory jobs (long operations run by the worker pool) and their append-only history. */
function jobs(backend: Backend): Migration {
  const t = types(backend);
  return {
    async up(db: Db) {
      await db.schema
        .createTable('mcpf_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('input', t.json, (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('progress', t.real, (c) => c.notNull().defaultTo(0))
        .addColumn('progress_message', 'text')
        .addColumn('result', t.json)
        .addColumn('error', t.json)
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('team', 'text')
        .addColumn('idempotency_key', 'text')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('not_before', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'text')
        .addCheckConstraint('mcpf_jobs_state', sql`state IN (${inList(JOB_STATES)})`)
        .addCheckConstraint('mcpf_jobs_progress', sql`progress >= 0 AND progress <= 1`)
        .addCheckConstraint('mcpf_jobs_attempts', sql`attempts >= 0 AND max_attempts >= 1`)
        .addUniqueConstraint('mcpf_jobs_idempotency', ['created_by', 'idempotency_key'])
        .execute();
      await db.schema
        .createIndex('mcpf_jobs_claim')
        .on('mcpf_jobs')
        .columns(['state', 'not_before'])
        .execute();
      await db.schema
        .createIndex('mcpf_jobs_creator')
        .on('mcpf_jobs')
        .columns(['created_by', 'created_at'])
        .execute();
      await db.schema.createIndex('mcpf_jobs_finished').on('mcpf_jobs').columns(['finished_at']).execute();
      await t
        .id(db.schema.createTable('mcpf_job_events'))
        .addColumn('job_id', 'text', (c) => c.notNull().references('mcpf_jobs.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('progress', t.real, (c) => c.notNull())
        .addColumn('message', 'text')
        .execute();
      await db.schema
        .createIndex('mcpf_job_events_job')
        .on('mcpf_job_events')
        .columns(['job_id', 'id'])
        .execute();
    },
  };
}

/** Trigger history of deployed servers (imported from their history files) and how far each file was read. */
function triggerRuns(backend: Backend): Migration {
  const t = types(backend);
  return {
    async up(db: Db) {
      await t
        .id(db.schema.createTable('mcpf_trigger_runs'))
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('trigger_index', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('tool', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('input_hash', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('duration_ms', t.real, (c) => c.notNull())
        .addColumn('error', 'text')
        .addCheckConstraint('mcpf_trigger_runs_outcome', sql`outcome IN (${inList(TRIGGER_OUTCOMES)})`)
        .addUniqueConstraint('mcpf_trigger_runs_attempt', [
          'server',
          'trigger_index',
          'key',
          'attempt',
          'started_at',
        ])
        .execute();
      await db.schema
        .createIndex('mcpf_trigger_runs_server')
        .on('mcpf_trigger_runs')
        .columns(['server', 'started_at'])
        .execute();
      await db.schema
        .createTable('mcpf_trigger_offsets')
        .addColumn('server', 'text', (c) => c.primaryKey())
        .addColumn('file_id', 'text', (c) => c.notNull())
        .addColumn('bytes_read', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * Replica counts of a deployment (swarm services, Kubernetes Deployments): how many the target was asked for and
 * how many it last reported running. NULL for single-instance targets.
 */
function replicas(): Migration {
  return {
    async up(db: Db) {
      for (const column of ['replicas_desired', 'replicas_actual'])
        await db.schema
          .alterTable('mcpf_deployments')
          .addColumn(column, 'integer', (c) =>
            c.check(
              sql`${sql.ref(column)} IS NULL OR (${sql.ref(column)} >= 0 AND ${sql.ref(column)} <= 1000)`,
            ),
          )
          .execute();
    },
  };
}

/**
 * Several factory instances on one registry (docs/cluster.md): nodes and their heartbeats, which node runs each
 * local deployment, the generated projects any node may need, API rate-limit buckets and creations in flight.
 */
function cluster(backend: Backend): Migration {
  const pg = backend === 'postgres';
  return {
    async up(db: Db) {
      await db.schema
        .createTable('mcpf_nodes')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text')
        .addColumn('heartbeat_ms', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('mcpf_placements')
        .addColumn('deployment_id', 'integer', (c) =>
          c.primaryKey().references('mcpf_deployments.id').onDelete('cascade'),
        )
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('placed_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('mcpf_placements_node').on('mcpf_placements').column('node').execute();
      await db.schema
        .createTable('mcpf_artifacts')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('content', pg ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('mcpf_rate_buckets')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tokens', pg ? 'double precision' : 'real', (c) => c.notNull())
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('mcpf_create_reservations')
        .addColumn('server', 'text', (c) => c.primaryKey())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * Health samples of deployments (the console's timeline): one row per change of state, plus at most one per
 * deployment per minute, pruned on write (store/repositories/health-samples.ts). No foreign key to the
 * deployment: a sample outlives a removed deployment until pruned.
 */
function healthSamples(backend: Backend): Migration {
  const t = types(backend);
  return {
    async up(db: Db) {
      await t
        .id(db.schema.createTable('mcpf_health_samples'))
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('deployment_id', 'integer', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('health', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'text', (c) => c.notNull())
        .addColumn('response_ms', t.real)
        .addColumn('detail', 'text')
        .addCheckConstraint('mcpf_health_samples_health', sql`health IN (${inList(HEALTH_STATES)})`)
        .execute();
      await db.schema
        .createIndex('mcpf_health_samples_server')
        .on('mcpf_health_samples')
        .columns(['server', 'checked_at'])
        .execute();
      await db.schema
        .createIndex('mcpf_health_samples_deployment')
        .on('mcpf_health_samples')
        .columns(['deployment_id', 'checked_at'])
        .execute();
    },
  };
}

/**
 * API tokens in the registry (identity/tokens.ts), so that every instance of a cluster accepts, revokes and counts
 * the same tokens. One active token per name (a partial unique index; revoked ones stay for `token list`).
 */
function apiTokens(): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('mcpf_api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await sql`CREATE UNIQUE INDEX mcpf_api_tokens_active_name ON mcpf_api_tokens (name) WHERE revoked_at IS NULL`.execute(
        db,
      );
    },
  };
}

/** Every migration, by name (applied in name order). */
export function migrations(backend: Backend): Record<string, Migration> {
  return {
    '0001_initial': initial(backend),
    '0002_identity': identity(backend),
    '0004_embeddings': embeddings(backend),
    '0005_toolsmith': toolsmith(backend),
    '0006_jobs': jobs(backend),
    '0007_trigger_runs': triggerRuns(backend),
    '0008_cluster': cluster(backend),
    '0009_replicas': replicas(),
    '0010_health_samples': healthSamples(backend),
    '0011_api_tokens': apiTokens(),
  };
}

export function migrationProvider(backend: Backend): MigrationProvider {
  return { getMigrations: async () => migrations(backend) };
}
