/**
 * Write a spec (YAML or JSON) with the schema-aware editor, validate it on the factory (POST /mcp/validate:
 * issues become editor diagnostics and a list with line:column), and create the server as a job.
 */
import { lazy, Suspense, useCallback, useEffect, useId, useState } from 'react';
import { ApiError, api } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { Badge } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import type { SpecLanguage } from './editor/SpecEditor.tsx';
import { issueLocation, issuesFrom, type SpecIssue } from './issues.ts';
import { CreationProgress } from './JobProgress.tsx';
import { type Started, startCreate } from './jobs.ts';

const SpecEditor = lazy(() => import('./editor/SpecEditor.tsx'));

export const STARTER_SPEC = `# An MCP Factory spec: the schema completes keys (Ctrl-Space) and explains them on hover.
name: my-server
version: 0.1.0
description: What this server does.
tools:
  - name: greet
    description: Greet someone by name.
    parameters:
      name: { type: string, required: true, maxLength: 100 }
    annotations: { readOnly: true, idempotent: true, openWorld: false }
    code:
      source: |
        return { greeting: \`Hello, \${args.name}!\` };
`;

const VALIDATE_DELAY_MS = 800;

interface Validation {
  ok: boolean;
  name?: string;
  tools?: number;
  issues: SpecIssue[];
}

export function SpecTab({ text, onText }: { text: string; onText: (text: string) => void }) {
  const { can } = useAuth();
  const [language, setLanguage] = useState<SpecLanguage>(() =>
    text.trimStart().startsWith('{') ? 'json' : 'yaml',
  );
  const [validation, setValidation] = useState<Validation>();
  const [validator, setValidator] = useState<'unknown' | 'available' | 'missing'>('unknown');
  const [validating, setValidating] = useState(false);
  const [force, setForce] = useState(false);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<unknown>();
  const [started, setStarted] = useState<Started>();
  const languageId = useId();
  const forceId = useId();

  const validate = useCallback(
    async (specText: string, signal?: AbortSignal) => {
      if (!can('specs.validate') || validator === 'missing') return;
      setValidating(true);
      try {
        const answer = await api<Validation>('/mcp/validate', {
          method: 'POST',
          body: { specText },
          ...(signal ? { signal } : {}),
        });
        setValidator('available');
        setValidation({ ...answer, issues: issuesFrom(answer) });
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') return;
        // An API without the validation route: the editor's schema checks remain; creating validates too.
        if (error instanceof ApiError && error.status === 404) setValidator('missing');
        else if (error instanceof ApiError && error.status === 422)
          setValidation({ ok: false, issues: issuesFrom(error.details) });
      } finally {
        setValidating(false);
      }
    },
    [can, validator],
  );

  useEffect(() => {
    if (validator === 'missing' || !text.trim()) return;
    const controller = new AbortController();
    const timer = setTimeout(() => void validate(text, controller.signal), VALIDATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, validate, validator]);

  const create = async () => {
    setCreating(true);
    setCreateError(undefined);
    setStarted(undefined);
    try {
      setStarted(await startCreate(text, force));
    } catch (error) {
      setCreateError(error);
      if (error instanceof ApiError) {
        const issues = issuesFrom(error.details);
        if (issues.length > 0) setValidation({ ok: false, issues });
      }
    } finally {
      setCreating(false);
    }
  };
  const issues = validation?.issues ?? [];

  return (
    <div className="spec-tab">
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor={languageId}>Format</label>
          <select
            id={languageId}
            value={language}
            onChange={(e) => setLanguage(e.currentTarget.value as SpecLanguage)}
          >
            <option value="yaml">YAML</option>
            <option value="json">JSON</option>
          </select>
        </div>
        <Button onClick={() => void validate(text)} busy={validating} disabled={validator === 'missing'}>
          Validate
        </Button>
        <span aria-live="polite" className="validation-state">
          {validator === 'missing' ? (
            <span className="muted">
              Server-side validation is not available on this factory (schema checks only).
            </span>
          ) : validation ? (
            validation.ok ? (
              <Badge tone="ok">
                valid{validation.name ? `: ${validation.name}, ${validation.tools ?? 0} tools` : ''}
              </Badge>
            ) : (
              <Badge tone="bad">
                {issues.length} {issues.length === 1 ? 'problem' : 'problems'}
              </Badge>
            )
          ) : null}
        </span>
      </div>
      <Suspense fallback={<Spinner label="Loading the editor…" />}>
        <SpecEditor
          value={text}
          onChange={onText}
          language={language}
          issues={issues}
          label="Spec (YAML or JSON)"
        />
      </Suspense>
      {issues.length > 0 && (
        <section aria-labelledby="issues-heading" className="issues">
          <h2 id="issues-heading">Problems</h2>
          <ul>
            {issues.map((issue, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: issues are a fixed list per validation.
              <li key={index}>
                <code>{issueLocation(text, issue)}</code> <code className="error-code">{issue.code}</code>{' '}
                {issue.message}
                {issue.hint && <span className="error-hint"> {issue.hint}</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
      <div className="actions">
        <div className="field field-boolean">
          <input
            id={forceId}
            type="checkbox"
            checked={force}
            onChange={(e) => setForce(e.currentTarget.checked)}
          />
          <label htmlFor={forceId}>New revision of an existing server</label>
        </div>
        <Button
          variant="primary"
          onClick={() => void create()}
          busy={creating}
          disabled={!can('servers.create')}
        >
          Create server
        </Button>
        {!can('servers.create') && <span className="muted">Your role may not create servers.</span>}
      </div>
      {createError !== undefined && <ErrorPanel error={createError} title="The server was not created" />}
      {started && (
        <CreationProgress
          started={started}
          onIssues={(details) => {
            const found = issuesFrom(details);
            if (found.length) setValidation({ ok: false, issues: found });
          }}
        />
      )}
    </div>
  );
}
