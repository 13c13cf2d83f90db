import { formatRelative } from '../app/format.ts';

/** A time as "3 min ago", with the exact time in a <time> element for tooltips and assistive tech. */
export function TimeAgo({ at, now }: { at: string | number | Date | null | undefined; now?: number }) {
  if (at === null || at === undefined || at === '') return <span className="muted">—</span>;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return <span className="muted">—</span>;
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {formatRelative(date.getTime(), now ?? Date.now())}
    </time>
  );
}
