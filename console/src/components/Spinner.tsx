/** A loading indicator announced to screen readers. */
export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <output className="spinner" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      {label}
    </output>
  );
}
