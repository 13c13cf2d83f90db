/**
 * Create from a database: its URL (a secret: a password field, never shown again, never stored, cleared when
 * the tab goes away), the factory introspects it, you choose tables and views, create.
 */
import { useId, useState } from 'react';
import { api } from '../../api/client.ts';
import { Button } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { useCapabilities } from '../capabilities.ts';
import { type ImportAnswer, type ImportReportView, ImportResult, missingRoute } from './ImportFlow.tsx';
import { ServerNameField, serverNameValid } from './ServerNameField.tsx';

interface DatabaseAnswer {
  specText: string;
  report?: ImportReportView;
  tables?: Array<{ name: string; kind?: string; columns?: number }>;
}

const CLI = 'mcp-factory create --db "$DATABASE_URL"';
const URL_SCHEMES = /^(postgres(ql)?|mysql|mariadb):\/\//i;

async function importDatabase(url: string, name: string, include?: string[]): Promise<DatabaseAnswer> {
  return api<DatabaseAnswer>('/mcp/import/database', {
    method: 'POST',
    body: { url, ...(name ? { name } : {}), ...(include ? { include } : {}) },
  });
}

export function DatabaseTab({ onOpenInEditor }: { onOpenInEditor: (specText: string) => void }) {
  const capabilities = useCapabilities();
  // The URL is a secret: it is only sent to a factory that says it imports databases over its API.
  if (capabilities.data?.imports?.database !== true)
    return (
      <EmptyState title="This factory imports databases only from the command line">
        <p>
          Reading a database makes the factory connect to the host in your URL, so the API only does it for
          hosts the operator allows (<code>MCP_FACTORY_IMPORT_DB_HOSTS</code>), and none are allowed here. Run{' '}
          <code>{CLI}</code> where the factory runs (the URL stays in your shell), then open the new server
          here.
        </p>
      </EmptyState>
    );
  return <DatabaseForm onOpenInEditor={onOpenInEditor} />;
}

function DatabaseForm({ onOpenInEditor }: { onOpenInEditor: (specText: string) => void }) {
  const urlId = useId();
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [answer, setAnswer] = useState<ImportAnswer>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const nameValid = serverNameValid(name);
  const urlValid = URL_SCHEMES.test(url.trim());

  const load = async () => {
    setBusy(true);
    setFailure(undefined);
    setAnswer(undefined);
    try {
      const result = await importDatabase(url.trim(), name);
      setAnswer({
        specText: result.specText,
        ...(result.report ? { report: result.report } : {}),
        choices: (result.tables ?? []).map((t) => ({
          id: t.name,
          label: t.name,
          ...(t.kind || t.columns !== undefined
            ? {
                detail: [t.kind, t.columns !== undefined ? `${t.columns} columns` : '']
                  .filter(Boolean)
                  .join(', '),
              }
            : {}),
        })),
      });
    } catch (error) {
      setFailure(missingRoute(error, 'databases', CLI));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="database-tab">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (urlValid && nameValid) void load();
        }}
      >
        <div className="field">
          <label htmlFor={urlId}>Database URL</label>
          <input
            id={urlId}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={url}
            placeholder="postgres://user:password@host:5432/db"
            aria-describedby={`${urlId}-help`}
            onChange={(e) => setUrl(e.currentTarget.value)}
          />
          <p className="field-help" id={`${urlId}-help`}>
            PostgreSQL, MySQL or MariaDB, on a host the operator allows. The URL is sent to the factory to
            read the schema (and again when you narrow the tables); it is not shown again, and the server
            reads it from DATABASE_URL when deployed. Prefer a read-only user.
          </p>
          {url !== '' && !urlValid && (
            <p className="field-error" role="alert">
              Start the URL with postgres://, mysql:// or mariadb://.
            </p>
          )}
        </div>
        <ServerNameField name={name} onName={setName} />
        <Button type="submit" variant="primary" busy={busy} disabled={!urlValid || !nameValid}>
          Read the database
        </Button>
      </form>
      {failure !== undefined && <ErrorPanel error={failure} title="The database was not imported" />}
      {answer && (
        <ImportResult
          answer={answer}
          noun="tables"
          onOpenInEditor={onOpenInEditor}
          reimport={async (include) => (await importDatabase(url.trim(), name, include)).specText}
        />
      )}
    </div>
  );
}
