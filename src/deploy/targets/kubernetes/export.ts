/**
 * `export kubernetes`: the manifests of a server revision written as YAML for GitOps — one file per kind
 * (`deployment.yaml`, …) or, with `helm`, a minimal Helm chart (helm.ts). Everything is built and checked before
 * the first byte is written, so a refused option leaves the output directory untouched; a non-empty output
 * directory is refused (OUTPUT_EXISTS) unless `force`. Secret values are written only with `includeSecrets`.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Document } from 'yaml';
import { FactoryError } from '../../../core/errors/index.js';
import type { ServerSpec } from '../../../core/spec/model.js';
import { helmChart } from './helm.js';
import { buildManifests, type KubernetesObject } from './manifests.js';
import type { KubernetesOptions } from './options.js';

export interface KubernetesExportRequest {
  server: string;
  revision: number;
  spec: ServerSpec;
  /** The stored environment values; written only with includeSecrets (keys always). */
  env: Record<string, string>;
  includeSecrets?: boolean | undefined;
  options: KubernetesOptions;
  outDir: string;
  helm?: boolean | undefined;
  /** Write into a non-empty outDir (files of the same names are replaced). */
  force?: boolean | undefined;
}

export interface KubernetesExportResult {
  /** Written files, relative to outDir. */
  files: string[];
  objects: KubernetesObject[];
}

/** How to fill a Secret exported without values (its keys are listed, each an empty string). */
export function secretFillComment(secretName: string, keys: string[]): string {
  const literals = keys.map((k) => ` --from-literal=${k}=...`).join('');
  return [
    ' Values are not exported (pass --include-secrets to include them). Fill them before applying, e.g.:',
    `   kubectl create secret generic ${secretName}${literals} --dry-run=client -o yaml | kubectl apply -f -`,
  ].join('\n');
}

/** One YAML document of an object; a Secret without values carries the comment on how to fill it. */
export function objectYaml(object: KubernetesObject, withValues: boolean): string {
  const doc = new Document(object);
  if (object.kind === 'Secret' && !withValues)
    doc.commentBefore = secretFillComment(object.metadata.name, Object.keys(object.stringData as object));
  return doc.toString({ lineWidth: 0 });
}

function ensureWritable(outDir: string, force: boolean): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory())
    throw new FactoryError('OUTPUT_EXISTS', `${outDir} exists and is not a directory`, {
      details: { outDir },
    });
  if (!force && readdirSync(outDir).length > 0)
    throw new FactoryError('OUTPUT_EXISTS', `${outDir} is not empty`, {
      details: { outDir, hint: 'pass --force to write into it, or choose another --out directory' },
    });
}

export function exportKubernetes(request: KubernetesExportRequest): KubernetesExportResult {
  const withValues = request.includeSecrets === true;
  const objects = buildManifests({
    server: request.server,
    revision: request.revision,
    spec: request.spec,
    env: request.env,
    secretValues: withValues,
    options: request.options,
  });
  const files = new Map<string, string>();
  if (request.helm) {
    for (const [path, text] of Object.entries(helmChart(objects, request))) files.set(path, text);
  } else {
    for (const object of objects)
      files.set(`${object.kind.toLowerCase()}.yaml`, objectYaml(object, withValues));
  }
  ensureWritable(request.outDir, request.force === true);
  for (const [path, text] of files) {
    const target = join(request.outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    // Secrets may be inside: owner-only, like the local secret store.
    writeFileSync(target, text, { mode: 0o600 });
  }
  return { files: [...files.keys()], objects };
}
