/**
 * The Kubernetes objects of one server revision, as plain JSON (no I/O): Secret, Deployment, Service,
 * NetworkPolicy, and when asked Ingress, PodDisruptionBudget (replicas > 1) and HorizontalPodAutoscaler. Export
 * writes them as YAML and the kubernetes target applies them; both get the same objects from here. The pod runs
 * under Pod Security "restricted" (non-root uid 1000 as in the generated Dockerfile, read-only root file system,
 * no privilege escalation, every capability dropped, RuntimeDefault seccomp) with emptyDirs for /tmp and the
 * trigger state. Secret values appear only when `secretValues` is set; otherwise every key is an empty string.
 */
import { collectEnv } from '../../../build/generator/env.js';
import type { ServerSpec } from '../../../core/spec/model.js';
import { cidrOf, egressRules } from './egress.js';
import {
  checkKubernetesOptions,
  DEFAULT_NAMESPACE,
  type KubernetesOptions,
  kubernetesName,
} from './options.js';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface ManifestInput {
  server: string;
  revision: number;
  spec: ServerSpec;
  /** The deployment's environment values (local secret store); keys always end up in the Secret. */
  env: Record<string, string>;
  /** Put the values into the Secret (apply; export --include-secrets); otherwise empty strings. */
  secretValues: boolean;
  options: KubernetesOptions;
}

export const FIELD_MANAGER = 'mcp-factory';
export const STATE_DIR = '/var/lib/mcp-state';
export const SERVER_LABEL = 'dev.mcp-factory/server';
export const REVISION_LABEL = 'dev.mcp-factory/revision';
const DEFAULT_RESOURCES = {
  cpuRequest: '100m',
  cpuLimit: '500m',
  memoryRequest: '128Mi',
  memoryLimit: '256Mi',
};

/** A label value (max 63 of [A-Za-z0-9._-], alphanumeric at both ends) from free text such as a version. */
function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The image of a revision: `<prefix>mcp-factory/<server>:r<revision>` (the docker target's tag scheme). */
export function imageOf(server: string, revision: number, imagePrefix = ''): string {
  return `${imagePrefix}mcp-factory/${server}:r${revision}`;
}

/** Labels selecting a server's pods (stable across revisions). */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
}

export function buildManifests(input: ManifestInput): KubernetesObject[] {
  const { server, revision, spec, env, options } = input;
  checkKubernetesOptions(options);
  if (!Number.isInteger(revision) || revision < 1)
    throw new RangeError(`revision ${revision} is not a revision`);
  const name = kubernetesName(server);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const port = spec.http?.port ?? 3000;
  const labels = {
    ...selectorLabels(name),
    'app.kubernetes.io/version': labelValue(spec.version) || 'unknown',
    'app.kubernetes.io/component': 'mcp-server',
    'app.kubernetes.io/managed-by': FIELD_MANAGER,
    [SERVER_LABEL]: name,
    [REVISION_LABEL]: String(revision),
  };
  const metadata = (suffix = '') => ({
    name: `${name}${suffix}`,
    namespace,
    labels,
    annotations: { 'dev.mcp-factory/server-name': server },
  });
  const replicas = options.hpa?.min ?? options.replicas ?? 1;
  const objects: KubernetesObject[] = [
    secret(input, metadata('-env')),
    deployment(input, metadata(), name, port, replicas),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(),
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(name),
        ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
      },
    },
    networkPolicy(spec, env, metadata(), name, port),
  ];
  if (options.ingressHost !== undefined)
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: metadata(),
      spec: {
        rules: [
          {
            host: options.ingressHost,
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } },
              ],
            },
          },
        ],
      },
    });
  if (Math.max(replicas, options.hpa?.max ?? 0) > 1)
    objects.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(),
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(name) } },
    });
  if (options.hpa !== undefined)
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: metadata(),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: options.hpa.min,
        maxReplicas: options.hpa.max,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: options.hpa.cpuPercent },
            },
          },
        ],
      },
    });
  return objects;
}

/**
 * With values: the stored ones only (an empty variable is not an unset one: it would override a default).
 * Without: every variable the spec reads plus every stored one, each empty, for the user to fill in.
 */
function secret(input: ManifestInput, metadata: KubernetesObject['metadata']): KubernetesObject {
  const keys = input.secretValues
    ? Object.keys(input.env)
    : [...new Set([...collectEnv(input.spec).map((v) => v.name), ...Object.keys(input.env)])];
  const stringData: Record<string, string> = {};
  for (const key of keys.sort()) stringData[key] = input.secretValues ? (input.env[key] ?? '') : '';
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', stringData };
}

function deployment(
  input: ManifestInput,
  metadata: KubernetesObject['metadata'],
  name: string,
  port: number,
  replicas: number,
): KubernetesObject {
  const { options, revision, server } = input;
  const resources = options.resources ?? DEFAULT_RESOURCES;
  const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path: '/health', port: 'http' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: metadata.labels, annotations: metadata.annotations },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'server',
              image: imageOf(server, revision, options.imagePrefix),
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
              env: [
                { name: 'MCP_TRANSPORT', value: 'http' },
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'PORT', value: String(port) },
                { name: 'MCP_TRIGGER_STATE_DIR', value: STATE_DIR },
              ],
              envFrom: [{ secretRef: { name: `${name}-env` } }],
              readinessProbe: probe(2, 5),
              livenessProbe: probe(10, 15),
              resources: {
                requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
                limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
              },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'state', mountPath: STATE_DIR },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'state', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

/** Ingress only to the server port; egress only what the spec needs (egress.ts), none when it needs nothing. */
function networkPolicy(
  spec: ServerSpec,
  env: Record<string, string>,
  metadata: KubernetesObject['metadata'],
  name: string,
  port: number,
): KubernetesObject {
  const needs = egressRules(spec, env);
  const anywhere = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
  const egress = needs.length
    ? [
        {
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
        ...needs.map((rule) => {
          const block = cidrOf(rule.host);
          return {
            to: block ? [{ ipBlock: block }] : anywhere,
            ports: [{ port: rule.port, protocol: rule.protocol }],
          };
        }),
      ]
    : [];
  const reasons = needs.map((r) => `${r.host}:${r.port}/${r.protocol} (${r.reason})`).join('; ');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, 'dev.mcp-factory/egress': reasons || 'none' },
    },
    spec: {
      podSelector: { matchLabels: selectorLabels(name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ port, protocol: 'TCP' }] }],
      egress,
    },
  };
}
