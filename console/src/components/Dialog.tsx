import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Button } from './Button.tsx';

/**
 * An accessible modal on the native <dialog> element: showModal() makes the rest of the page inert, keeps focus
 * inside, closes on Escape and gives focus back to the opener. (Radix's dialog injects a <style> element to lock
 * scrolling, which the console's CSP — style-src 'self' — refuses.) The content is mounted only while open, so
 * every opening starts from a fresh form.
 */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
}: {
  open: boolean;
  onOpenChange(open: boolean): void;
  title: string;
  description?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    else if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onClose={() => {
        if (open) onOpenChange(false);
      }}
    >
      {open ? (
        <>
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          {description ? (
            <p id={descriptionId} className="dialog-description">
              {description}
            </p>
          ) : null}
          {children}
        </>
      ) : null}
    </dialog>
  );
}

/**
 * Asks before a destructive action. When `confirmText` is given the user must type it (e.g. the server's
 * name before removing it), so a stray Enter cannot remove anything.
 */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  confirmText,
  danger = true,
  onConfirm,
}: {
  open: boolean;
  onOpenChange(open: boolean): void;
  title: string;
  description: string;
  confirmLabel: string;
  confirmText?: string;
  danger?: boolean;
  onConfirm(): Promise<unknown> | unknown;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={title} description={description}>
      <ConfirmForm
        confirmLabel={confirmLabel}
        confirmText={confirmText}
        danger={danger}
        onCancel={() => onOpenChange(false)}
        onConfirm={async () => {
          await onConfirm();
          onOpenChange(false);
        }}
      />
    </Dialog>
  );
}

function ConfirmForm({
  confirmLabel,
  confirmText,
  danger,
  onCancel,
  onConfirm,
}: {
  confirmLabel: string;
  confirmText: string | undefined;
  danger: boolean;
  onCancel(): void;
  onConfirm(): Promise<void>;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const ready = confirmText === undefined || typed === confirmText;
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        if (!ready || busy) return;
        setBusy(true);
        try {
          await onConfirm();
        } catch {
          // The caller reported the failure (a toast); the dialog stays open to retry or cancel.
        } finally {
          setBusy(false);
        }
      }}
    >
      {confirmText !== undefined ? (
        <div className="field">
          <label htmlFor={inputId}>
            Type <strong>{confirmText}</strong> to confirm
          </label>
          <input
            id={inputId}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
      ) : null}
      <div className="dialog-actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant={danger ? 'danger' : 'primary'} disabled={!ready} busy={busy}>
          {confirmLabel}
        </Button>
      </div>
    </form>
  );
}
