/**
 * The `MCPServer` custom resource (`mcpservers.mcp-factory.dev`, v1alpha1, namespaced) that `mcp-factory
 * operator` reconciles: its CustomResourceDefinition as plain JSON (no I/O), with a structural openAPIV3Schema,
 * the status subresource and printer columns. The server spec is inline (`spec.server`), not a ConfigMap
 * reference: a change to it bumps the resource's generation, so one watch sees every change, GitOps diffs show
 * it, and the status can say which generation it describes. Its schema is left open
 * (`x-kubernetes-preserve-unknown-fields`) because the factory's own parser is stricter than a structural schema
 * can be (cross-references, SQL, templates); the operator reports its messages in the Degraded condition.
 */
import { MAX_REPLICAS } from './options.js';

export const CRD_GROUP = 'mcp-factory.dev';
export const CRD_VERSION = 'v1alpha1';
export const CRD_KIND = 'MCPServer';
export const CRD_PLURAL = 'mcpservers';
export const CRD_API_VERSION = `${CRD_GROUP}/${CRD_VERSION}`;

/** An OCI image reference, lower-case repository, optional tag and digest: no spaces, quotes or `..`. */
export const IMAGE_PATTERN =
  '^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$';
/** A DNS-1123 subdomain (Secret names). */
export const SECRET_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A Kubernetes quantity as options.ts accepts it (250m, 1.5, 256Mi). */
export const QUANTITY_PATTERN = '^[0-9]{1,6}(\\.[0-9]{1,3})?(m|Ki|Mi|Gi)?$';
/** An IPv4 or IPv6 CIDR (checked again with node:net by the operator). */
export const CIDR_PATTERN = '^[0-9a-fA-F.:]{2,39}/[0-9]{1,3}$';
export const MAX_ENV_SECRETS = 16;
export const MAX_EGRESS_RULES = 32;

type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (minimum: number, maximum: number): Schema => ({ type: 'integer', minimum, maximum });
// No additionalProperties: a structural schema may not combine it with properties; the API server prunes
// unknown fields instead.
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});

const SPEC_SCHEMA = obj(
  {
    server: {
      type: 'object',
      description: 'The MCP Factory server spec (name, version, tools, …), validated by the operator.',
      'x-kubernetes-preserve-unknown-fields': true,
    },
    image: str({
      description: 'Image of the generated server, built elsewhere (the operator never builds).',
      maxLength: 512,
      pattern: IMAGE_PATTERN,
    }),
    replicas: { ...int(1, MAX_REPLICAS), description: 'Replicas (default 1); ignored with hpa.' },
    resources: obj(
      {
        cpuRequest: str({ pattern: QUANTITY_PATTERN }),
        cpuLimit: str({ pattern: QUANTITY_PATTERN }),
        memoryRequest: str({ pattern: QUANTITY_PATTERN }),
        memoryLimit: str({ pattern: QUANTITY_PATTERN }),
      },
      ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'],
    ),
    ingressHost: str({
      description: 'Host of an Ingress to the server; absent: no Ingress.',
      maxLength: 253,
      pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    }),
    hpa: obj({ min: int(1, MAX_REPLICAS), max: int(1, MAX_REPLICAS), cpuPercent: int(1, 100) }, [
      'min',
      'max',
      'cpuPercent',
    ]),
    envSecrets: {
      type: 'array',
      description: 'Secrets whose keys become the environment (envFrom); names only, never values.',
      maxItems: MAX_ENV_SECRETS,
      items: str({ maxLength: 253, pattern: SECRET_NAME_PATTERN }),
    },
    egress: {
      type: 'array',
      description:
        'Egress allowed beyond what the spec implies (the operator does not read Secret values, so it cannot see database hosts).',
      maxItems: MAX_EGRESS_RULES,
      items: obj(
        {
          port: int(1, 65535),
          protocol: str({ enum: ['TCP', 'UDP'] }),
          cidr: str({ description: 'Address block; absent: any address.', pattern: CIDR_PATTERN }),
          reason: str({ maxLength: 200, pattern: '^[^\\n\\r]*$' }),
        },
        ['port'],
      ),
    },
  },
  ['server', 'image'],
);

const CONDITION_SCHEMA = obj(
  {
    type: str({ enum: ['Ready', 'Progressing', 'Degraded'] }),
    status: str({ enum: ['True', 'False', 'Unknown'] }),
    reason: str({ maxLength: 1024 }),
    message: str({ maxLength: 32768 }),
    lastTransitionTime: str({ format: 'date-time' }),
    observedGeneration: { type: 'integer', minimum: 0 },
  },
  ['type', 'status', 'reason', 'lastTransitionTime'],
);

const STATUS_SCHEMA = obj({
  conditions: {
    type: 'array',
    items: CONDITION_SCHEMA,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
  observedGeneration: { type: 'integer', minimum: 0 },
  replicas: { type: 'integer', minimum: 0 },
  readyReplicas: { type: 'integer', minimum: 0 },
  endpoint: str(),
  revision: str({ description: 'Hash of the spec the objects were built from.' }),
});

/** The openAPIV3Schema of MCPServer v1alpha1 (tests validate example resources against it with ajv). */
export function mcpServerSchema(): Schema {
  return {
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: str(),
      kind: str(),
      metadata: { type: 'object' },
      spec: SPEC_SCHEMA,
      status: STATUS_SCHEMA,
    },
  };
}

/** The CustomResourceDefinition object (apiextensions.k8s.io/v1). */
export function buildMcpServerCrd(): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: Schema;
} {
  const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${CRD_PLURAL}.${CRD_GROUP}`,
      labels: { 'app.kubernetes.io/managed-by': 'mcp-factory', 'app.kubernetes.io/part-of': 'mcp-factory' },
    },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: {
        plural: CRD_PLURAL,
        singular: 'mcpserver',
        kind: CRD_KIND,
        listKind: `${CRD_KIND}List`,
        shortNames: ['mcps'],
        categories: ['mcp-factory'],
      },
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: condition('Ready') },
            { name: 'Degraded', type: 'string', jsonPath: condition('Degraded'), priority: 1 },
            { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas' },
            { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint' },
            { name: 'Revision', type: 'string', jsonPath: '.status.revision', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: mcpServerSchema() },
        },
      ],
    },
  };
}
