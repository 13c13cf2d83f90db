import { useId } from 'react';
import { SERVER_NAME_PATTERN } from './template-schema.ts';

/** Whether an optional server name is acceptable: empty (the factory names it) or a valid server name. */
export function serverNameValid(name: string): boolean {
  return name === '' || new RegExp(SERVER_NAME_PATTERN).test(name);
}

/** The optional "Server name" field of the create tabs, with its inline error. */
export function ServerNameField({ name, onName }: { name: string; onName: (name: string) => void }) {
  const id = useId();
  const valid = serverNameValid(name);
  return (
    <div className="field">
      <label htmlFor={id}>Server name (optional)</label>
      <input
        id={id}
        type="text"
        value={name}
        maxLength={64}
        aria-invalid={!valid || undefined}
        onChange={(e) => onName(e.currentTarget.value)}
      />
      {!valid && (
        <p className="field-error" role="alert">
          Lower-case letters, digits, . _ - (max 64), e.g. my-server.
        </p>
      )}
    </div>
  );
}
