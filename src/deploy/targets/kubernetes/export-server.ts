/**
 * The programmatic `export kubernetes` of a registered server: reads a revision (default: the current one) and
 * its spec from the registry and the environment values from the local secret store — the kubernetes store
 * `<home>/secrets/<name>.kubernetes.env` when it exists, else the local target's `<home>/secrets/<name>.env` —
 * then writes the manifests (export.ts). Values leave the store only with `includeSecrets`. Options come from
 * the server's `kubernetes.json` (options-file.ts) with the flags given overriding it key by key.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ServerSpec } from '../../../core/spec/model.js';
import type { HomeLayout } from '../../../platform/home.js';
import { readEnvFile } from '../../../platform/secrets.js';
import type { Registry } from '../../../store/index.js';
import { exportKubernetes, type KubernetesExportRequest, type KubernetesExportResult } from './export.js';
import { checkKubernetesOptions } from './options.js';
import { kubernetesOptionsFile, mergeKubernetesOptions, readKubernetesOptionsFile } from './options-file.js';

export interface ExportServerRequest extends Omit<KubernetesExportRequest, 'revision' | 'spec' | 'env'> {
  /** Default: the server's current revision. */
  revision?: number | undefined;
}

/** The environment values of a server for Kubernetes (see the file comment for which store). */
export function kubernetesEnv(layout: HomeLayout, server: string): Record<string, string> {
  const own = join(layout.secrets, `${server}.kubernetes.env`);
  if (existsSync(own)) return readEnvFile(own);
  const local = layout.envFile(server);
  return existsSync(local) ? readEnvFile(local) : {};
}

export async function exportServer(
  registry: Registry,
  layout: HomeLayout,
  request: ExportServerRequest,
): Promise<KubernetesExportResult & { revision: number }> {
  // Options first: a hostile value is refused before the registry or the secret store is read.
  checkKubernetesOptions(request.options);
  const version = await registry.getVersion(request.server, request.revision);
  // The server's kubernetes.json (its name is a registered one now), each flag given in its place.
  const options = mergeKubernetesOptions(
    readKubernetesOptionsFile(kubernetesOptionsFile(layout, version.server)),
    request.options,
  );
  const spec = ServerSpec.parse(version.spec);
  const env = request.includeSecrets
    ? kubernetesEnv(layout, request.server)
    : namesOnly(layout, request.server);
  const result = exportKubernetes({ ...request, options, revision: version.revision, spec, env });
  return { ...result, revision: version.revision };
}

/** The stored variable names with empty values: enough for the Secret's keys, nothing to leak. */
function namesOnly(layout: HomeLayout, server: string): Record<string, string> {
  return Object.fromEntries(Object.keys(kubernetesEnv(layout, server)).map((k) => [k, '']));
}
