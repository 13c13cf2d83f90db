/** A tool call's outcome: isError, the server's and the browser's durations, text and structuredContent. */
import { Badge } from '../../components/Badge.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import type { CallResult } from './history.ts';

export function ResultView({
  result,
  failure,
  roundTripMs,
}: {
  result?: CallResult | undefined;
  failure?: unknown;
  roundTripMs: number;
}) {
  if (!result)
    return (
      <section className="card" aria-labelledby="result-heading">
        <h2 id="result-heading">Result</h2>
        <ErrorPanel error={failure} title="The call did not reach the tool" />
        <p className="muted">Round trip {roundTripMs} ms</p>
      </section>
    );
  return (
    <section className="card result" aria-labelledby="result-heading">
      <h2 id="result-heading">
        Result{' '}
        {result.isError ? <Badge tone="bad">isError: true</Badge> : <Badge tone="ok">isError: false</Badge>}
      </h2>
      <dl className="facts">
        <dt>Tool duration</dt>
        <dd>{Math.round(result.durationMs)} ms</dd>
        <dt>Round trip</dt>
        <dd>{roundTripMs} ms</dd>
      </dl>
      <h3>Content</h3>
      {result.text ? <pre className="output">{result.text}</pre> : <p className="muted">No text content.</p>}
      <h3>structuredContent</h3>
      {result.structuredContent === undefined ? (
        <p className="muted">None.</p>
      ) : (
        <pre className="output">{JSON.stringify(result.structuredContent, null, 2)}</pre>
      )}
    </section>
  );
}
