/** Shared helpers of the benchmarks: statistics, tables, child-process bookkeeping, load drivers. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HANDWRITTEN = join(ROOT, 'bench', 'handwritten-server.mjs');
export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';

// ---------- statistics ----------

/** Nearest-rank percentile of an ascending array. */
export function pct(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((n, v) => n + v, 0) / (s.length || 1);
  return {
    n: s.length,
    min: s[0],
    median: median(s),
    p90: pct(s, 0.9),
    p99: pct(s, 0.99),
    max: s.at(-1),
    mean,
  };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const r1 = (v) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : v);
export const r2 = (v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : v);
export const r3 = (v) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v);

// ---------- output ----------

/** A plain-text table; numbers right-aligned. */
export function table(title, headers, rows) {
  const cells = rows.map((r) =>
    r.map((c) => (c === undefined || c === null ? '' : typeof c === 'number' ? fmtNum(c) : String(c))),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) =>
    rows.every(
      (r) =>
        typeof r[i] === 'number' ||
        r[i] === undefined ||
        r[i] === '' ||
        /^[\d.,×x%-]+( ms| s)?$/.test(String(r[i])),
    ),
  );
  const line = (r) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    `\n## ${title}`,
    '',
    line(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
  ];
  console.log(out.join('\n'));
}

function fmtNum(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) || Math.abs(v) >= 1000) return Math.round(v).toString();
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function verdict(value, target, higherIsBetter = false) {
  const met = higherIsBetter ? value >= target : value <= target;
  return met ? 'ok' : 'MISSED';
}

// ---------- processes ----------

const children = new Set();
const foreignPids = new Set();

/** Remember a child so it is killed when the benchmark exits or fails. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Children the SDK client spawns itself (StdioClientTransport): killed by pid on exit if still around. */
export function trackPid(pid) {
  if (pid) foreignPids.add(pid);
  return () => foreignPids.delete(pid);
}

export function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  children.clear();
  for (const pid of foreignPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  foreignPids.clear();
}

export function waitExit(child, ms = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {}
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
  });
}

export async function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(signal);
  } catch {}
  await waitExit(child);
}

/** A free loopback port (tiny race window between close and the server's listen; fine on a bench box). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

let clkTck;
/** CPU seconds (user+system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuSeconds(pid) {
  try {
    clkTck ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / clkTck;
  } catch {
    return Number.NaN;
  }
}

/** Collect a child's output so a failure can say why. */
/** Calls `onMessage` with each JSON line a stream prints (stdio JSON-RPC); lines that are not JSON are skipped. */
export function onJsonLines(stream, onMessage) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      onMessage(msg);
    }
  });
}

export function tail(stream, max = 4000) {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (d) => {
    text = (text + d).slice(-max);
  });
  return () => text;
}

/** Start an HTTP MCP server process and resolve once it answers. */
export async function startHttpServer(kind, { bundle, env = {}, nodeArgs = [], logLevel = 'warn' } = {}) {
  if (kind === 'generated') {
    const port = await freePort();
    const child = track(
      spawn(
        process.execPath,
        [...nodeArgs, bundle, '--transport', 'http', '--port', String(port), '--host', '127.0.0.1'],
        {
          env: { ...process.env, LOG_LEVEL: logLevel, ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      ),
    );
    const stderr = tail(child.stderr);
    const url = `http://127.0.0.1:${port}/mcp`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`generated server exited with ${child.exitCode}: ${stderr()}`);
      const ok = await new Promise((res) => {
        const req = http.get(`http://127.0.0.1:${port}/health`, { agent: false }, (r) => {
          r.resume();
          res(r.statusCode === 200);
        });
        req.on('error', () => res(false));
        req.setTimeout(1000, () => req.destroy());
      });
      if (ok) return { child, url, stderr };
      if (Date.now() > deadline) throw new Error(`generated server did not answer /health: ${stderr()}`);
      await sleep(25);
    }
  }
  const child = track(
    spawn(process.execPath, [...nodeArgs, HANDWRITTEN, '--transport', 'http', '--port', '0'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const stderr = tail(child.stderr);
  const url = await new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`hand-written server did not start: ${stderr()}`)), 15_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /"url":"([^"]+)"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`hand-written server exited with ${code}: ${stderr()}`));
    });
  });
  return { child, url, stderr };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- load ----------

/**
 * Run `total` calls with `concurrency` workers pulling from one shared counter (a closed loop: each worker
 * starts its next call when the previous one answered). Returns per-call latencies and wall time.
 */
export async function drive(total, concurrency, call) {
  const lat = new Float64Array(total);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        await call(w, i);
        lat[i] = performance.now() - s;
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return { lat: Array.from(lat), wallMs };
}

/**
 * A bare JSON-RPC-over-HTTP caller (node:http, keep-alive agent, pre-built bodies): the same bytes the SDK
 * client sends for `tools/call`, without the client's own cost, so server differences are not diluted.
 */
export function rawHttpCaller(url, era, concurrency, { tool = 'echo', headers = {} } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const u = new URL(url);
  const baseHeaders =
    era === 'legacy'
      ? {
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          'mcp-protocol-version': LEGACY,
        }
      : {
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          'mcp-protocol-version': MODERN,
          'mcp-method': 'tools/call',
          'mcp-name': tool,
        };
  const meta =
    era === 'legacy'
      ? undefined
      : {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        };
  const call = (_w, i) =>
    new Promise((res, rej) => {
      const text = `hello ${i}`;
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: i + 1,
        method: 'tools/call',
        params: { name: tool, arguments: { text }, ...(meta ? { _meta: meta } : {}) },
      });
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent,
          headers: { ...baseHeaders, ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (r) => {
          let data = '';
          r.setEncoding('utf8');
          r.on('data', (d) => {
            data += d;
          });
          r.on('end', () => {
            try {
              const json = (r.headers['content-type'] ?? '').includes('text/event-stream')
                ? sseMessage(data, i + 1)
                : JSON.parse(data);
              const got = json?.result?.content?.[0]?.text;
              if (r.statusCode !== 200 || got !== `You said: ${text}`)
                throw new Error(`unexpected answer (HTTP ${r.statusCode}): ${data.slice(0, 300)}`);
              res();
            } catch (e) {
              rej(e);
            }
          });
        },
      );
      req.setTimeout(15_000, () => req.destroy(new Error('raw HTTP call timed out')));
      req.on('error', rej);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

function sseMessage(text, id) {
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const msg = JSON.parse(line.slice(5).trim());
    if (msg.id === id) return msg;
  }
  throw new Error(`no response for id ${id} in the event stream: ${text.slice(0, 300)}`);
}
