/**
 * What importing from an OpenAPI document or a database shares once the factory has read the source: its
 * report (counts, warnings, credentials the server will need), a checklist of what to keep (operations,
 * tables), then the spec for exactly those — created as a job, or opened in the spec editor.
 */
import { useId, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { Badge } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { safeText } from '../../components/schema-form/index.ts';
import { CreationProgress } from './JobProgress.tsx';
import { type Started, startCreate } from './jobs.ts';

export interface ImportChoice {
  id: string;
  label: string;
  detail?: string;
}

export interface ImportReportView {
  title?: string;
  counts?: Record<string, number>;
  entries?: Array<{ operation: string; reason: string; severity: string }>;
  credentials?: Array<{ envVar: string; kind?: string }>;
}

export interface ImportAnswer {
  specText: string;
  report?: ImportReportView;
  choices: ImportChoice[];
}

/** An API without the import route answers 404 with no such route: say what backend support is missing. */
export function missingRoute(error: unknown, what: string, cli: string): unknown {
  if (error instanceof ApiError && error.status === 404 && /NOT_FOUND$|^HTTP_404$/.test(error.code))
    return new ApiError(404, error.code, `this factory cannot import ${what} over its API yet`, {
      hint: `Use the CLI: ${cli}`,
    });
  return error;
}

export function ImportResult({
  answer,
  noun,
  reimport,
  onOpenInEditor,
}: {
  answer: ImportAnswer;
  noun: string;
  /** The spec for the chosen ids (the factory imports again with include). */
  reimport: (include: string[]) => Promise<string>;
  onOpenInEditor: (specText: string) => void;
}) {
  const { can } = useAuth();
  const [chosen, setChosen] = useState(() => new Set(answer.choices.map((c) => c.id)));
  const [busy, setBusy] = useState<'create' | 'editor'>();
  const [failure, setFailure] = useState<unknown>();
  const [started, setStarted] = useState<Started>();
  const listId = useId();
  const all = chosen.size === answer.choices.length;

  const specFor = async (): Promise<string> => (all ? answer.specText : reimport([...chosen]));
  const go = async (then: 'create' | 'editor') => {
    setBusy(then);
    setFailure(undefined);
    setStarted(undefined);
    try {
      const specText = await specFor();
      if (then === 'editor') onOpenInEditor(specText);
      else setStarted(await startCreate(specText, false));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(undefined);
    }
  };
  const report = answer.report;
  const warnings = (report?.entries ?? []).slice(0, 200);

  return (
    <section className="card import-result" aria-labelledby="import-heading">
      <h2 id="import-heading">Import report{report?.title ? `: ${safeText(report.title, 120)}` : ''}</h2>
      {report?.counts && (
        <dl className="facts">
          {Object.entries(report.counts).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
      {warnings.length > 0 && (
        <details>
          <summary>
            {warnings.length} {warnings.length === 1 ? 'remark' : 'remarks'}
          </summary>
          <ul>
            {warnings.map((entry, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list per import.
              <li key={index}>
                <Badge tone={entry.severity === 'error' ? 'bad' : 'warn'}>{entry.severity}</Badge>{' '}
                {entry.operation && <code>{entry.operation}</code>} {safeText(entry.reason, 300)}
              </li>
            ))}
          </ul>
        </details>
      )}
      {report?.credentials && report.credentials.length > 0 && (
        <p>
          The server will read these environment variables when deployed:{' '}
          {report.credentials.map((c) => (
            <code key={c.envVar} className="env-name">
              {c.envVar}
            </code>
          ))}
        </p>
      )}
      <fieldset className="choice-list">
        <legend id={listId}>
          Choose the {noun} to keep ({chosen.size} of {answer.choices.length})
        </legend>
        <div className="actions">
          <Button variant="ghost" onClick={() => setChosen(new Set(answer.choices.map((c) => c.id)))}>
            Select all
          </Button>
          <Button variant="ghost" onClick={() => setChosen(new Set())}>
            Select none
          </Button>
        </div>
        <ul>
          {answer.choices.map((choice) => (
            <li key={choice.id} className="field-boolean">
              <input
                type="checkbox"
                id={`${listId}-${choice.id}`}
                checked={chosen.has(choice.id)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.currentTarget.checked) next.add(choice.id);
                  else next.delete(choice.id);
                  setChosen(next);
                }}
              />
              <label htmlFor={`${listId}-${choice.id}`}>
                <code>{choice.label}</code>
                {choice.detail && <span className="muted"> {safeText(choice.detail, 160)}</span>}
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <div className="actions">
        <Button
          variant="primary"
          busy={busy === 'create'}
          disabled={chosen.size === 0 || !can('servers.create')}
          onClick={() => void go('create')}
        >
          Create with {chosen.size} {noun}
        </Button>
        <Button busy={busy === 'editor'} disabled={chosen.size === 0} onClick={() => void go('editor')}>
          Open in spec editor
        </Button>
      </div>
      {failure !== undefined && <ErrorPanel error={failure} title="The server was not created" />}
      {started && <CreationProgress started={started} />}
    </section>
  );
}
