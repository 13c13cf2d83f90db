/** Structured JSON logs on stderr (stdout belongs to the stdio transport). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  const min = RANK[level];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    const line = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    process.stderr.write(`${safeStringify(line)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }),
  };
}

/** MCP log levels a runtime level maps to (`notifications/message`). */
const MCP_LEVEL: Record<LogLevel, 'debug' | 'info' | 'warning' | 'error'> = {
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
};

/** Where a tool's log lines also go: the calling client (it filters by the level it asked for). */
export type ClientLogSink = (
  level: 'debug' | 'info' | 'warning' | 'error',
  data: unknown,
  logger?: string,
) => Promise<void>;

/**
 * A logger that writes to stderr as `log` does and also sends each line to the client as
 * `notifications/message` (the SDK drops lines below the client's level). Sending never throws: a client that
 * went away must not fail the tool.
 */
export function withClientSink(
  log: Logger,
  sink: ClientLogSink,
  loggerName?: string,
  base: Record<string, unknown> = {},
): Logger {
  const send = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    log[level](msg, fields);
    const all = { ...base, ...fields };
    const data = Object.keys(all).length ? JSON.parse(safeStringify({ message: msg, ...all })) : msg;
    try {
      sink(MCP_LEVEL[level], data, loggerName).catch(() => undefined);
    } catch {
      /* the client is gone: stderr still has the line */
    }
  };
  return {
    debug: (m, f) => send('debug', m, f),
    info: (m, f) => send('info', m, f),
    warn: (m, f) => send('warn', m, f),
    error: (m, f) => send('error', m, f),
    child: (fields) => withClientSink(log.child(fields), sink, loggerName, { ...base, ...fields }),
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v,
    );
  } catch {
    return JSON.stringify({ level: 'error', msg: 'unserialisable log line' });
  }
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : fallback;
}
