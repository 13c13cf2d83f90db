/** The calls of this tab, newest first; each can be loaded back into the form. */
import { Badge } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import type { HistoryEntry } from './history.ts';

export function HistoryList({
  entries,
  onLoad,
}: {
  entries: HistoryEntry[];
  onLoad: (entry: HistoryEntry) => void;
}) {
  return (
    <section className="card" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {entries.length === 0 ? (
        <p className="muted">
          Calls you make in this tab are listed here (secret-looking arguments are not kept).
        </p>
      ) : (
        <ol className="history">
          {entries.map((entry) => (
            <li key={entry.id} className="history-entry">
              <span>
                <code>
                  {entry.server}/{entry.tool}
                </code>{' '}
                {entry.failure ? (
                  <Badge tone="bad">{entry.failure.code}</Badge>
                ) : entry.result?.isError ? (
                  <Badge tone="bad">isError</Badge>
                ) : (
                  <Badge tone="ok">ok</Badge>
                )}{' '}
                <span className="muted">
                  {entry.roundTripMs} ms ·{' '}
                  <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time>
                </span>
              </span>
              <details>
                <summary>Arguments</summary>
                <pre className="output">{JSON.stringify(entry.arguments, null, 2)}</pre>
              </details>
              <Button
                variant="ghost"
                aria-label={`Load the call of ${entry.tool} at ${new Date(entry.at).toLocaleTimeString()} into the form`}
                onClick={() => onLoad(entry)}
              >
                Load
              </Button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
