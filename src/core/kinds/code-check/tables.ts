/**
 * The names the code check knows: globals that are the code-execution and host surface, members that lead to
 * the Function constructor or the host, strings only an evasion spells, and the few members of process and
 * Object, converters and data methods a tool may use. Pure data.
 */
import type { CodeRule } from './rules.js';

/** Globals that are the code-execution and host surface themselves. */
export const GLOBAL_RULES = new Map<string, { rule: CodeRule; what: string }>([
  ['eval', { rule: 'code-eval', what: 'eval compiles a string into code' }],
  [
    'Function',
    { rule: 'code-function-constructor', what: 'the Function constructor compiles a string into code' },
  ],
  [
    'AsyncFunction',
    { rule: 'code-function-constructor', what: 'a Function constructor compiles strings into code' },
  ],
  ['require', { rule: 'code-require', what: 'require loads any module, including host built-ins' }],
  ['module', { rule: 'code-require', what: 'module gives the CommonJS loader' }],
  ['exports', { rule: 'code-require', what: 'exports is the CommonJS module object' }],
  ['__filename', { rule: 'code-import-meta', what: '__filename exposes the server file' }],
  ['__dirname', { rule: 'code-import-meta', what: '__dirname exposes the server directory' }],
  [
    'globalThis',
    { rule: 'code-global-object', what: 'globalThis hands out every global by a computed name' },
  ],
  ['global', { rule: 'code-global-object', what: 'global hands out every global by a computed name' }],
  ['self', { rule: 'code-global-object', what: 'self is the global object' }],
  ['window', { rule: 'code-global-object', what: 'window is the global object' }],
  ['Reflect', { rule: 'code-reflection', what: 'Reflect reads any property by a computed name' }],
  ['Proxy', { rule: 'code-reflection', what: 'Proxy intercepts property access' }],
  ['WebAssembly', { rule: 'code-reflection', what: 'WebAssembly compiles and runs binary code' }],
]);

/** Members that lead to the Function constructor, the prototype chain, or the host (any object). */
export const FORBIDDEN_MEMBERS = new Map<string, CodeRule>([
  ['constructor', 'code-function-constructor'],
  ['__proto__', 'code-reflection'],
  ['__defineGetter__', 'code-reflection'],
  ['__defineSetter__', 'code-reflection'],
  ['__lookupGetter__', 'code-reflection'],
  ['__lookupSetter__', 'code-reflection'],
  ['getPrototypeOf', 'code-reflection'],
  ['setPrototypeOf', 'code-reflection'],
  ['getOwnPropertyDescriptor', 'code-reflection'],
  ['getOwnPropertyDescriptors', 'code-reflection'],
  ['getOwnPropertyNames', 'code-reflection'],
  ['getOwnPropertySymbols', 'code-reflection'],
  ['caller', 'code-reflection'],
  ['callee', 'code-reflection'],
  ['getBuiltinModule', 'code-process'],
  ['binding', 'code-process'],
  ['_linkedBinding', 'code-process'],
  ['dlopen', 'code-process'],
  ['mainModule', 'code-process'],
  ['prepareStackTrace', 'code-reflection'],
]);

/** Strings that only an evasion needs to spell (besides host module names). */
export const SMUGGLED_STRINGS = new Set([
  'constructor',
  '__proto__',
  'eval',
  'Function',
  'require',
  'getBuiltinModule',
  'binding',
  'dlopen',
  'mainModule',
  'globalThis',
]);

/** process members a tool may use; `env` only as `process.env.NAME` / `process.env['NAME']` reads. */
export const PROCESS_SAFE = new Set([
  'hrtime',
  'uptime',
  'platform',
  'arch',
  'version',
  'versions',
  'nextTick',
  'memoryUsage',
]);

/** Object members a tool may use (the others reach prototypes and descriptors). */
export const OBJECT_SAFE = new Set([
  'keys',
  'values',
  'entries',
  'fromEntries',
  'assign',
  'freeze',
  'isFrozen',
  'seal',
  'isSealed',
  'create',
  'is',
  'hasOwn',
  'groupBy',
  'defineProperty',
  'defineProperties',
  'preventExtensions',
  'isExtensible',
]);

/** Functions that turn any value into data; passing them a dynamic property read is harmless. */
export const CONVERTERS = new Set([
  'String',
  'Number',
  'Boolean',
  'BigInt',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'encodeURIComponent',
  'encodeURI',
]);

export const REFUSED_STATEMENTS = new Map<string, string>([
  ['TSModuleDeclaration', 'a namespace or module declaration'],
  ['TSImportEqualsDeclaration', '`import … = require(…)`'],
  ['TSExportAssignment', '`export =`'],
  ['TSNamespaceExportDeclaration', '`export as namespace`'],
  ['ImportDeclaration', 'an import declaration'],
  ['ExportNamedDeclaration', 'an export'],
  ['ExportDefaultDeclaration', 'an export'],
  ['ExportAllDeclaration', 'an export'],
]);

/** Methods that store or compare a value as data; passing them a dynamic property read is harmless. */
export const DATA_METHODS = new Set([
  'has',
  'get',
  'includes',
  'indexOf',
  'lastIndexOf',
  'startsWith',
  'endsWith',
  'localeCompare',
  'test',
  'exec',
  'match',
  'matchAll',
  'search',
  'split',
  'info',
  'warn',
  'error',
  'debug',
]);
