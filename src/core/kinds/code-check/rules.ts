/**
 * The findings of the code check: what each rule means, how bad it is and how to fix it. Every rule here is
 * at least HIGH, so every finding but the `host-access-granted` audit note blocks a creation. Pure data.
 */

export type CodeSeverity = 'info' | 'high' | 'critical';

export const CODE_RULES = {
  'code-structure': {
    severity: 'critical',
    hint: 'Write only the statements of the function body: no closing `}` of your own, no imports or exports, and close every string, template, regular expression and comment.',
  },
  'code-eval': {
    severity: 'critical',
    hint: 'Parse data with JSON.parse; select behaviour with a switch or a Map of handlers instead of building code.',
  },
  'code-function-constructor': {
    severity: 'critical',
    hint: 'Write the function in the body; the Function constructor (and any `.constructor` path to it) compiles strings into code.',
  },
  'code-require': {
    severity: 'critical',
    hint: 'Load an allowed module with `await import("name")` and a literal name.',
  },
  'code-dynamic-import': {
    severity: 'critical',
    hint: 'Import with a literal module name from the allowed list, e.g. `await import("node:crypto")`.',
  },
  'code-with': {
    severity: 'critical',
    hint: 'Name the object explicitly instead of `with`.',
  },
  'code-host-module': {
    severity: 'high',
    hint: 'Code tools may not reach the host (processes, files, sockets, workers, vm, the module loader). Use sql, http or static tools, or for trusted local use declare it in `code.hostAccess` and create the server with a token allowed host access.',
  },
  'code-import': {
    severity: 'high',
    hint: 'Code tools may import the pure Node built-ins (crypto, path, url, util, buffer, zlib, stream, events, …) and the packages MCP Factory ships (nodemailer).',
  },
  'code-import-meta': {
    severity: 'high',
    hint: 'import.meta exposes the server file and its resolver; a tool body does not need it.',
  },
  'code-process': {
    severity: 'high',
    hint: 'Read configuration with ctx.env("NAME") or process.env.NAME (a literal name); other process members (binding, dlopen, getBuiltinModule, kill, exit, the whole env) reach the host.',
  },
  'code-global-object': {
    severity: 'high',
    hint: 'Use globals by their own names (fetch, URL, JSON); globalThis/global and bracket access on them hide what the code reaches.',
  },
  'code-reflection': {
    severity: 'high',
    hint: 'Prototype and reflection access (constructor, __proto__, getPrototypeOf, property descriptors, Reflect, Proxy) is how sandboxed code reaches the Function constructor; plain data code does not need it.',
  },
  'code-obfuscation': {
    severity: 'high',
    hint: 'Call and chain properties by literal names; for data keyed by input use a Map (map.get(key)) or a switch.',
  },
  'code-smuggled-name': {
    severity: 'high',
    hint: 'Strings that spell a host module or a reflection key are how checks are evaded; remove them.',
  },
  'host-access-granted': {
    severity: 'info',
    hint: 'Granted by code.hostAccess in the spec (stored with every revision, named in the generated README).',
  },
} as const satisfies Record<string, { severity: CodeSeverity; hint: string }>;

export type CodeRule = keyof typeof CODE_RULES;

export interface CodeFinding {
  rule: CodeRule;
  severity: CodeSeverity;
  message: string;
  hint: string;
  /** 1-based line and column inside `code.source`. */
  line: number;
  column: number;
}
