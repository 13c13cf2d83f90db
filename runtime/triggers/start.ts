/**
 * Starts a generated server's triggers once its transport is up and stops them first at shutdown. Which run:
 * MCP_TRIGGERS=off disables all; MCP_TRIGGERS=on enables them on stdio too; unset, they run on the HTTP
 * transport only (a stdio server is a process a client starts, often several at once). Webhook triggers need
 * the HTTP transport and are skipped on stdio. A trigger whose source cannot start (secret unset, database
 * down) is logged as an error and stays off; the server and the other triggers keep running.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseHttpRoute } from '../http-routes.js';
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';
import type { SourceFactories, TriggerDefinition } from './definitions.js';
import { historyMaxBytes, openTriggerHistory, type TriggerHistory } from './history.js';
import { createTriggerRunner, type TriggerRunner, type TriggerTool } from './runner.js';
import { startupSource } from './startup.js';
import { TRIGGER_STATE_DIR_ENV, type TriggerSource } from './types.js';

/** Env var switching triggers on/off (see the file comment). */
export const TRIGGERS_ENV = 'MCP_TRIGGERS';
/** Env var of the folder file triggers' paths are relative to (default: the project root). */
export const TRIGGER_FILE_ROOT_ENV = 'MCP_TRIGGER_FILE_ROOT';
/** Env var bounding each history file before it rotates. */
export const TRIGGER_HISTORY_MAX_ENV = 'MCP_TRIGGER_HISTORY_MAX_BYTES';

export interface TriggerSetup {
  definitions: TriggerDefinition[];
  /** The tools triggers call: input validator and the wrapped handler a client call reaches. */
  tools: Record<string, TriggerTool>;
  /** The source modules this server was built with (only those its triggers use). */
  sources: SourceFactories;
  /** The generated project's root: default state folder `<root>/.triggers`, default file root. */
  projectRoot: string;
}

export interface RunningTriggers {
  readonly count: number;
  /** Stops every source (no new events) and waits up to `graceMs` for runs in flight. */
  stop(graceMs: number): Promise<void>;
}

/** Whether triggers run on this transport (MCP_TRIGGERS=on|off, default: on for http only). */
export function triggersEnabled(transport: 'stdio' | 'http', value = process.env[TRIGGERS_ENV]): boolean {
  const v = value?.trim().toLowerCase();
  if (v === 'off' || v === '0' || v === 'false') return false;
  if (v === 'on' || v === '1' || v === 'true') return true;
  return transport === 'http';
}

export function stateDirOf(projectRoot: string): string {
  return process.env[TRIGGER_STATE_DIR_ENV] || join(projectRoot, '.triggers');
}

/**
 * The trigger history. A folder named by MCP_TRIGGER_STATE_DIR must be writable (the caller stops the server
 * with a clear log otherwise: it asked for state that would be lost). Without it, the default `<root>/.triggers`
 * may be read-only (a container image running as a non-root user, a read-only project): then a folder in the
 * temporary directory is used, with a warning that history and idempotency keys end with the process.
 */
function openStateFolder(projectRoot: string, log: Logger): TriggerHistory {
  const maxBytes = historyMaxBytes(process.env[TRIGGER_HISTORY_MAX_ENV]);
  if (process.env[TRIGGER_STATE_DIR_ENV]) return openTriggerHistory(stateDirOf(projectRoot), maxBytes);
  try {
    return openTriggerHistory(stateDirOf(projectRoot), maxBytes);
  } catch (error) {
    // A new private folder per process: nothing another user prepared in the shared temporary directory.
    const fallback = mkdtempSync(join(tmpdir(), 'mcp-triggers-'));
    log.warn('the default trigger state folder cannot be written: using a temporary one', {
      error: (error as Error).message,
      folder: fallback,
      hint: `set ${TRIGGER_STATE_DIR_ENV} to a writable, persistent folder so history and idempotency keys survive restarts`,
    });
    return openTriggerHistory(fallback, maxBytes);
  }
}

function sourceOf(
  definition: TriggerDefinition,
  index: number,
  setup: TriggerSetup,
  lastRun: () => number | undefined,
  log: Logger,
): TriggerSource {
  const { sources } = setup;
  const missing = () => new Error(`this server was built without the ${definition.type} trigger source`);
  switch (definition.type) {
    case 'cron':
      if (!sources.cron) throw missing();
      return sources.cron(definition, lastRun, log);
    case 'webhook':
      if (!sources.webhook) throw missing();
      return sources.webhook(definition, log);
    case 'file':
      if (!sources.file) throw missing();
      return sources.file(definition, process.env[TRIGGER_FILE_ROOT_ENV] || setup.projectRoot, log);
    case 'database':
      if (!sources.database) throw missing();
      return sources.database(definition, log);
    case 'startup':
      return startupSource(index);
    case 'queue': {
      const factory = sources.queue?.[definition.broker];
      const url = process.env[definition.urlEnv];
      if (!factory) throw new Error(`this server was built without the ${definition.broker} queue source`);
      if (!url) throw new Error(`queue trigger on ${definition.topic} needs ${definition.urlEnv}`);
      return factory(
        { broker: definition.broker, topic: definition.topic, options: definition.options },
        url,
        log,
      );
    }
  }
}

export async function startTriggers(
  rt: Runtime,
  setup: TriggerSetup,
  transport: 'stdio' | 'http',
): Promise<RunningTriggers> {
  const log = rt.log.child({ component: 'triggers' });
  const release = (definition: TriggerDefinition) => {
    if (definition.type === 'webhook') releaseHttpRoute(definition.method, definition.path);
  };
  if (!triggersEnabled(transport) || setup.definitions.length === 0) {
    setup.definitions.forEach(release);
    if (setup.definitions.length)
      log.info('triggers are off', { transport, [TRIGGERS_ENV]: process.env[TRIGGERS_ENV] ?? '' });
    return { count: 0, stop: async () => undefined };
  }
  const history = openStateFolder(setup.projectRoot, log);
  const started: Array<{ source: TriggerSource; runner: TriggerRunner }> = [];
  for (const [index, definition] of setup.definitions.entries()) {
    const triggerLog = log.child({ trigger: index, triggerType: definition.type });
    if (definition.type === 'webhook' && transport !== 'http') {
      triggerLog.warn('webhook trigger skipped: it needs the HTTP transport');
      release(definition);
      continue;
    }
    const tool = setup.tools[definition.tool];
    if (!tool) {
      triggerLog.error('trigger calls a tool this server does not have', { tool: definition.tool });
      release(definition);
      continue;
    }
    const runner = createTriggerRunner({
      trigger: index,
      type: definition.type,
      toolName: definition.tool,
      tool,
      ...(definition.arguments ? { arguments: definition.arguments } : {}),
      ...(definition.idempotencyKey ? { idempotencyKey: definition.idempotencyKey } : {}),
      ...(definition.retry ? { retry: definition.retry } : {}),
      ...(definition.concurrency ? { concurrency: definition.concurrency } : {}),
      history,
      log,
      metrics: () => rt.metrics,
    });
    try {
      const source = sourceOf(definition, index, setup, () => history.lastRun(index), triggerLog);
      await source.start(runner.deliver);
      started.push({ source, runner });
    } catch (error) {
      await runner.stop(0);
      release(definition);
      triggerLog.error('trigger could not start; it stays off', { error: (error as Error).message });
    }
  }
  log.info('triggers started', {
    running: started.length,
    declared: setup.definitions.length,
    stateDir: history.dir,
  });
  let stopping: Promise<void> | undefined;
  return {
    count: started.length,
    stop: (graceMs) =>
      (stopping ??= Promise.all(
        started.map(({ source, runner }) =>
          Promise.all([
            source
              .stop()
              .catch((error: unknown) =>
                log.warn('trigger source did not stop cleanly', { error: String(error) }),
              ),
            runner.stop(graceMs),
          ]),
        ),
      ).then(() => undefined)),
  };
}
