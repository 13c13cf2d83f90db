/**
 * Shared by the kubernetes tests: a matrix of specs (plain, database, HTTP, triggers, auth), validation of an
 * object against the Kubernetes 1.27.1 schemas pinned by kubernetes-models, and loose access to built objects.
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import type { KubernetesObject } from '../../src/deploy/targets/kubernetes/manifests.js';

const STATIC_TOOL = { name: 'hello', description: 'Says hello.', static: { text: 'hello' } };

export const SPECS = {
  plain: { name: 'plain', tools: [STATIC_TOOL] },
  database: {
    name: 'orders_db',
    connections: [{ name: 'db', type: 'postgresql', envVar: 'DATABASE_URL' }],
    tools: [STATIC_TOOL],
  },
  http: {
    name: 'weather.api',
    connections: [{ name: 'up', type: 'http', baseUrl: 'https://api.example.com:8443/v1' }],
    tools: [{ name: 'get', description: 'Get', http: { connection: 'up', method: 'GET', path: '/items' } }],
  },
  triggers: {
    name: 'jobs',
    tools: [STATIC_TOOL],
    triggers: [
      { type: 'cron', schedule: '0 * * * *', tool: 'hello' },
      { type: 'queue', broker: 'rabbitmq', urlEnv: 'AMQP_URL', topic: 'orders', tool: 'hello' },
    ],
  },
  auth: { name: '1auth', auth: { type: 'api_key' }, tools: [STATIC_TOOL] },
} as const;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  Service,
  Secret,
  NetworkPolicy,
  Ingress,
  PodDisruptionBudget,
  HorizontalPodAutoscaler,
};

export function validateObject(object: KubernetesObject): void {
  const Model = MODELS[object.kind];
  if (!Model) throw new Error(`no model for ${object.kind}`);
  new Model(structuredClone(object) as never).validate();
}

/** A built object's fields, for assertions on nested paths. */
// biome-ignore lint/suspicious/noExplicitAny: tests read deep paths of plain JSON objects.
export type Loose = any;

export function byKind(objects: KubernetesObject[], kind: string): Loose {
  return objects.find((o) => o.kind === kind);
}
