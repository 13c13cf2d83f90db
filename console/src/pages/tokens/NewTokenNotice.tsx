import { useId, useState } from 'react';
import { Button } from '../../components/Button.tsx';

/**
 * The one time a token's value is visible: a read-only field to select, a copy button, and a warning. It is
 * held only in this component's state and gone once dismissed.
 */
export function NewTokenNotice({ name, token, onDone }: { name: string; token: string; onDone(): void }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'failed'>();
  return (
    <section className="notice notice-warn" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Token {name} is ready</h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> Keep it like a password; anyone holding it
        acts as you.
      </p>
      <div className="field">
        <label htmlFor={id}>Value of {name}</label>
        <input
          id={id}
          readOnly
          value={token}
          className="mono"
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
        />
      </div>
      <div className="actions">
        <Button
          variant="primary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(token);
              setCopied('yes');
            } catch {
              setCopied('failed');
            }
          }}
        >
          Copy token
        </Button>
        <Button onClick={onDone}>I have saved it</Button>
        <output aria-live="polite">
          {copied === 'yes'
            ? 'Copied.'
            : copied === 'failed'
              ? 'Copying is blocked here: select the field and copy it.'
              : ''}
        </output>
      </div>
    </section>
  );
}
