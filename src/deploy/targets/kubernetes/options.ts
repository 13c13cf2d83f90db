/**
 * Kubernetes deploy/export options and the names derived from a server: every option is checked here before a
 * manifest is built or a file written, so a hostile value (quotes, newlines, `---`, `../`, upper case) is refused
 * with INVALID_ARGUMENTS instead of reaching YAML or the API server. Pure: no I/O.
 */
import { FactoryError } from '../../../core/errors/index.js';

export interface KubernetesOptions {
  /** Namespace of every object (default `default`); a DNS-1123 label. */
  namespace?: string | undefined;
  /** 1-50 (default 1); > 1 adds a PodDisruptionBudget. */
  replicas?: number | undefined;
  /** Registry prefix of the image, e.g. `registry.example.com/team/` (default: none, `mcp-factory/<name>`). */
  imagePrefix?: string | undefined;
  /** Ingress host name; absent: no Ingress. */
  ingressHost?: string | undefined;
  /** HorizontalPodAutoscaler bounds; absent: none. */
  hpa?: { min: number; max: number; cpuPercent: number } | undefined;
  /** Per replica (defaults 100m/500m CPU, 128Mi/256Mi memory). */
  resources?:
    | { cpuRequest: string; cpuLimit: string; memoryRequest: string; memoryLimit: string }
    | undefined;
}

export const MAX_REPLICAS = 50;
/** Where the objects go without a namespace option. */
export const DEFAULT_NAMESPACE = 'default';
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN_PART = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** `host[:port]/path/` of an OCI reference, lower case: no tag, digest, quotes, spaces or `..`. */
const IMAGE_PREFIX = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*\/$/;
const QUANTITY = /^[0-9]{1,6}(\.[0-9]{1,3})?(m|Ki|Mi|Gi)?$/;

function invalid(message: string, hint: string): FactoryError {
  return new FactoryError('INVALID_ARGUMENTS', message, { details: { hint } });
}

/**
 * The Kubernetes name of a server: server names may hold `.` and `_` and start with a digit, which Service names
 * (DNS-1035 labels) refuse; `.`/`_` become `-`, a leading digit gets `mcp-`. Refused when longer than 63.
 */
export function kubernetesName(server: string): string {
  let name = server.toLowerCase().replace(/[._]/g, '-');
  if (/^[0-9]/.test(name)) name = `mcp-${name}`;
  if (!DNS_LABEL.test(name))
    throw invalid(
      `server name ${JSON.stringify(server)} cannot be a Kubernetes name (${JSON.stringify(name)}: DNS-1035 label, max 63)`,
      'use a server name of at most 59 lower-case letters, digits and -',
    );
  return name;
}

/** A DNS-1123 host name (the Ingress rule host); a leading `*.` wildcard is allowed. */
function checkHost(host: string): void {
  const parts = host.startsWith('*.') ? host.slice(2).split('.') : host.split('.');
  if (host.length > 253 || parts.length < 1 || !parts.every((p) => DNS_SUBDOMAIN_PART.test(p)))
    throw invalid(
      `invalid ingress host ${JSON.stringify(host)}`,
      'a lower-case DNS name such as mcp.example.com',
    );
}

/** Refuse malformed options (INVALID_ARGUMENTS) before anything is built or written. */
export function checkKubernetesOptions(options: KubernetesOptions): void {
  const { namespace, replicas, imagePrefix, ingressHost, hpa, resources } = options;
  if (namespace !== undefined && !DNS_LABEL.test(namespace))
    throw invalid(
      `invalid namespace ${JSON.stringify(namespace)}`,
      'a DNS-1123 label: lower-case letters, digits and -, max 63, e.g. mcp-servers',
    );
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS))
    throw invalid(
      `invalid replicas ${String(replicas)}: a whole number 1-${MAX_REPLICAS}`,
      'e.g. --replicas 3',
    );
  if (imagePrefix !== undefined && (imagePrefix.length > 200 || !IMAGE_PREFIX.test(imagePrefix)))
    throw invalid(
      `invalid image prefix ${JSON.stringify(imagePrefix)}`,
      'a lower-case registry path ending in /, e.g. registry.example.com:5000/team/',
    );
  if (ingressHost !== undefined) checkHost(ingressHost);
  if (hpa !== undefined) {
    const { min, max, cpuPercent } = hpa;
    const whole = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
    if (!whole(min, 1, MAX_REPLICAS) || !whole(max, min, MAX_REPLICAS) || !whole(cpuPercent, 1, 100))
      throw invalid(
        `invalid autoscaling ${JSON.stringify(hpa)}`,
        `MIN:MAX:CPU% with 1 <= MIN <= MAX <= ${MAX_REPLICAS} and CPU% 1-100, e.g. --hpa 2:10:80`,
      );
  }
  for (const [key, value] of Object.entries(resources ?? {}))
    if (typeof value !== 'string' || !QUANTITY.test(value))
      throw invalid(`invalid ${key} ${JSON.stringify(value)}`, 'a Kubernetes quantity such as 250m or 256Mi');
}

/** `MIN:MAX:CPU%` of --hpa, e.g. `2:10:80`. */
export function parseHpa(text: string): { min: number; max: number; cpuPercent: number } {
  const match = /^([0-9]{1,3}):([0-9]{1,3}):([0-9]{1,3})%?$/.exec(text);
  if (!match) throw invalid(`invalid --hpa ${JSON.stringify(text)}`, 'MIN:MAX:CPU%, e.g. --hpa 2:10:80');
  const hpa = { min: Number(match[1]), max: Number(match[2]), cpuPercent: Number(match[3]) };
  checkKubernetesOptions({ hpa });
  return hpa;
}
