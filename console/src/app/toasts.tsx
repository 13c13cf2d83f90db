/**
 * Short-lived notices ("Deployed inventory", "Could not stop: …") in a polite live region; errors stay until
 * dismissed so they can be read.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client.ts';

export interface Toast {
  id: number;
  tone: 'ok' | 'bad' | 'info';
  message: string;
  detail?: string;
}

interface Toasts {
  notify(message: string, tone?: Toast['tone'], detail?: string): void;
  fail(prefix: string, error: unknown): void;
}

const ToastContext = createContext<Toasts | undefined>(undefined);

export function useToasts(): Toasts {
  const value = useContext(ToastContext);
  if (!value) throw new Error('useToasts is used outside <ToastProvider>');
  return value;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const notify = useCallback<Toasts['notify']>(
    (message, tone = 'ok', detail) => {
      const id = nextId.current++;
      setToasts((all) => [...all.slice(-4), { id, tone, message, ...(detail ? { detail } : {}) }]);
      if (tone !== 'bad') setTimeout(() => dismiss(id), 5000);
    },
    [dismiss],
  );
  const fail = useCallback<Toasts['fail']>(
    (prefix, error) => {
      const message = error instanceof Error ? error.message : String(error);
      const hint = error instanceof ApiError ? error.hint : undefined;
      notify(`${prefix}: ${message}`, 'bad', hint);
    },
    [notify],
  );
  const value = useMemo(() => ({ notify, fail }), [notify, fail]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <section className="toasts" aria-live="polite" aria-label="Notifications">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            className={`toast toast-${toast.tone}`}
            role={toast.tone === 'bad' ? 'alert' : 'status'}
          >
            <div>
              <p>{toast.message}</p>
              {toast.detail ? <p className="toast-detail">{toast.detail}</p> : null}
            </div>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss notification"
              onClick={() => dismiss(toast.id)}
            >
              ×
            </button>
          </div>
        ))}
      </section>
    </ToastContext.Provider>
  );
}
