/**
 * Security: the document's schemes (Swagger `securityDefinitions`, OpenAPI `components.securitySchemes`) →
 * `ApiSecurityScheme`, keeping what the mapping can act on (API keys, HTTP schemes, OAuth2 client
 * credentials), and an operation's requirements (alternatives of schemes that apply together).
 */
import type { ApiSecurityRequirement, ApiSecurityScheme, ReportEntry } from '../model.js';
import type { Resolver } from '../refs.js';
import { shortMessage } from '../text.js';
import { isObj, type Obj, type ProblemSink, str, stringList } from './common.js';

export function readSecuritySchemes(
  doc: Obj,
  swagger: boolean,
  rootUrl: string,
  resolver: Resolver,
  docEntry: (reason: string, severity: ReportEntry['severity'], pointer?: string) => void,
): Map<string, ApiSecurityScheme> {
  const out = new Map<string, ApiSecurityScheme>();
  const container = swagger
    ? doc.securityDefinitions
    : isObj(doc.components)
      ? doc.components.securitySchemes
      : undefined;
  if (!isObj(container)) return out;
  for (const [key, raw] of Object.entries(container)) {
    let value: unknown;
    try {
      value = resolver.follow({ value: raw, base: rootUrl }).value;
    } catch (error) {
      docEntry(`security scheme "${key}": ${shortMessage(error)}`, 'warning');
      continue;
    }
    if (!isObj(value)) continue;
    const scheme: ApiSecurityScheme = { key, type: 'unknown' };
    const description = str(value.description);
    if (description) scheme.description = description;
    const type = value.type;
    if (type === 'apiKey') {
      scheme.type = 'apiKey';
      if (value.in === 'header' || value.in === 'query' || value.in === 'cookie') scheme.in = value.in;
      if (typeof value.name === 'string') scheme.name = value.name;
    } else if (type === 'http' || (swagger && type === 'basic')) {
      scheme.type = 'http';
      scheme.scheme = swagger ? 'basic' : typeof value.scheme === 'string' ? value.scheme.toLowerCase() : '';
    } else if (type === 'oauth2') {
      scheme.type = 'oauth2';
      const other: string[] = [];
      if (swagger) {
        const scopes = isObj(value.scopes) ? Object.keys(value.scopes) : [];
        if (value.flow === 'application' && typeof value.tokenUrl === 'string')
          scheme.clientCredentials = { tokenUrl: value.tokenUrl, scopes };
        else if (typeof value.flow === 'string') other.push(value.flow);
      } else {
        const flows = isObj(value.flows) ? value.flows : {};
        for (const [flow, def] of Object.entries(flows)) {
          if (flow === 'clientCredentials' && isObj(def) && typeof def.tokenUrl === 'string')
            scheme.clientCredentials = {
              tokenUrl: def.tokenUrl,
              scopes: isObj(def.scopes) ? Object.keys(def.scopes) : [],
            };
          else other.push(flow);
        }
      }
      if (other.length) scheme.otherFlows = other;
    } else if (type === 'openIdConnect') scheme.type = 'openIdConnect';
    else if (type === 'mutualTLS') scheme.type = 'mutualTLS';
    out.set(key, scheme);
  }
  return out;
}

/** Requirements naming an undefined scheme keep it (as `unknown`) and say so. */
export function readRequirements(
  list: unknown,
  schemes: Map<string, ApiSecurityScheme>,
  problem: ProblemSink,
): ApiSecurityRequirement[] {
  if (!Array.isArray(list)) return [];
  const out: ApiSecurityRequirement[] = [];
  for (const requirement of list) {
    if (!isObj(requirement)) continue;
    const all: ApiSecurityRequirement = [];
    for (const [key, scopes] of Object.entries(requirement)) {
      const scheme = schemes.get(key);
      if (!scheme) problem(`security requirement names the undefined scheme "${key}"`, 'info');
      all.push({ scheme: scheme ?? { key, type: 'unknown' }, scopes: stringList(scopes) });
    }
    out.push(all);
  }
  return out;
}
