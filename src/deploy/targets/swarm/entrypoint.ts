/**
 * The swarm layer put on top of a revision's docker image (engine.ts builds it): a small Node entrypoint that
 * (1) loads the server's environment from the Docker secret mounted at /run/secrets/<SECRET_FILE> (a JSON
 * object; the values never appear in the image or in the service spec), (2) gives each replica its own port,
 * PORT = MCP_FACTORY_SWARM_PORT_BASE + slot - 1, where the slot comes from the service's `{{.Task.Slot}}`
 * template (services run on the host network: the engine has no bridge, so no routing mesh), then (3) starts
 * the generated server in the same process. With `--health` it is the container's HEALTHCHECK instead: the
 * replica's /health endpoint must answer 200.
 * No spec string is interpolated here: the script is constant, its inputs arrive through the environment.
 */

/** Where the entrypoint lives in the swarm image. */
export const ENTRYPOINT_PATH = '/opt/mcp-factory/swarm-entry.mjs';
/** The secret's file name under /run/secrets. */
export const SECRET_FILE = 'mcp-factory-env';
/** Environment variables the service spec sets (only these; the server's own values come from the secret). */
export const SLOT_ENV = 'MCP_FACTORY_SWARM_SLOT';
export const PORT_BASE_ENV = 'MCP_FACTORY_SWARM_PORT_BASE';

/** The entrypoint's source (a constant: it reads everything it needs at run time). */
export const ENTRYPOINT_SOURCE = `// MCP Factory swarm entrypoint: environment from a Docker secret, a port per replica, then the server.
import { readFileSync } from 'node:fs';

const slot = Number(process.env.${SLOT_ENV});
const base = Number(process.env.${PORT_BASE_ENV});
const port = base + slot - 1;
if (!Number.isInteger(slot) || slot < 1 || !Number.isInteger(base) || base < 1 || port > 65535) {
  process.stderr.write('swarm entrypoint: invalid ${SLOT_ENV} or ${PORT_BASE_ENV}\\n');
  process.exit(64);
}
if (process.argv[2] === '--health') {
  fetch('http://127.0.0.1:' + port + '/health', { signal: AbortSignal.timeout(4000) }).then(
    (r) => process.exit(r.ok ? 0 : 1),
    () => process.exit(1),
  );
} else {
  let env = {};
  try {
    env = JSON.parse(readFileSync('/run/secrets/${SECRET_FILE}', 'utf8'));
  } catch (error) {
    if (error.code !== 'ENOENT') {
      process.stderr.write('swarm entrypoint: unreadable secret ${SECRET_FILE}\\n');
      process.exit(78);
    }
  }
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') process.env[name] = value;
  process.env.PORT = String(port);
  process.env.HOST = '127.0.0.1';
  process.env.MCP_TRANSPORT = 'http';
  delete process.env.${SLOT_ENV};
  delete process.env.${PORT_BASE_ENV};
  process.chdir('/app');
  await import('/app/dist/server.mjs');
}
`;

/** The Dockerfile of the swarm layer over `baseTag` (the revision's image). */
export function swarmDockerfile(baseTag: string): string {
  // The tag is built by imageTag() from a validated server name; anything else would be a bug, not input.
  if (!/^[a-z0-9][a-z0-9/._:-]*$/.test(baseTag))
    throw new Error(`not an image tag: ${JSON.stringify(baseTag)}`);
  return [
    `FROM ${baseTag}`,
    `COPY swarm-entry.mjs ${ENTRYPOINT_PATH}`,
    `ENTRYPOINT ["node", ${JSON.stringify(ENTRYPOINT_PATH)}]`,
    'CMD []',
    '',
  ].join('\n');
}
