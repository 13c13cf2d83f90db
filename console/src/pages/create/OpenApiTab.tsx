/**
 * Create from an OpenAPI document: upload a file (YAML or JSON; read in the browser, sent as text — the
 * factory never fetches URLs or files for it), see the import report, choose operations, create.
 */
import { useId, useState } from 'react';
import { api } from '../../api/client.ts';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { type ImportAnswer, type ImportReportView, ImportResult, missingRoute } from './ImportFlow.tsx';

/** The factory's MAX_SPEC_BYTES order of magnitude: larger documents are refused before upload. */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

interface OpenApiAnswer {
  specText: string;
  report?: ImportReportView;
  operations?: Array<{ key: string; operationId?: string; summary?: string }>;
}

const CLI = 'mcp-factory create --openapi FILE';

async function importDocument(document: string, include?: string[]): Promise<OpenApiAnswer> {
  return api<OpenApiAnswer>('/mcp/import/openapi', {
    method: 'POST',
    body: { document, ...(include ? { include } : {}) },
  });
}

export function OpenApiTab({ onOpenInEditor }: { onOpenInEditor: (specText: string) => void }) {
  const fileId = useId();
  const [document, setDocument] = useState<{ name: string; text: string }>();
  const [answer, setAnswer] = useState<ImportAnswer>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();

  const read = async (file: File | undefined) => {
    setAnswer(undefined);
    setFailure(undefined);
    setDocument(undefined);
    if (!file) return;
    if (file.size > MAX_DOCUMENT_BYTES) {
      setFailure(new Error(`${file.name} is ${Math.round(file.size / 1024)} KB: the limit is 5 MB`));
      return;
    }
    setDocument({ name: file.name, text: await file.text() });
  };
  const load = async () => {
    if (!document) return;
    setBusy(true);
    setFailure(undefined);
    try {
      const result = await importDocument(document.text);
      setAnswer({
        specText: result.specText,
        ...(result.report ? { report: result.report } : {}),
        choices: (result.operations ?? []).map((op) => ({
          id: op.key,
          label: op.key,
          ...(op.summary ? { detail: op.summary } : {}),
        })),
      });
    } catch (error) {
      setFailure(missingRoute(error, 'OpenAPI documents', CLI));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="openapi-tab">
      <div className="field">
        <label htmlFor={fileId}>OpenAPI document (YAML or JSON, Swagger 2.0 / OpenAPI 3.x)</label>
        <input
          id={fileId}
          type="file"
          accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
          onChange={(e) => void read(e.currentTarget.files?.[0])}
        />
      </div>
      <Button variant="primary" onClick={() => void load()} busy={busy} disabled={!document}>
        Import {document ? document.name : 'document'}
      </Button>
      {failure !== undefined && <ErrorPanel error={failure} title="The document was not imported" />}
      {answer && document && (
        <ImportResult
          answer={answer}
          noun="operations"
          onOpenInEditor={onOpenInEditor}
          reimport={async (include) => (await importDocument(document.text, include)).specText}
        />
      )}
    </div>
  );
}
