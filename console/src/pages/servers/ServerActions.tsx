import { useId, useState } from 'react';
import { useLocation } from 'wouter';
import { type ServerAction, useEnvNames, useServerAction } from '../../api/servers.ts';
import type { ServerStatus } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { useToasts } from '../../app/toasts.tsx';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog, Dialog } from '../../components/Dialog.tsx';

export const TARGETS = ['local', 'docker', 'microvm', 'swarm', 'kubernetes'] as const;

/** Deploy, stop, start, roll back and remove; destructive ones ask first, each is disabled without its permission. */
export function ServerActions({ status }: { status: ServerStatus }) {
  const auth = useAuth();
  const toasts = useToasts();
  const [, navigate] = useLocation();
  const name = status.server.name;
  const action = useServerAction(name);
  const [open, setOpen] = useState<'deploy' | 'stop' | 'remove' | undefined>();
  const running = status.deployments.some((d) => d.status === 'running' || d.status === 'starting');
  const lastTarget = status.deployments[0]?.target ?? 'local';

  const run = async (request: ServerAction, done: string) => {
    try {
      await action.mutateAsync(request);
      toasts.notify(done);
      if (request.kind === 'remove') navigate('/servers');
    } catch (error) {
      toasts.fail(`Could not ${request.kind} ${name}`, error);
      throw error;
    }
  };
  const why = (permission: string) =>
    auth.can(permission) ? undefined : `Your role does not grant ${permission}`;

  return (
    <div className="actions">
      <Button
        variant="primary"
        disabled={!auth.can('servers.deploy')}
        title={why('servers.deploy')}
        onClick={() => setOpen('deploy')}
      >
        Deploy
      </Button>
      {running ? (
        <Button
          disabled={!auth.can('servers.control')}
          title={why('servers.control')}
          onClick={() => setOpen('stop')}
        >
          Stop
        </Button>
      ) : (
        <Button
          disabled={!auth.can('servers.control') || status.deployments.length === 0}
          title={why('servers.control') ?? (status.deployments.length === 0 ? 'Deploy it first' : undefined)}
          busy={action.isPending && action.variables?.kind === 'start'}
          onClick={() => void run({ kind: 'start' }, `Started ${name}`).catch(() => undefined)}
        >
          Start
        </Button>
      )}
      <Button
        variant="danger"
        disabled={!auth.can('servers.remove')}
        title={why('servers.remove')}
        onClick={() => setOpen('remove')}
      >
        Remove
      </Button>
      <DeployDialog
        open={open === 'deploy'}
        onOpenChange={(next) => setOpen(next ? 'deploy' : undefined)}
        name={name}
        revision={status.server.currentRevision}
        defaultTarget={lastTarget}
        onDeploy={(target, env, replicas) =>
          run({ kind: 'deploy', target, env, replicas }, `Deployed ${name} to ${target}`)
        }
      />
      <ConfirmDialog
        open={open === 'stop'}
        onOpenChange={(next) => setOpen(next ? 'stop' : undefined)}
        title={`Stop ${name}?`}
        description="Its deployments stop answering until started again. Clients connected to it lose their sessions."
        confirmLabel="Stop server"
        onConfirm={() => run({ kind: 'stop' }, `Stopped ${name}`)}
      />
      <ConfirmDialog
        open={open === 'remove'}
        onOpenChange={(next) => setOpen(next ? 'remove' : undefined)}
        title={`Remove ${name}?`}
        description="Every deployment stops and the server leaves the list. Its revisions stay in the registry's history."
        confirmLabel="Remove server"
        confirmText={name}
        onConfirm={() => run({ kind: 'remove' }, `Removed ${name}`)}
      />
    </div>
  );
}

function DeployDialog({
  open,
  onOpenChange,
  name,
  revision,
  defaultTarget,
  onDeploy,
}: {
  open: boolean;
  onOpenChange(open: boolean): void;
  name: string;
  revision: number;
  defaultTarget: string;
  onDeploy(target: string, env: Record<string, string>, replicas?: number): Promise<void>;
}) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Deploy ${name}`}
      description={`Deploys revision ${revision}.`}
    >
      <DeployForm
        name={name}
        defaultTarget={defaultTarget}
        onDeploy={onDeploy}
        onCancel={() => onOpenChange(false)}
      />
    </Dialog>
  );
}

/** Targets that run several replicas of a server (the deploy request's `replicas`). */
const REPLICATED_TARGETS = new Set(['swarm', 'kubernetes']);

/**
 * The target, its replicas where it has them, and the values of the spec's environment variables. Values are
 * typed into password fields, sent once with the deploy request (the factory never stores them) and dropped with
 * the form when the dialog closes.
 */
function DeployForm({
  name,
  defaultTarget,
  onDeploy,
  onCancel,
}: {
  name: string;
  defaultTarget: string;
  onDeploy(target: string, env: Record<string, string>, replicas?: number): Promise<void>;
  onCancel(): void;
}) {
  const [target, setTarget] = useState(defaultTarget);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const env = useEnvNames(name);
  const variables = env.data?.variables ?? [];
  return (
    <form
      className="stack"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const values: Record<string, string> = {};
        for (const v of variables) {
          const value = form.get(`env:${v.name}`);
          if (typeof value === 'string' && value !== '') values[v.name] = value;
        }
        const replicasText = form.get('replicas');
        const replicas =
          REPLICATED_TARGETS.has(target) && typeof replicasText === 'string' && replicasText !== ''
            ? Number(replicasText)
            : undefined;
        setBusy(true);
        try {
          await onDeploy(target, values, replicas);
          onCancel();
        } catch {
          // The toast says what went wrong; the dialog stays open to retry or change the target.
        } finally {
          setBusy(false);
        }
      }}
    >
      <div className="field">
        <label htmlFor={id}>Target</label>
        <select id={id} value={target} onChange={(e) => setTarget(e.target.value)}>
          {TARGETS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      {REPLICATED_TARGETS.has(target) ? (
        <div className="field">
          <label htmlFor={`${id}-replicas`}>Replicas</label>
          <input
            id={`${id}-replicas`}
            name="replicas"
            type="number"
            min={1}
            max={50}
            step={1}
            inputMode="numeric"
            placeholder="as before (default 1)"
            aria-describedby={`${id}-replicas-help`}
          />
          <p className="help" id={`${id}-replicas-help`}>
            1 to 50; empty keeps what the {target} target has.
          </p>
        </div>
      ) : null}
      {variables.length > 0 ? (
        <fieldset className="plain-fieldset stack">
          <legend>Environment variables</legend>
          <p className="help">
            Sent with this deployment and never shown again. Leave a field empty to keep the value the target
            already has.
          </p>
          {variables.map((v) => (
            <div className="field" key={v.name}>
              <label htmlFor={`${id}-${v.name}`}>
                {v.name}
                {v.required ? ' (required)' : ''}
              </label>
              <input
                id={`${id}-${v.name}`}
                name={`env:${v.name}`}
                type="password"
                autoComplete="off"
                spellCheck={false}
              />
            </div>
          ))}
        </fieldset>
      ) : null}
      <div className="dialog-actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy}>
          Deploy
        </Button>
      </div>
    </form>
  );
}
