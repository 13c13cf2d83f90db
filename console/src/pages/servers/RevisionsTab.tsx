import { useId, useMemo, useState } from 'react';
import { useRevisionSpec, useServerAction } from '../../api/servers.ts';
import type { ServerStatus } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { diffLines, diffStats, foldUnchanged } from '../../app/diff.ts';
import { useToasts } from '../../app/toasts.tsx';
import { Badge } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog } from '../../components/Dialog.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';

/** Every revision, a roll back to any earlier one, and a line diff of two revisions' specs. */
export function RevisionsTab({ status }: { status: ServerStatus }) {
  const auth = useAuth();
  const toasts = useToasts();
  const name = status.server.name;
  const current = status.server.currentRevision;
  const versions = [...status.versions].sort((a, b) => b.revision - a.revision);
  const action = useServerAction(name);
  const [rollbackTo, setRollbackTo] = useState<number>();
  const newest = versions[0]?.revision;
  const [right, setRight] = useState<number | undefined>(newest);
  const [left, setLeft] = useState<number | undefined>(versions[1]?.revision ?? newest);
  const ids = { left: useId(), right: useId() };

  if (versions.length === 0) return <p className="muted">No revisions recorded.</p>;
  return (
    <div className="stack">
      <section aria-labelledby="revisions-list">
        <h2 id="revisions-list">Revisions</h2>
        <div className="table-wrap">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Revision</th>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
                <th scope="col">By</th>
                <th scope="col">Artifact</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.revision}>
                  <td className="num">
                    {v.revision} {v.revision === current ? <Badge tone="ok">current</Badge> : null}
                  </td>
                  <td>{v.version}</td>
                  <td>
                    <TimeAgo at={v.createdAt} />
                  </td>
                  <td>{v.createdBy}</td>
                  <td>
                    <code title={v.artifactHash}>{v.artifactHash.slice(0, 12)}</code>
                  </td>
                  <td>
                    {v.revision !== current ? (
                      <Button
                        disabled={!auth.can('servers.deploy')}
                        title={
                          auth.can('servers.deploy') ? undefined : 'Your role does not grant servers.deploy'
                        }
                        onClick={() => setRollbackTo(v.revision)}
                        aria-label={`Roll back to revision ${v.revision}`}
                      >
                        Roll back
                      </Button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="revisions-diff">
        <h2 id="revisions-diff">Compare specs</h2>
        <div className="toolbar">
          <div className="field field-inline">
            <label htmlFor={ids.left}>From revision</label>
            <select id={ids.left} value={left ?? ''} onChange={(e) => setLeft(Number(e.target.value))}>
              {versions.map((v) => (
                <option key={v.revision} value={v.revision}>
                  {v.revision} ({v.version})
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={ids.right}>To revision</label>
            <select id={ids.right} value={right ?? ''} onChange={(e) => setRight(Number(e.target.value))}>
              {versions.map((v) => (
                <option key={v.revision} value={v.revision}>
                  {v.revision} ({v.version})
                </option>
              ))}
            </select>
          </div>
        </div>
        <SpecDiff name={name} left={left} right={right} />
      </section>
      <ConfirmDialog
        open={rollbackTo !== undefined}
        onOpenChange={(open) => {
          if (!open) setRollbackTo(undefined);
        }}
        title={`Roll ${name} back to revision ${rollbackTo}?`}
        description={`Revision ${rollbackTo} becomes current and is deployed in place of revision ${current}.`}
        confirmLabel="Roll back"
        onConfirm={async () => {
          if (rollbackTo === undefined) return;
          try {
            await action.mutateAsync({ kind: 'rollback', revision: rollbackTo });
            toasts.notify(`Rolled ${name} back to revision ${rollbackTo}`);
          } catch (error) {
            toasts.fail(`Could not roll back ${name}`, error);
          }
        }}
      />
    </div>
  );
}

function SpecDiff({ name, left, right }: { name: string; left?: number; right?: number }) {
  const a = useRevisionSpec(name, left);
  const b = useRevisionSpec(name, right);
  const lines = useMemo(
    () => (a.data && b.data ? diffLines(a.data.specText, b.data.specText) : undefined),
    [a.data, b.data],
  );
  if (left === undefined || right === undefined) return null;
  if (a.isPending || b.isPending) return <Spinner label="Loading specs…" />;
  if (a.isError || b.isError) return <ErrorPanel title="Could not load a spec" error={a.error ?? b.error} />;
  if (a.data === null || b.data === null)
    return <p className="muted">This factory does not serve the specs of past revisions yet.</p>;
  if (!lines) return null;
  const stats = diffStats(lines);
  if (stats.added === 0 && stats.removed === 0)
    return (
      <p className="muted">
        Revisions {left} and {right} have the same spec.
      </p>
    );
  return (
    <>
      <p>
        <span className="text-ok">+{stats.added}</span> <span className="text-bad">−{stats.removed}</span>{' '}
        lines
      </p>
      <table className="diff" aria-label={`Spec changes from revision ${left} to ${right}`}>
        <thead className="visually-hidden">
          <tr>
            <th scope="col">Old line</th>
            <th scope="col">New line</th>
            <th scope="col">Change</th>
            <th scope="col">Text</th>
          </tr>
        </thead>
        <tbody>
          {foldUnchanged(lines).map((row, index) =>
            row.kind === 'skip' ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are a pure function of the two specs
              <tr key={index} className="diff-skip">
                <td colSpan={4}>{row.count} unchanged lines</td>
              </tr>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are a pure function of the two specs
              <tr key={index} className={`diff-${row.kind}`}>
                <td className="diff-no">{row.oldLine ?? ''}</td>
                <td className="diff-no">{row.newLine ?? ''}</td>
                <td className="diff-sign">
                  {row.kind === 'add' ? '+' : row.kind === 'del' ? '−' : ' '}
                  <span className="visually-hidden">
                    {row.kind === 'add' ? 'added' : row.kind === 'del' ? 'removed' : ''}
                  </span>
                </td>
                <td className="diff-text">{row.text}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </>
  );
}
