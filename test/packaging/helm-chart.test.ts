/**
 * The factory's own Helm chart (deploy/helm/mcp-factory), rendered without helm by helm-render.ts (the
 * template subset the chart keeps to) with its default values and with overrides, every object validated
 * against the Kubernetes 1.27 schemas (kubernetes-models): probes, the restricted security context, Prometheus
 * annotations, Services and PDBs that select their pods, the gateway configuration the gateway's own parser
 * accepts, the operator's RBAC equal to what `mcp-factory operator --print-crd` grants, and values crafted to
 * break out of their YAML scalars staying one value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, PersistentVolumeClaim, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { operatorInstallObjects } from '../../src/deploy/targets/kubernetes/crd-install.js';
import type { KubernetesObject } from '../../src/deploy/targets/kubernetes/manifests.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { type Loose, validateObject } from '../targets/kubernetes-helpers.js';
import { mergeValues, type ReleaseContext, renderTemplate } from './helm-render.js';

const CHART = join(import.meta.dirname, '..', '..', 'deploy', 'helm', 'mcp-factory');
const TEMPLATES = readdirSync(join(CHART, 'templates')).filter((f) => f.endsWith('.yaml'));
const DEFAULTS = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const CHART_META = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;

const MORE_MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap,
  PersistentVolumeClaim,
  ServiceAccount,
  Role,
  RoleBinding,
  ClusterRole,
  ClusterRoleBinding,
};

function validate(object: Loose): void {
  const Model = MORE_MODELS[object.kind];
  if (Model) new Model(structuredClone(object) as never).validate();
  else validateObject(object as KubernetesObject);
}

/** Every object the chart renders (like `helm template`), each validated against its schema. */
function render(overrides: Record<string, unknown> = {}): Loose[] {
  const context: ReleaseContext = {
    Values: mergeValues(DEFAULTS, overrides) as Record<string, unknown>,
    Release: { Name: 'factory', Namespace: 'mcp', Service: 'Helm' },
    Chart: { Name: CHART_META.name, Version: CHART_META.version, AppVersion: CHART_META.appVersion },
  };
  const objects: Loose[] = [];
  for (const file of TEMPLATES) {
    const text = renderTemplate(readFileSync(join(CHART, 'templates', file), 'utf8'), context);
    for (const doc of parseAllDocuments(text)) {
      expect(doc.errors, `${file}: ${doc.errors.join('; ')}`).toEqual([]);
      const object = doc.toJS();
      if (object === null) continue;
      validate(object);
      objects.push(object);
    }
  }
  return objects;
}

const find = (objects: Loose[], kind: string, name: string): Loose =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const kinds = (objects: Loose[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const argsOf = (deployment: Loose): string[] => deployment.spec.template.spec.containers[0].args;

describe('the mcp-factory Helm chart', () => {
  it('renders the API, the gateway, their Services, PDBs, Secret, ConfigMap and home claim by default', () => {
    const objects = render();
    expect(kinds(objects)).toEqual([
      'ConfigMap/factory-gateway',
      'Deployment/factory-api',
      'Deployment/factory-gateway',
      'PersistentVolumeClaim/factory-home',
      'PodDisruptionBudget/factory-api',
      'PodDisruptionBudget/factory-gateway',
      'Secret/factory-mcp-factory',
      'Service/factory-api',
      'Service/factory-gateway',
    ]);
    for (const o of objects) expect(o.metadata.namespace).toBe('mcp');
    const api = find(objects, 'Deployment', 'factory-api');
    const container = api.spec.template.spec.containers[0];
    expect(container.image).toBe('mcp-factory:0.1.0');
    expect(argsOf(api).slice(0, 6)).toEqual([
      'serve',
      '--host',
      '0.0.0.0',
      '--allow-remote',
      '--port',
      '8080',
    ]);
    // Probes and Prometheus reach the pod by its IP: the API must accept that Host (DNS-rebinding check).
    expect(argsOf(api)).toContain('$(POD_IP)');
    expect(container.env[0]).toEqual({
      name: 'POD_IP',
      valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/live', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(api.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(api.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(api.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    expect(container.envFrom).toEqual([{ secretRef: { name: 'factory-mcp-factory' } }]);
    expect(api.spec.template.spec.volumes[0]).toEqual({
      name: 'home',
      persistentVolumeClaim: { claimName: 'factory-home' },
    });
    // No registry URL given: the Secret carries no empty MCP_FACTORY_REGISTRY_URL (SQLite in the home).
    expect(find(objects, 'Secret', 'factory-mcp-factory').stringData).toBeNull();

    const gateway = find(objects, 'Deployment', 'factory-gateway');
    expect(argsOf(gateway).slice(0, 5)).toEqual([
      'gateway',
      '--transport',
      'http',
      '--config',
      '/etc/mcp-factory/gateway.yaml',
    ]);
    expect(gateway.spec.template.metadata.annotations['prometheus.io/port']).toBe('8090');
    const config = parse(find(objects, 'ConfigMap', 'factory-gateway').data['gateway.yaml']);
    expect(() => parseGatewayConfig(config, {})).not.toThrow();
  });

  it('has Services and PDBs that select exactly their own pods, on a named container port', () => {
    const objects = render();
    for (const component of ['api', 'gateway']) {
      const pod = find(objects, 'Deployment', `factory-${component}`).spec.template;
      const service = find(objects, 'Service', `factory-${component}`);
      const pdb = find(objects, 'PodDisruptionBudget', `factory-${component}`);
      expect(pod.metadata.labels).toMatchObject(service.spec.selector);
      expect(pod.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
      expect(service.spec.selector['app.kubernetes.io/component']).toBe(component);
      expect(pod.spec.containers[0].ports.map((p: Loose) => p.name)).toContain(
        service.spec.ports[0].targetPort,
      );
    }
  });

  it('wires PostgreSQL, Redis, the Ingress and a namespaced operator from a values override', () => {
    const objects = render({
      image: { repository: 'registry.example.com/mcp-factory', tag: '1.2.3' },
      registry: { url: 'postgres://factory:pw@pg.db:5432/factory' },
      redis: { url: 'rediss://redis.db:6380' },
      gateway: { config: { redis: { url: '${REDIS_URL}' } }, replicas: 3 },
      api: { replicas: 2, extraArgs: ['--mcp'] },
      ingress: {
        enabled: true,
        className: 'nginx',
        host: 'factory.example.org',
        gatewayHost: 'mcp.example.org',
        tlsSecretName: 'factory-tls',
      },
      operator: { enabled: true, watchNamespace: 'team-a', extraArgs: ['--allow-code'] },
      persistence: { existingClaim: 'shared-home' },
      allowedHosts: ['factory.internal'],
      extraEnv: [{ name: 'MCP_FACTORY_LLM_PROVIDER', value: 'anthropic' }],
      imagePullSecrets: [{ name: 'regcred' }],
    });
    expect(kinds(objects)).toEqual(
      expect.arrayContaining([
        'Ingress/factory-mcp-factory',
        'Deployment/factory-operator',
        'ServiceAccount/factory-operator',
        'Role/factory-operator',
        'RoleBinding/factory-operator',
      ]),
    );
    expect(kinds(objects)).not.toContain('PersistentVolumeClaim/factory-home');
    const secret = find(objects, 'Secret', 'factory-mcp-factory');
    expect(secret.stringData).toEqual({
      MCP_FACTORY_REGISTRY_URL: 'postgres://factory:pw@pg.db:5432/factory',
      REDIS_URL: 'rediss://redis.db:6380',
    });
    // The gateway's own parser resolves the ${REDIS_URL} reference from the Secret's environment.
    const config = parse(find(objects, 'ConfigMap', 'factory-gateway').data['gateway.yaml']);
    expect(parseGatewayConfig(config, { REDIS_URL: 'rediss://redis.db:6380' }).redis?.url).toBe(
      'rediss://redis.db:6380',
    );
    const api = find(objects, 'Deployment', 'factory-api');
    expect(api.spec.replicas).toBe(2);
    expect(api.spec.template.spec.containers[0].image).toBe('registry.example.com/mcp-factory:1.2.3');
    expect(api.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(api.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('shared-home');
    expect(api.spec.template.spec.containers[0].env.at(-1)).toEqual({
      name: 'MCP_FACTORY_LLM_PROVIDER',
      value: 'anthropic',
    });
    expect(argsOf(api)).toEqual(
      expect.arrayContaining(['factory.example.org', 'factory.internal', 'factory-api.mcp.svc', '--mcp']),
    );
    expect(argsOf(find(objects, 'Deployment', 'factory-gateway'))).toContain('mcp.example.org');
    expect(argsOf(find(objects, 'Deployment', 'factory-gateway'))).not.toContain('factory.example.org');

    const ingress = find(objects, 'Ingress', 'factory-mcp-factory');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([
      { secretName: 'factory-tls', hosts: ['factory.example.org', 'mcp.example.org'] },
    ]);
    expect(ingress.spec.rules.map((r: Loose) => [r.host, r.http.paths[0].backend.service.name])).toEqual([
      ['factory.example.org', 'factory-api'],
      ['mcp.example.org', 'factory-gateway'],
    ]);

    const operator = find(objects, 'Deployment', 'factory-operator');
    expect(operator.spec.replicas).toBe(1);
    expect(operator.spec.strategy).toEqual({ type: 'Recreate' });
    expect(argsOf(operator)).toEqual(['operator', '--namespace', 'team-a', '--allow-code']);
    expect(operator.spec.template.spec.serviceAccountName).toBe('factory-operator');
    const role = find(objects, 'Role', 'factory-operator');
    expect(role.metadata.namespace).toBe('team-a');
    const binding = find(objects, 'RoleBinding', 'factory-operator');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'factory-operator', namespace: 'mcp' },
    ]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'factory-operator',
    });
  });

  it('grants the operator exactly the rights `mcp-factory operator --print-crd` grants (no Secrets)', () => {
    const objects = render({ operator: { enabled: true } });
    const role = find(objects, 'ClusterRole', 'factory-operator');
    const printed = operatorInstallObjects({ image: 'mcp-factory:0.1.0' }).find(
      (o) => o.kind === 'ClusterRole',
    ) as Loose;
    expect(role.rules).toEqual(printed.rules);
    expect(JSON.stringify(role.rules)).not.toContain('secrets');
    expect(find(objects, 'ClusterRoleBinding', 'factory-operator').roleRef.kind).toBe('ClusterRole');
  });

  it('uses an existing Secret and per-pod emptyDir homes when asked, and can leave the gateway out', () => {
    const objects = render({
      existingSecret: 'my-factory-secrets',
      persistence: { enabled: false },
      gateway: { enabled: false },
      api: { pdb: { enabled: false } },
      metrics: { scrape: false },
    });
    expect(kinds(objects)).toEqual(['Deployment/factory-api', 'Service/factory-api']);
    const pod = find(objects, 'Deployment', 'factory-api').spec.template;
    expect(pod.spec.containers[0].envFrom).toEqual([{ secretRef: { name: 'my-factory-secrets' } }]);
    expect(pod.spec.volumes[0]).toEqual({ name: 'home', emptyDir: {} });
    expect(pod.metadata.annotations).toBeUndefined();
  });

  it('keeps values crafted to break out of their YAML scalars as one value (no extra objects or args)', () => {
    const injected = 'postgres://u:p@h/db"\nkind: Pod\nmetadata: {name: evil}\n---\napiVersion: v1';
    const host = 'evil.example.com\n            - --allow-code';
    const objects = render({
      registry: { url: injected },
      allowedHosts: [host, '{{ .Values.registry.url }}'],
      api: { extraArgs: ['a" ]}\n---\nkind: Secret'] },
    });
    expect(objects).toHaveLength(render().length);
    expect(find(objects, 'Secret', 'factory-mcp-factory').stringData.MCP_FACTORY_REGISTRY_URL).toBe(injected);
    const args = argsOf(find(objects, 'Deployment', 'factory-api'));
    expect(args).toContain(host);
    // Values are data, never templates: a value that looks like an action is printed as written.
    expect(args).toContain('{{ .Values.registry.url }}');
    expect(args).not.toContain('--allow-code');
    expect(args.at(-1)).toBe('a" ]}\n---\nkind: Secret');
  });

  it('renders with a strict renderer: a missing value or an action outside the subset is an error', () => {
    const context: ReleaseContext = {
      Values: DEFAULTS,
      Release: { Name: 'r', Namespace: 'n', Service: 'Helm' },
      Chart: {},
    };
    expect(() => renderTemplate('x: {{ .Values.api.replicaz }}', context)).toThrow(/replicaz/);
    expect(() => renderTemplate('{{ include "x" . }}', context)).toThrow(/subset/);
    expect(() => renderTemplate('{{ if .Values.api.replicas }}x', context)).toThrow(/not closed/);
    expect(() => renderTemplate('{{ .Values.api }}', context)).toThrow(/toYaml/);
    expect(renderTemplate('a:\n  {{- toYaml .Values.api.service | nindent 2 }}', context)).toBe(
      'a:\n  type: ClusterIP\n  port: 8080',
    );
    expect(renderTemplate('{{ if and .Values.gateway.enabled "" }}y{{ else }}n{{ end }}', context)).toBe('n');
  });
});
