/**
 * Attacks on the `code` tool kind, each one a body that — if it ever ran — would create the marker file it is
 * given (a JSON string literal). `live` cases are proven to work when run as the generator wraps them (so the
 * check, not luck, is what stops them); the others do not even compile once wrapped, and are refused all the
 * same. `benign` bodies are close to the attacks but harmless, and must pass.
 */

export interface AttackCase {
  name: string;
  /** The body, given the marker path as a JS string literal. */
  body: (marker: string) => string;
  /** Runs and writes the marker when wrapped and executed without the check. */
  live: boolean;
  /** Arguments the tool is called with (defaults to {}). */
  args?: Record<string, unknown>;
  /** Extra spec fields of the code (e.g. a hostAccess that does not cover what is used). */
  code?: Record<string, unknown>;
}

/** Code that writes the marker, as source for eval/Function/vm (sloppy, global scope). */
const write = (m: string) => `process.getBuiltinModule("fs").writeFileSync(${m}, "x")`;
const str = (code: string) => JSON.stringify(code);
const done = 'return "done";';
/** A key that is "constructor" only at run time (nothing to fold). */
const RK = "const k = [...'rotcurtsnoc'].reverse().join('');";

export const ATTACKS: AttackCase[] = [
  // Host modules, by name and smuggled.
  {
    name: 'import node:fs',
    live: true,
    body: (m) => `const fs = await import('node:fs');\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'import fs without node:',
    live: true,
    body: (m) => `const fs = await import('fs');\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'import node:fs/promises',
    live: true,
    body: (m) => `const fs = await import('node:fs/promises');\nawait fs.writeFile(${m}, 'x');\n${done}`,
  },
  {
    name: 'child_process execSync (issue 17)',
    live: true,
    body: (m) => `const cp = await import('node:child_process');\ncp.execSync('touch ' + ${m});\n${done}`,
  },
  {
    name: 'child_process without node: prefix',
    live: true,
    body: (m) =>
      `const { execFileSync } = await import('child_process');\nexecFileSync('touch', [${m}]);\n${done}`,
  },
  {
    name: 'module name by concatenation',
    live: true,
    body: (m) =>
      `const name = 'child_' + 'process';\nconst cp = await import(name);\ncp.execSync('touch ' + ${m});\n${done}`,
  },
  {
    name: 'module name by template literal',
    live: true,
    body: (m) => `const fs = await import(\`node:\${'f'}s\`);\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'unicode escapes in the module name',
    live: true,
    body: (m) => `const fs = await import('node:\\u0066\\u0073');\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'hex escapes in the module name',
    live: true,
    body: (m) => `const fs = await import('\\x66s');\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'module name from char codes',
    live: true,
    body: (m) =>
      `const fs = await import(String.fromCharCode(102, 115));\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'module name from array join',
    live: true,
    body: (m) =>
      `const cp = await import(['child', 'process'].join('_'));\ncp.execSync('touch ' + ${m});\n${done}`,
  },
  {
    name: 'module name from base64',
    live: true,
    body: (m) => `const fs = await import(atob('ZnM='));\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'module name computed at run time',
    live: true,
    body: (m) =>
      `const fs = await import([...'sf'].reverse().join(''));\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'module name from the arguments',
    live: true,
    args: { mod: 'fs' },
    body: (m) =>
      `const fs = await import(String((args as Record<string, unknown>).mod));\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'comments inside the import',
    live: true,
    body: (m) =>
      `const fs = await import(/* ok */ 'node:' /* fine */ + 'fs');\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'String.raw module name',
    live: true,
    body: (m) => `const fs = await import(String.raw\`node:fs\`);\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'import.meta.resolve',
    live: true,
    body: (m) =>
      `const fs = await import(import.meta.resolve('node:fs'));\nfs.writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'createRequire from node:module',
    live: true,
    body: (m) =>
      `const { createRequire } = await import('node:module');\nconst req = createRequire(import.meta.url);\nreq('fs').writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'vm.runInThisContext',
    live: true,
    body: (m) => `const vm = await import('node:vm');\nvm.runInThisContext(${str(write(m))});\n${done}`,
  },
  {
    name: 'worker_threads eval',
    live: true,
    body: (m) =>
      `const { Worker } = await import('node:worker_threads');\nconst w = new Worker(${str(`require("fs").writeFileSync(${m}, "x")`)}, { eval: true });\nawait new Promise((resolve) => w.on('exit', resolve));\n${done}`,
  },
  {
    name: 'hostAccess that does not cover the module',
    live: true,
    code: { hostAccess: { modules: ['fs'], reason: 'reads files under FS_ROOT only' } },
    body: (m) => `const cp = await import('node:child_process');\ncp.execSync('touch ' + ${m});\n${done}`,
  },
  // process.
  { name: 'process.getBuiltinModule', live: true, body: (m) => `${write(m)};\n${done}` },
  {
    name: 'process.getBuiltinModule by literal key',
    live: true,
    body: (m) => `(process as any)['getBuiltinModule']('fs').writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'unicode escape in a member name',
    live: true,
    body: (m) => `(process as any).getBuiltin\\u004dodule('fs').writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'process.binding',
    live: true,
    body: (m) =>
      `const fs = (process as any).binding('fs');\nfs.writeString(fs.open(${m}, 577, 0o644), 'x');\n${done}`,
  },
  {
    name: 'process.dlopen',
    live: false,
    body: (m) => `(process as any).dlopen({ exports: {} }, ${m});\n${done}`,
  },
  {
    name: 'process via globalThis',
    live: true,
    body: (m) => `(globalThis as any).process.getBuiltinModule('fs').writeFileSync(${m}, 'x');\n${done}`,
  },
  {
    name: 'optional chaining on global',
    live: true,
    body: (m) => `(global as any)?.process?.getBuiltinModule?.('fs').writeFileSync(${m}, 'x');\n${done}`,
  },
  // eval and the Function constructor.
  { name: 'eval', live: true, body: (m) => `eval(${str(write(m))});\n${done}` },
  { name: 'unicode-escaped eval', live: true, body: (m) => `\\u0065val(${str(write(m))});\n${done}` },
  { name: 'indirect eval', live: true, body: (m) => `(0, eval)(${str(write(m))});\n${done}` },
  { name: 'globalThis.eval', live: true, body: (m) => `globalThis.eval(${str(write(m))});\n${done}` },
  {
    name: "globalThis['ev' + 'al']",
    live: true,
    body: (m) => `(globalThis as any)['ev' + 'al'](${str(write(m))});\n${done}`,
  },
  { name: 'new Function', live: true, body: (m) => `new Function(${str(write(m))})();\n${done}` },
  { name: 'Function call', live: true, body: (m) => `Function(${str(write(m))})();\n${done}` },
  {
    name: 'Function as a tag',
    live: true,
    body: (m) => `(Function as any)\`${write(m).replace(/`/g, '')}\`();\n${done}`,
  },
  {
    name: '(() => {}).constructor',
    live: true,
    body: (m) => `(() => {}).constructor(${str(write(m))})();\n${done}`,
  },
  {
    name: "[]['constructor']['constructor']",
    live: true,
    body: (m) => `([] as any)['constructor']['constructor'](${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor by concatenated key',
    live: true,
    body: (m) => `const c = 'constr' + 'uctor';\n(({}) as any)[c][c](${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor by template key',
    live: true,
    body: (m) => `(() => 0)[\`constructor\`](${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor by unicode-escaped key',
    live: true,
    body: (m) => `(() => 0)['\\u0063onstructor'](${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor by base64 key',
    live: true,
    body: (m) => `const k = atob('Y29uc3RydWN0b3I=');\n((() => 0) as any)[k](${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor by run-time key on a function',
    live: true,
    body: (m) =>
      `const k = [...'rotcurtsnoc'].reverse().join('');\n((() => 0) as any)[k](${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor by key from the arguments',
    live: true,
    args: { k: 'constructor' },
    body: (m) =>
      `const k = String((args as Record<string, unknown>).k);\nconst o: any = {};\nconst C = o[k];\nconst F = C[k];\nF(${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor reached through ctx',
    live: true,
    body: (m) => `(ctx as any).constructor.constructor(${str(write(m))})();\n${done}`,
  },
  {
    name: 'constructor through args',
    live: true,
    body: (m) => `(args as any).constructor.constructor(${str(write(m))})();\n${done}`,
  },
  {
    name: 'destructured constructor',
    live: true,
    body: (m) => `const { constructor: F } = (() => 0) as any;\nF(${str(write(m))})();\n${done}`,
  },
  {
    name: 'async function constructor via getPrototypeOf',
    live: true,
    body: (m) =>
      `const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;\nawait new AsyncFunction(${str(write(m))})();\n${done}`,
  },
  {
    name: 'generator function constructor',
    live: true,
    body: (m) =>
      `const G = Object.getPrototypeOf(function* () {}).constructor;\nG(${str(write(m))})().next();\n${done}`,
  },
  {
    name: '__proto__.constructor',
    live: true,
    body: (m) => `((() => 0) as any).__proto__.constructor(${str(write(m))})();\n${done}`,
  },
  {
    name: 'property descriptors, no constructor name',
    live: true,
    body: (m) =>
      `const d = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(() => 0));\nconst F = Object.values(d).map((x: any) => x.value).find((v: any) => typeof v === 'function' && v.name === 'Function');\nF(${str(write(m))})();\n${done}`,
  },
  {
    name: 'Reflect.get constructor',
    live: true,
    body: (m) => `const F = Reflect.get(() => 0, 'cons' + 'tructor');\nF(${str(write(m))})();\n${done}`,
  },
  {
    name: 'Reflect.construct',
    live: true,
    body: (m) => `Reflect.construct(Function, [${str(write(m))}])();\n${done}`,
  },
  {
    name: 'Object alias',
    live: true,
    body: (m) =>
      `const O: any = Object;\nconst F = O.getPrototypeOf(() => 0).constructor;\nF(${str(write(m))})();\n${done}`,
  },
  {
    name: 'dynamic key via a stored function',
    live: true,
    body: (m) =>
      `const k = [...'rotcurtsnoc'].reverse().join('');\nconst f: any = () => 0;\nconst make = f[k];\nconst g = make(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'dynamic key passed to then',
    live: true,
    body: (m) =>
      `const k = [...'rotcurtsnoc'].reverse().join('');\nconst f: any = () => 0;\nawait Promise.resolve(${str(write(m))}).then(f[k]).then((g: any) => g());\n${done}`,
  },
  // Laundering the value of a computed read (k spells "constructor" at run time) before using it as code.
  {
    name: 'two hops through an array destructure',
    live: true,
    body: (m) =>
      `${RK}\nconst [C] = [(args as any)[k]];\nconst [F] = [C[k]];\nconst g = F(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'stored in an object, called as a method',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\nconst F = f[k];\nconst holder = { make: F };\nconst g = holder.make(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'returned from a closure',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\nconst get = () => f[k];\nconst F = get();\nconst g = F(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'pushed and popped',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\nconst box: any[] = [];\nbox.push(f[k]);\nconst F = box.pop();\nconst g = F(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'assigned onto an object',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\nconst holder: any = {};\nholder.make = f[k];\nconst g = holder.make(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'thrown and caught',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\ntry {\n  throw f[k];\n} catch (F: any) {\n  const g = F(${str(write(m))});\n  g();\n}\n${done}`,
  },
  {
    name: 'handed out by a getter',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\nconst o = { get make() { return f[k]; } };\nconst g = o.make(${str(write(m))});\ng();\n${done}`,
  },
  {
    name: 'iterated out of an array',
    live: true,
    body: (m) =>
      `${RK}\nconst f: any = [].map;\nfor (const F of [f[k]]) {\n  const g = F(${str(write(m))});\n  g();\n}\n${done}`,
  },
  {
    name: 'prototype pollution of the runtime',
    live: true,
    body: (m) =>
      `(Object.prototype as any).toJSON = function () { ${write(m).replace('process', '(process as any)')}; return {}; };\nJSON.stringify({});\n${done}`,
  },
  {
    name: 'prepareStackTrace hook',
    live: true,
    body: (m) =>
      `(Error as any).prepareStackTrace = () => { ${write(m).replace('process', '(process as any)')}; return ''; };\nvoid new Error('x').stack;\n${done}`,
  },
  {
    name: 'class static block',
    live: true,
    body: (m) =>
      `class A {\n  static {\n    ${write(m).replace('process', '(process as any)')};\n  }\n}\nvoid A;\n${done}`,
  },
  {
    name: 'enum initialiser',
    live: true,
    body: (m) => `enum E { A = (${write(m).replace('process', '(process as any)')}, 1) }\nvoid E;\n${done}`,
  },
  {
    name: 'with statement',
    live: false,
    body: (m) => `with (globalThis as any) { eval(${str(write(m))}); }\n${done}`,
  },
  { name: 'require', live: false, body: (m) => `require('fs').writeFileSync(${m}, 'x');\n${done}` },
  // Leaving the function body: code at module level runs when the server starts.
  {
    name: 'closing brace, then top-level code',
    live: true,
    body: (m) => `return 1;\n}\n${write(m)};\nfunction __rest() {`,
  },
  {
    name: 'closing brace, then an export',
    live: true,
    body: (m) => `return 1;\n}\nexport const pwned = ${write(m)};\nexport function __rest() {`,
  },
  {
    name: 'closing brace, then a static import',
    live: true,
    body: (m) =>
      `return 1;\n}\nimport { writeFileSync } from 'node:fs';\nwriteFileSync(${m}, 'x');\nfunction __rest() {`,
  },
  {
    name: 'closing brace hidden after a string',
    live: true,
    body: (m) => `const s = "}"; return s;\n}\n${write(m)};\nfunction __rest() {`,
  },
  {
    name: 'closing brace, then an unterminated template',
    live: false,
    body: (m) => `return 1;\n}\n${write(m)};\nconst t = \``,
  },
  {
    name: 'closing brace, then an open block comment',
    live: false,
    body: (m) => `return 1;\n}\n${write(m)};\n/*`,
  },
  {
    name: 'closing brace, then an open regex',
    live: false,
    body: (m) => `return 1;\n}\n${write(m)};\nconst r = /`,
  },
  {
    name: 'line comment swallowing the end marker',
    live: false,
    body: (m) => `return 1;\n}\n${write(m)};\n//`,
  },
  {
    name: 'unicode line separator in a comment',
    live: true,
    body: (m) => `// hi\u2028}\n${write(m)};\nfunction __rest() {`,
  },
  { name: 'HTML comment', live: false, body: (m) => `<!-- }\n${write(m)};\nfunction __rest() {` },
  {
    name: 'TypeScript namespace',
    live: false,
    body: (m) => `namespace N { ${write(m).replace('process', '(process as any)')}; }\n${done}`,
  },
];

/** Bodies that look like attacks to a careless check but are ordinary tool code. */
export const BENIGN: Array<{ name: string; body: string; args?: Record<string, unknown> }> = [
  {
    name: 'class with a constructor method',
    body: 'class Counter {\n  n = 0;\n  constructor(start: number) { this.n = start; }\n  inc() { return ++this.n; }\n}\nreturn new Counter(1).inc();',
  },
  {
    name: 'object indexed by a key',
    body: "const counts: Record<string, number> = {};\nfor (const w of 'a b a'.split(' ')) counts[w] = (counts[w] ?? 0) + 1;\nreturn Object.entries(counts).map(([word, n]) => ({ word, n }));",
  },
  {
    name: 'matrix loop',
    body: 'const grid = [[1, 2], [3, 4]];\nlet sum = 0;\nfor (let i = 0; i < grid.length; i++) for (let j = 0; j < grid[i]!.length; j++) sum += grid[i]![j]!;\nreturn sum;',
  },
  {
    name: 'pure built-ins',
    body: "const { createHash } = await import('node:crypto');\nconst path = await import('node:path');\nreturn createHash('sha256').update(path.join('a', 'b')).digest('hex');",
  },
  {
    name: 'literal environment read',
    body: "const base = process.env.API_BASE ?? 'https://example.com';\nreturn new URL('/x', base).href;",
  },
  {
    name: 'values of a row by column',
    body: "const row: Record<string, unknown> = { a: 1, b: 'x' };\nreturn Object.keys(row).map((col) => String(row[col]));",
  },
  { name: 'string that mentions eval in prose', body: "return 'we never eval input; see the docs';" },
  {
    name: 'instanceof checks',
    body: 'const x: unknown = () => 1;\nreturn { fn: x instanceof Function, obj: x instanceof Object, t: typeof x };',
  },
  { name: 'ctx.env and ctx.log', body: "ctx.log.info('hello', { n: 1 });\nreturn ctx.env('GREETING');" },
  {
    name: 'regular expressions with braces',
    body: "const re = /\\}+/g;\nconst t = `}${'}'}`;\nreturn 'a}}b'.replace(re, '') + t;",
  },
];
