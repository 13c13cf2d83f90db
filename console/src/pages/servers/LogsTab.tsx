import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, streamEvents } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { appendCapped, filterLines, LOG_BUFFER_CAP, type LogLine, levelOf } from '../../app/log-buffer.ts';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { remoteNodeLogs } from './remote-node.ts';

const TAIL = 200;
/** Lines arriving faster than this are rendered in batches, so a burst costs one render, not thousands. */
const FLUSH_MS = 100;

type StreamState = 'connecting' | 'live' | 'ended' | 'failed' | 'idle';

/**
 * The server's log: the last lines, then live (GET …/logs?follow=1, server-sent events). Pause freezes the
 * view while lines keep arriving; the filter narrows what is shown; at most LOG_BUFFER_CAP lines are kept.
 */
export function LogsTab({ name }: { name: string }) {
  const auth = useAuth();
  const [follow, setFollow] = useState(true);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState('');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [frozen, setFrozen] = useState<LogLine[]>([]);
  const [state, setState] = useState<StreamState>('idle');
  const [error, setError] = useState<unknown>();
  const [reload, setReload] = useState(0);
  const filterId = useId();
  const viewRef = useRef<HTMLOListElement>(null);
  const allowed = auth.can('servers.logs');

  // biome-ignore lint/correctness/useExhaustiveDependencies: `reload` is the Retry/Refresh button: it restarts the stream
  useEffect(() => {
    if (!allowed) return;
    setLines([]);
    setError(undefined);
    const path = `/mcp/servers/${encodeURIComponent(name)}/logs?tail=${TAIL}`;
    if (!follow) {
      const controller = new AbortController();
      setState('connecting');
      api<{ lines: string[] }>(path, { signal: controller.signal })
        .then((answer) => {
          setLines(appendCapped([], answer.lines));
          setState('ended');
        })
        .catch((failure) => {
          if (controller.signal.aborted) return;
          setError(failure);
          setState('failed');
        });
      return () => controller.abort();
    }
    let pending: string[] = [];
    const flush = setInterval(() => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      setLines((buffer) => appendCapped(buffer, batch));
    }, FLUSH_MS);
    setState('connecting');
    const close = streamEvents(
      `${path}&follow=1`,
      (event) => {
        if (event.type === 'message') {
          setState('live');
          pending.push(event.data);
        } else if (event.type === 'end') setState('ended');
        else if (event.type === 'error') {
          setError(new Error(parseStreamError(event.data)));
          setState('failed');
        }
      },
      (failure) => {
        setError(failure);
        setState('failed');
      },
    );
    // The first line may take a while on a quiet server: the stream is open once fetch resolved.
    const live = setTimeout(() => setState((s) => (s === 'connecting' ? 'live' : s)), 1000);
    return () => {
      close();
      clearInterval(flush);
      clearTimeout(live);
    };
  }, [name, follow, allowed, reload]);

  const remote = error ? remoteNodeLogs(error, name) : undefined;
  const shown = paused ? frozen : lines;
  const filtered = useMemo(() => filterLines(shown, filter), [shown, filter]);
  const newWhilePaused = paused ? lines.filter((l) => l.seq > (frozen.at(-1)?.seq ?? -1)).length : 0;

  // Stay at the bottom while following, unless the reader scrolled up to read.
  // biome-ignore lint/correctness/useExhaustiveDependencies: new lines (`filtered`) are what moves the bottom
  useLayoutEffect(() => {
    const view = viewRef.current;
    if (!view || paused) return;
    view.scrollTop = view.scrollHeight;
  }, [filtered, paused]);

  if (!allowed)
    return <p className="muted">Your role does not grant servers.logs, so the log is not shown.</p>;

  return (
    <section aria-labelledby="logs-heading" className="stack">
      <h2 id="logs-heading">Logs</h2>
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow live
        </label>
        <Button
          aria-pressed={paused}
          disabled={!follow}
          onClick={() => {
            if (!paused) setFrozen(lines);
            setPaused(!paused);
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </Button>
        <div className="field field-inline">
          <label htmlFor={filterId}>Filter lines</label>
          <input
            id={filterId}
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="text or /regex/"
            spellCheck={false}
          />
        </div>
        {!follow ? <Button onClick={() => setReload((n) => n + 1)}>Refresh</Button> : null}
        <Button
          onClick={() => {
            setLines([]);
            setFrozen([]);
          }}
        >
          Clear
        </Button>
        <output className="muted" aria-live="polite">
          {describeState(state)}
          {paused && newWhilePaused > 0 ? `, paused (${newWhilePaused} new lines)` : paused ? ', paused' : ''}
          {filter ? `, ${filtered.lines.length} of ${shown.length} lines match` : `, ${shown.length} lines`}
        </output>
      </div>
      {filtered.invalid ? (
        <p className="text-bad">The filter is not a valid regular expression: {filtered.invalid}</p>
      ) : null}
      {remote ? (
        <p className="help">
          This server runs on node <strong>{remote.node}</strong>, and its log is kept there:{' '}
          <a href={remote.href} rel="noopener noreferrer">
            open it in node {remote.node}'s console
          </a>
          .
        </p>
      ) : error ? (
        <ErrorPanel title="The log stream stopped" error={error} onRetry={() => setReload((n) => n + 1)} />
      ) : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls, so keyboard users must be able to focus it */}
      <ol ref={viewRef} className="log-view" aria-label={`Log of ${name}`} tabIndex={0}>
        {filtered.lines.map((line) => (
          <li key={line.seq} className={levelOf(line.text) ? `log-${levelOf(line.text)}` : undefined}>
            {line.text}
          </li>
        ))}
      </ol>
      {shown.length >= LOG_BUFFER_CAP ? (
        <p className="help">Only the newest {LOG_BUFFER_CAP} lines are kept; use the CLI for the full log.</p>
      ) : null}
    </section>
  );
}

function describeState(state: StreamState): string {
  switch (state) {
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live';
    case 'ended':
      return 'Log ended';
    case 'failed':
      return 'Stopped';
    case 'idle':
      return 'Idle';
  }
}

function parseStreamError(data: string): string {
  try {
    const parsed = JSON.parse(data) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return data || 'the log stream failed';
}
