/**
 * What installs the operator, as plain objects (no I/O): the MCPServer CRD, a Namespace for the operator, its
 * ServiceAccount, the RBAC it needs and its Deployment. With a watched namespace the rights are a Role and
 * RoleBinding there; without, a ClusterRole and ClusterRoleBinding. The rights are the least the reconciler
 * uses: read and watch MCPServers, patch their status, and manage the kinds manifests.ts builds. No Secret
 * rights at all: the operator names Secrets in envFrom and never reads or writes a value. `--print-crd` writes
 * them as one YAML stream for `kubectl apply -f`.
 */
import { Document } from 'yaml';
import { FactoryError } from '../../../core/errors/index.js';
import { buildMcpServerCrd, CRD_GROUP, CRD_PLURAL, IMAGE_PATTERN } from './crd.js';
import { FIELD_MANAGER, type KubernetesObject } from './manifests.js';
import { checkKubernetesOptions } from './options.js';

export interface OperatorInstallOptions {
  /** Image running `mcp-factory` (built and pushed by you; the factory never builds it). */
  image: string;
  /** Namespace the operator runs in (default mcp-factory-system). */
  installNamespace?: string | undefined;
  /** Watch only this namespace (Role); undefined: every namespace (ClusterRole). */
  watchNamespace?: string | undefined;
  allowCode?: boolean | undefined;
  allowHostAccess?: boolean | undefined;
}

export const OPERATOR_NAME = 'mcp-factory-operator';
const WRITE = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];

function rules() {
  return [
    { apiGroups: [CRD_GROUP], resources: [CRD_PLURAL], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [CRD_GROUP], resources: [`${CRD_PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: WRITE },
    { apiGroups: [''], resources: ['services'], verbs: WRITE },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies', 'ingresses'], verbs: WRITE },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  ];
}

export function operatorInstallObjects(options: OperatorInstallOptions): Array<Record<string, unknown>> {
  const installNamespace = options.installNamespace ?? 'mcp-factory-system';
  checkKubernetesOptions({ namespace: installNamespace });
  if (options.watchNamespace !== undefined) checkKubernetesOptions({ namespace: options.watchNamespace });
  if (
    options.image.length > 512 ||
    !new RegExp(IMAGE_PATTERN).test(options.image) ||
    options.image.includes('..')
  )
    throw new FactoryError('INVALID_ARGUMENTS', `invalid operator image ${JSON.stringify(options.image)}`, {
      details: { hint: 'an image reference such as registry.example.com/mcp-factory:1.4.0' },
    });
  const labels = { 'app.kubernetes.io/name': OPERATOR_NAME, 'app.kubernetes.io/managed-by': FIELD_MANAGER };
  const meta = (namespace?: string) => ({ name: OPERATOR_NAME, ...(namespace ? { namespace } : {}), labels });
  const scoped = options.watchNamespace !== undefined;
  const roleKind = scoped ? 'Role' : 'ClusterRole';
  const args = [
    'operator',
    ...(scoped ? ['--namespace', options.watchNamespace as string] : []),
    ...(options.allowCode ? ['--allow-code'] : []),
    ...(options.allowHostAccess ? ['--allow-host-access'] : []),
  ];
  return [
    buildMcpServerCrd(),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: installNamespace, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(installNamespace) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: roleKind,
      metadata: meta(scoped ? options.watchNamespace : undefined),
      rules: rules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: scoped ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: meta(scoped ? options.watchNamespace : undefined),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: OPERATOR_NAME },
      subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace: installNamespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(installNamespace),
      spec: {
        // One reconciler: there is no leader election, and two would only repeat each other's applies.
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': OPERATOR_NAME } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: OPERATOR_NAME,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'operator',
                image: options.image,
                args,
                // The root file system is read-only; the factory home (never used for state here) is in /tmp.
                env: [{ name: 'MCP_FACTORY_HOME', value: '/tmp/mcp-factory' }],
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                resources: {
                  requests: { cpu: '50m', memory: '128Mi' },
                  limits: { cpu: '500m', memory: '256Mi' },
                },
                securityContext: {
                  runAsNonRoot: true,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
          },
        },
      },
    },
  ];
}

/** One YAML stream (`---` between documents) for `kubectl apply -f`. */
export function installYaml(objects: Array<Record<string, unknown> | KubernetesObject>): string {
  return objects.map((o) => new Document(o).toString({ lineWidth: 0 })).join('---\n');
}
