/**
 * The playground: pick a server (?server=), or the gateway when the factory reaches one, and one of its tools
 * (?tool=), fill the form generated from the tool's input schema, call it through the API (POST
 * /mcp/servers/:name/call, or POST /gateway/call as the caller) and read the result. Calls of this tab are kept
 * in a history (history.ts) and can be loaded back into the form.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'wouter';
import { ApiError, api } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { Button } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import {
  buildValue,
  type FieldError,
  fieldFromSchema,
  initialRaw,
  type RawValue,
  rawFromValue,
  SchemaForm,
  safeText,
} from '../../components/schema-form/index.ts';
import { useCapabilities } from '../capabilities.ts';
import { gatewayBase } from '../gateway/model.ts';
import { HistoryList } from './HistoryList.tsx';
import {
  addToHistory,
  type CallResult,
  type HistoryEntry,
  readHistory,
  restorableArguments,
} from './history.ts';
import { ResultView } from './ResultView.tsx';
import { callRequest, GATEWAY, type ToolInfo, useServerTools } from './tools.ts';

const storage = typeof sessionStorage === 'undefined' ? undefined : sessionStorage;

export default function PlaygroundPage() {
  const [params, setParams] = useSearchParams();
  const server = params.get('server') ?? '';
  const toolName = params.get('tool') ?? '';
  const { can } = useAuth();
  const serverSelect = useId();
  const toolSelect = useId();

  const servers = useQuery({
    queryKey: ['servers'],
    queryFn: ({ signal }) =>
      api<{ servers: Array<{ name: string; status: string }> }>('/mcp/servers', { signal }),
  });
  const capabilities = useCapabilities();
  const gateway = gatewayBase(capabilities.data?.gateway?.url);
  const tools = useServerTools(server, gateway);
  const tool = tools.data?.find((t) => t.name === toolName);
  const label = server === GATEWAY ? 'the gateway' : server;

  const [history, setHistory] = useState<HistoryEntry[]>(() => readHistory(storage));
  const choose = (next: { server?: string; tool?: string }) => {
    const s = next.server ?? server;
    const t = next.server !== undefined && next.server !== server ? '' : (next.tool ?? toolName);
    setParams({ ...(s ? { server: s } : {}), ...(t ? { tool: t } : {}) }, { replace: true });
  };

  return (
    <section className="page page-playground">
      <h1>Playground</h1>
      <div className="playground-pickers">
        <div className="field">
          <label htmlFor={serverSelect}>Server</label>
          <select
            id={serverSelect}
            value={server}
            onChange={(e) => choose({ server: e.currentTarget.value })}
            disabled={servers.isPending}
          >
            <option value="">Choose a server…</option>
            {(gateway !== undefined || server === GATEWAY) && (
              <option value={GATEWAY}>The gateway (every server's tools, as you)</option>
            )}
            {server && server !== GATEWAY && !servers.data?.servers.some((s) => s.name === server) && (
              <option value={server}>{server}</option>
            )}
            {servers.data?.servers.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} ({s.status})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={toolSelect}>Tool</label>
          <select
            id={toolSelect}
            value={toolName}
            onChange={(e) => choose({ tool: e.currentTarget.value })}
            disabled={!server || tools.isPending}
          >
            <option value="">Choose a tool…</option>
            {tools.data?.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {servers.isError && <ErrorPanel error={servers.error} title="Could not list the servers" />}
      {server === GATEWAY && !gateway && !capabilities.isPending ? (
        <EmptyState title="No gateway is connected to this console">
          The operator connects one with MCP_FACTORY_GATEWAY_URL; the Gateway page says more.
        </EmptyState>
      ) : !server ? (
        <EmptyState title="Choose a server to try its tools">
          Only deployed servers answer calls: deploy one from its server page first.
        </EmptyState>
      ) : tools.isPending ? (
        <Spinner label="Loading the tools…" />
      ) : tools.isError ? (
        <ErrorPanel error={tools.error} title={`Could not read the tools of ${label}`} />
      ) : tools.data.length === 0 ? (
        <EmptyState title={`${label} has no tools`} />
      ) : !tool ? (
        <EmptyState title="Choose a tool">
          {tools.data.length} tools on {server === GATEWAY ? 'the gateway' : 'this server'}.
        </EmptyState>
      ) : (
        <ToolCaller
          key={`${server}/${tool.name}`}
          server={server}
          gateway={gateway}
          tool={tool}
          canCall={can('servers.call')}
          onCalled={(entry) => setHistory((h) => addToHistory(storage, h, entry))}
          loaded={history.find((h) => h.id === params.get('load'))}
        />
      )}
      <HistoryList
        entries={history}
        onLoad={(entry) =>
          setParams({ server: entry.server, tool: entry.tool, load: entry.id }, { replace: true })
        }
      />
    </section>
  );
}

function ToolCaller({
  server,
  gateway,
  tool,
  canCall,
  onCalled,
  loaded,
}: {
  server: string;
  gateway: string | undefined;
  tool: ToolInfo;
  canCall: boolean;
  onCalled: (entry: HistoryEntry) => void;
  loaded: HistoryEntry | undefined;
}) {
  const field = useMemo(
    () => fieldFromSchema(tool.inputSchema ?? { type: 'object', additionalProperties: true }, '', true),
    [tool.inputSchema],
  );
  const [raw, setRaw] = useState<RawValue>(() =>
    loaded && loaded.tool === tool.name
      ? rawFromValue(field, restorableArguments(loaded.arguments))
      : initialRaw(field),
  );
  useEffect(() => {
    if (loaded && loaded.tool === tool.name)
      setRaw(rawFromValue(field, restorableArguments(loaded.arguments)));
  }, [loaded, field, tool.name]);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState<{ result?: CallResult; failure?: unknown; roundTripMs: number }>();

  const call = async () => {
    const built = buildValue(field, raw);
    setErrors(built.errors);
    if (built.errors.length > 0) return;
    const value = built.value ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      setErrors([{ path: '', message: 'the arguments must be a JSON object, e.g. { "key": "value" }' }]);
      return;
    }
    const args = value as Record<string, unknown>;
    setBusy(true);
    const started = performance.now();
    try {
      const request = callRequest(server, tool.name, args, gateway);
      const result = await api<CallResult>(request.path, { method: 'POST', body: request.body });
      const roundTripMs = Math.round(performance.now() - started);
      setLast({ result, roundTripMs });
      onCalled(entry(server, tool.name, args, roundTripMs, { result }));
    } catch (error) {
      const roundTripMs = Math.round(performance.now() - started);
      setLast({ failure: error, roundTripMs });
      const failure =
        error instanceof ApiError
          ? { code: error.code, message: error.message }
          : { code: 'ERROR', message: String(error) };
      onCalled(entry(server, tool.name, args, roundTripMs, { failure }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="playground-call">
      <section className="card" aria-labelledby="tool-heading">
        <h2 id="tool-heading">
          <code>{tool.name}</code> <span className="muted">{server === GATEWAY ? 'through' : 'on'}</span>{' '}
          {server === GATEWAY ? (
            <Link href="/gateway">the gateway</Link>
          ) : (
            <Link href={`/servers/${encodeURIComponent(server)}`}>{server}</Link>
          )}
        </h2>
        {server === GATEWAY && (
          <p className="muted">
            The gateway checks your own credential: its allow-lists, rate limits and audit apply to you.
          </p>
        )}
        {tool.description && <p className="tool-description">{safeText(tool.description, 1000)}</p>}
        {!tool.inputSchema && (
          <p className="muted">
            The API did not give this tool's input schema: write the arguments as a JSON object.
          </p>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void call();
          }}
        >
          <SchemaForm field={field} value={raw} onChange={setRaw} errors={errors} disabled={busy} />
          {errors.length > 0 && (
            <p className="field-error" role="alert">
              Fix the {errors.length === 1 ? 'field' : `${errors.length} fields`} marked above.
            </p>
          )}
          <div className="actions">
            <Button type="submit" variant="primary" busy={busy} disabled={!canCall}>
              Call {tool.name}
            </Button>
            <Button onClick={() => setRaw(initialRaw(field))} disabled={busy}>
              Reset form
            </Button>
          </div>
          {!canCall && <p className="muted">Your role may not call tools.</p>}
        </form>
      </section>
      {busy && <Spinner label={`Calling ${tool.name}…`} />}
      {last && !busy && <ResultView {...last} />}
    </div>
  );
}

function entry(
  server: string,
  tool: string,
  args: Record<string, unknown>,
  roundTripMs: number,
  outcome: Pick<HistoryEntry, 'result' | 'failure'>,
): HistoryEntry {
  return {
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    at: new Date().toISOString(),
    server,
    tool,
    arguments: args,
    roundTripMs,
    ...outcome,
  };
}
