/**
 * Create from a template: pick one (GET /mcp/templates), fill the form generated from its variables, let the
 * factory render the spec (POST /mcp/templates/:name/spec), then create it or open it in the spec editor.
 */
import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
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
  SchemaForm,
} from '../../components/schema-form/index.ts';
import { issuesFrom } from './issues.ts';
import { CreationProgress } from './JobProgress.tsx';
import { type Started, startCreate } from './jobs.ts';
import { type TemplateSummary, templateRequest, templateSchema } from './template-schema.ts';

export function TemplateTab({ onOpenInEditor }: { onOpenInEditor: (specText: string) => void }) {
  const templates = useQuery({
    queryKey: ['templates'],
    queryFn: ({ signal }) => api<{ templates: TemplateSummary[] }>('/mcp/templates', { signal }),
    staleTime: 5 * 60_000,
  });
  const [chosen, setChosen] = useState('');
  const selectId = useId();
  const template = templates.data?.templates.find((t) => t.name === chosen);

  if (templates.isPending) return <Spinner label="Loading the templates…" />;
  if (templates.isError) return <ErrorPanel error={templates.error} title="Could not list the templates" />;
  if (templates.data.templates.length === 0) return <EmptyState title="This factory has no templates" />;
  return (
    <div className="template-tab">
      <div className="field">
        <label htmlFor={selectId}>Template</label>
        <select id={selectId} value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
          <option value="">Choose a template…</option>
          {templates.data.templates.map((t) => (
            <option key={t.name} value={t.name}>
              {t.title} ({t.category})
            </option>
          ))}
        </select>
      </div>
      {template ? (
        <TemplateForm key={template.name} template={template} onOpenInEditor={onOpenInEditor} />
      ) : (
        <p className="muted">
          {templates.data.templates.length} templates: databases, APIs, files, messaging…
        </p>
      )}
    </div>
  );
}

function TemplateForm({
  template,
  onOpenInEditor,
}: {
  template: TemplateSummary;
  onOpenInEditor: (specText: string) => void;
}) {
  const { can } = useAuth();
  const field = useMemo(() => fieldFromSchema(templateSchema(template), '', true), [template]);
  const [raw, setRaw] = useState<RawValue>(() => initialRaw(field));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState<'create' | 'editor'>();
  const [failure, setFailure] = useState<unknown>();
  const [started, setStarted] = useState<Started>();

  const render = async (then: 'create' | 'editor') => {
    const built = buildValue(field, raw);
    setErrors(built.errors);
    if (built.errors.length > 0) return;
    setBusy(then);
    setFailure(undefined);
    setStarted(undefined);
    try {
      const { specText } = await api<{ specText: string }>(
        `/mcp/templates/${encodeURIComponent(template.name)}/spec`,
        {
          method: 'POST',
          body: templateRequest(built.value as Record<string, unknown>),
        },
      );
      if (then === 'editor') onOpenInEditor(specText);
      else setStarted(await startCreate(specText, false));
    } catch (error) {
      setFailure(
        error instanceof ApiError && error.status === 404 && error.code !== 'TEMPLATE_NOT_FOUND'
          ? new ApiError(404, error.code, 'this factory cannot render templates over its API yet', {
              hint: `Use the CLI: mcp-factory create --template ${template.name} --name NAME --set KEY=VALUE`,
            })
          : error,
      );
      // The factory names a variable's problem `set.NAME` and the server name's `name`: the form's own paths.
      setErrors(
        issuesFrom(error instanceof ApiError ? error.details : undefined).map((i) => ({
          path: i.path.startsWith('set.') ? `var:${i.path.slice(4)}` : i.path,
          message: i.message,
        })),
      );
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="card" aria-labelledby="template-heading">
      <h2 id="template-heading">{template.title}</h2>
      <p>{template.description}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void render('create');
        }}
      >
        <SchemaForm
          field={field}
          value={raw}
          onChange={setRaw}
          errors={errors}
          disabled={busy !== undefined}
        />
        {template.environment.length > 0 && (
          <div className="env-names">
            <h3>Environment the server needs when deployed</h3>
            <ul>
              {template.environment.map((env) => (
                <li key={env.name}>
                  <code>{env.name}</code>
                  {env.required ? ' (required)' : ''}
                  {env.secret ? ' (secret)' : ''} — {env.description}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="actions">
          <Button type="submit" variant="primary" busy={busy === 'create'} disabled={!can('servers.create')}>
            Create from template
          </Button>
          <Button onClick={() => void render('editor')} busy={busy === 'editor'}>
            Open in spec editor
          </Button>
        </div>
      </form>
      {failure !== undefined && <ErrorPanel error={failure} title="The template was not rendered" />}
      {started && <CreationProgress started={started} />}
    </section>
  );
}
