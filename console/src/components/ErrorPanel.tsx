import { ApiError } from '../api/client.ts';
import { Button } from './Button.tsx';

/** The advice for an error the API's hint does not cover (network, sign-in, permission). */
export function adviceFor(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.hint) return error.hint;
  if (error.status === 0) return 'Check that `mcp-factory serve` is running, then retry.';
  if (error.status === 401) return 'Your session ended: sign in again.';
  if (error.status === 403) return 'Your role does not allow this: ask an administrator for the permission.';
  if (error.status === 404) return 'It may have been removed: go back to the list and refresh.';
  return undefined;
}

/** An error as the API states it: its message, its stable code and the hint that says what to do. */
export function ErrorPanel({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  const advice = adviceFor(error);
  const path = error instanceof ApiError ? error.path : undefined;
  return (
    <div className="error-panel" role="alert">
      <p className="error-title">{title ?? 'Something went wrong'}</p>
      <p>
        {message}
        {code ? (
          <>
            {' '}
            <code className="error-code">{code}</code>
          </>
        ) : null}
      </p>
      {path ? (
        <p>
          At <code>{path}</code>
        </p>
      ) : null}
      {advice ? <p className="error-hint">{advice}</p> : null}
      {onRetry ? <Button onClick={onRetry}>Retry</Button> : null}
    </div>
  );
}
