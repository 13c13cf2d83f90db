/**
 * Create from a plain-language description: an LLM drafts the spec, the factory checks and builds it like any
 * other (POST /mcp/create/natural, as a job). Shown only when the factory has an LLM provider.
 */
import { useId, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { useAuth } from '../../app/auth.tsx';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { CreationProgress } from './JobProgress.tsx';
import { type Started, startCreateFromDescription } from './jobs.ts';
import { ServerNameField, serverNameValid } from './ServerNameField.tsx';

const MAX_DESCRIPTION = 20_000;

export function DescriptionTab({ onUnavailable }: { onUnavailable: () => void }) {
  const { can } = useAuth();
  const textId = useId();
  const [text, setText] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const [started, setStarted] = useState<Started>();
  const nameValid = serverNameValid(name);

  const submit = async () => {
    setBusy(true);
    setFailure(undefined);
    setStarted(undefined);
    try {
      setStarted(await startCreateFromDescription(text.trim(), name || undefined));
    } catch (error) {
      setFailure(error);
      if (error instanceof ApiError && error.code === 'LLM_NOT_CONFIGURED') onUnavailable();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="description-tab"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim() && nameValid) void submit();
      }}
    >
      <div className="field">
        <label htmlFor={textId}>What should the server do?</label>
        <textarea
          id={textId}
          rows={8}
          maxLength={MAX_DESCRIPTION}
          value={text}
          aria-describedby={`${textId}-help`}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <p className="field-help" id={`${textId}-help`}>
          Plain language: the data or API it works with and the tools it offers. Credentials are never
          invented: the environment variables it needs are listed after creation.
        </p>
      </div>
      <ServerNameField name={name} onName={setName} />
      <Button
        type="submit"
        variant="primary"
        busy={busy}
        disabled={!text.trim() || !nameValid || !can('servers.create')}
      >
        Draft and create
      </Button>
      {failure !== undefined && <ErrorPanel error={failure} title="The server was not created" />}
      {started && <CreationProgress started={started} />}
    </form>
  );
}
