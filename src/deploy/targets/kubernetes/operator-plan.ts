/**
 * The operator's decision for one MCPServer, with no I/O: check every field of the resource (the API server
 * checks the CRD schema too, but the operator must not trust that a resource went through it), validate the
 * server spec with the factory's parser, refuse tools that run code the factory did not write unless the
 * operator was started to allow them (the same two grants a token needs: `--allow-code`, `--allow-host-access`),
 * then build the objects with the kubernetes target's manifests.ts — owned by the resource so deleting it
 * deletes them, the given image instead of the factory's tag, the environment from the named Secrets only
 * (the operator never reads or writes a value), and the extra egress rules. Anything refused applies nothing.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { FactoryError } from '../../../core/errors/index.js';
import { validateSpec } from '../../../core/spec/load.js';
import { specPermissions } from '../../../identity/policy.js';
import { APPLY_ORDER } from './cluster.js';
import {
  CRD_API_VERSION,
  CRD_KIND,
  IMAGE_PATTERN,
  MAX_EGRESS_RULES,
  MAX_ENV_SECRETS,
  SECRET_NAME_PATTERN,
} from './crd.js';
import { buildManifests, type KubernetesObject } from './manifests.js';
import type { McpServerResource } from './operator-api.js';
import { checkKubernetesOptions, type KubernetesOptions, kubernetesName } from './options.js';

export interface OperatorPolicy {
  /** Allow tools that run code the factory did not write (`code`). */
  allowCode: boolean;
  /** Allow tools with host access (`command`, `code.hostAccess`). */
  allowHostAccess: boolean;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
}

export type Plan =
  | {
      ok: true;
      name: string;
      namespace: string;
      /** Hash of the resource's spec: what the objects were built from. */
      revision: string;
      image: string;
      endpoint: string;
      /** In apply order. */
      objects: KubernetesObject[];
      /** Optional objects this resource does not want (any left from an earlier spec are deleted). */
      prune: ObjectRef[];
    }
  | { ok: false; reason: 'InvalidResource' | 'InvalidSpec' | 'CodeNotAllowed'; messages: string[] };

export const SPEC_REVISION_ANNOTATION = 'dev.mcp-factory/spec-revision';
const SPEC_FIELDS = new Set([
  'server',
  'image',
  'replicas',
  'resources',
  'ingressHost',
  'hpa',
  'envSecrets',
  'egress',
]);
const OPTIONAL_KINDS: ObjectRef[] = [
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: '' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: '' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: '' },
];
const IMAGE = new RegExp(IMAGE_PATTERN);
const SECRET_NAME = new RegExp(SECRET_NAME_PATTERN);

/** JSON with sorted keys, so the revision does not depend on field order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function specRevision(spec: unknown): string {
  return createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 16);
}

interface ExtraEgress {
  port: number;
  protocol: 'TCP' | 'UDP';
  cidr?: string;
  reason: string;
}

function validCidr(text: string): boolean {
  const [address = '', prefix = '', ...rest] = text.split('/');
  const family = isIP(address);
  if (rest.length || !family || !/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The resource's own fields (not the server spec); every problem, as messages. */
function checkFields(resource: McpServerResource, problems: string[]) {
  const { metadata } = resource;
  const spec = resource.spec ?? {};
  if (typeof spec !== 'object' || Array.isArray(spec)) problems.push('spec must be a mapping');
  const namespace = metadata.namespace ?? 'default';
  let name = '';
  try {
    name = kubernetesName(String(metadata.name));
    if (name !== metadata.name) throw new Error('mapped');
  } catch {
    problems.push(`metadata.name ${JSON.stringify(metadata.name)} is not a DNS-1035 label (max 63)`);
  }
  if (typeof metadata.uid !== 'string' || metadata.uid === '')
    problems.push('metadata.uid is missing: the objects could not be owned by the resource');
  for (const key of typeof spec === 'object' ? Object.keys(spec) : [])
    if (!SPEC_FIELDS.has(key)) problems.push(`spec.${key} is not a field`);
  const image = spec.image;
  if (typeof image !== 'string' || image.length > 512 || !IMAGE.test(image) || image.includes('..'))
    problems.push(`spec.image ${JSON.stringify(image)} is not an image reference`);
  const options: KubernetesOptions = {
    namespace,
    replicas: spec.replicas as number | undefined,
    ingressHost: spec.ingressHost as string | undefined,
    hpa: spec.hpa as KubernetesOptions['hpa'],
    resources: spec.resources as KubernetesOptions['resources'],
  };
  try {
    if (options.replicas !== undefined && typeof options.replicas !== 'number') throw new Error('x');
    if (options.ingressHost !== undefined && typeof options.ingressHost !== 'string') throw new Error('x');
    checkKubernetesOptions(options);
  } catch (error) {
    problems.push(
      error instanceof FactoryError
        ? error.message
        : 'spec.replicas/ingressHost/hpa/resources have wrong types',
    );
  }
  const secrets = spec.envSecrets ?? [];
  if (!Array.isArray(secrets) || secrets.length > MAX_ENV_SECRETS)
    problems.push(`spec.envSecrets must be a list of at most ${MAX_ENV_SECRETS} Secret names`);
  else
    for (const [i, secret] of secrets.entries())
      if (typeof secret !== 'string' || secret.length > 253 || !SECRET_NAME.test(secret))
        problems.push(
          `spec.envSecrets[${i}] ${JSON.stringify(secret)} is not a Secret name (DNS-1123 subdomain)`,
        );
  const egress: ExtraEgress[] = [];
  const rules = spec.egress ?? [];
  if (!Array.isArray(rules) || rules.length > MAX_EGRESS_RULES)
    problems.push(`spec.egress must be a list of at most ${MAX_EGRESS_RULES} rules`);
  else
    for (const [i, rule] of rules.entries()) {
      const { port, protocol = 'TCP', cidr, reason = '' } = (rule ?? {}) as Record<string, unknown>;
      const ok =
        Number.isInteger(port) &&
        (port as number) >= 1 &&
        (port as number) <= 65535 &&
        (protocol === 'TCP' || protocol === 'UDP') &&
        (cidr === undefined || (typeof cidr === 'string' && validCidr(cidr))) &&
        typeof reason === 'string' &&
        reason.length <= 200 &&
        !/[\r\n]/.test(reason);
      if (!ok) problems.push(`spec.egress[${i}] is not {port 1-65535, protocol TCP|UDP, cidr?, reason?}`);
      else
        egress.push({
          port: port as number,
          protocol,
          reason: (reason as string) || 'spec.egress',
          ...(cidr === undefined ? {} : { cidr: cidr as string }),
        });
    }
  return { name, namespace, options, image: image as string, secrets: secrets as string[], egress };
}

export function planServer(resource: McpServerResource, policy: OperatorPolicy): Plan {
  const problems: string[] = [];
  const fields = checkFields(resource, problems);
  if (problems.length) return { ok: false, reason: 'InvalidResource', messages: problems };
  const loaded = validateSpec(resource.spec?.server);
  if (!loaded.ok || !loaded.spec)
    return {
      ok: false,
      reason: 'InvalidSpec',
      messages: loaded.issues.map(
        (i) => `${i.path ? `spec.server.${i.path}: ` : 'spec.server: '}${i.message}`,
      ),
    };
  const spec = loaded.spec;
  const refused = specPermissions(spec).filter(({ permission }) =>
    permission === 'servers.create.code' ? !policy.allowCode : !policy.allowHostAccess,
  );
  if (refused.length)
    return {
      ok: false,
      reason: 'CodeNotAllowed',
      messages: refused.map(({ permission, tools }) =>
        permission === 'servers.create.code'
          ? `tools ${tools.join(', ')} run code the factory did not write: the operator runs them only with --allow-code`
          : `tools ${tools.join(', ')} have host access (command, code.hostAccess): the operator runs them only with --allow-host-access`,
      ),
    };

  const { name, namespace, options, image, secrets, egress } = fields;
  const revision = specRevision(resource.spec);
  const owner = {
    apiVersion: CRD_API_VERSION,
    kind: CRD_KIND,
    name,
    uid: resource.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
  const built = buildManifests({
    server: name,
    revision: resource.metadata.generation ?? 1,
    spec,
    env: {},
    secretValues: false,
    options,
  });
  const objects = built
    // The environment comes from the named Secrets: the operator neither reads nor writes a value.
    .filter((o) => o.kind !== 'Secret')
    .map((object) => {
      const o = structuredClone(object);
      o.metadata = {
        ...o.metadata,
        annotations: { ...o.metadata.annotations, 'dev.mcp-factory/server-name': spec.name },
        ownerReferences: [owner],
      } as KubernetesObject['metadata'];
      if (o.kind === 'Deployment') shapeDeployment(o, image, secrets, revision, options);
      if (o.kind === 'NetworkPolicy') addEgress(o, egress);
      return o;
    })
    .sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
  const prune = OPTIONAL_KINDS.filter((ref) => !objects.some((o) => o.kind === ref.kind)).map((ref) => ({
    ...ref,
    name,
  }));
  const port = spec.http?.port ?? 3000;
  return {
    ok: true,
    name,
    namespace,
    revision,
    image,
    endpoint: `http://${name}.${namespace}.svc:${port}/mcp`,
    objects,
    prune,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: edits deep paths of a Deployment built by manifests.ts.
type Loose = any;

function shapeDeployment(
  deployment: KubernetesObject,
  image: string,
  secrets: string[],
  revision: string,
  options: KubernetesOptions,
): void {
  const spec = deployment.spec as Loose;
  // With an autoscaler the HPA owns replicas; applying them too would conflict with it on every reconcile.
  if (options.hpa) delete spec.replicas;
  spec.template.metadata.annotations = {
    ...spec.template.metadata.annotations,
    [SPEC_REVISION_ANNOTATION]: revision,
  };
  const container = spec.template.spec.containers[0];
  container.image = image;
  container.envFrom = secrets.map((name) => ({ secretRef: { name } }));
}

function addEgress(policy: KubernetesObject, extra: ExtraEgress[]): void {
  if (!extra.length) return;
  const spec = policy.spec as Loose;
  // Reviewers read every rule with its reason in one annotation, the derived ones and these alike.
  const annotations = policy.metadata.annotations ?? {};
  const derived = annotations['dev.mcp-factory/egress'];
  const added = extra.map((r) => `${r.cidr ?? '*'}:${r.port}/${r.protocol} (${r.reason})`).join('; ');
  policy.metadata.annotations = {
    ...annotations,
    'dev.mcp-factory/egress': derived && derived !== 'none' ? `${derived}; ${added}` : added,
  };
  const anywhere = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
  const dns = {
    ports: [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ],
  };
  spec.egress = [
    ...(spec.egress.length ? spec.egress : [dns]),
    ...extra.map((rule) => ({
      to: rule.cidr ? [{ ipBlock: { cidr: rule.cidr } }] : anywhere,
      ports: [{ port: rule.port, protocol: rule.protocol }],
    })),
  ];
}
