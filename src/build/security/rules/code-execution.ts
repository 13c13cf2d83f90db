/**
 * Rules about running code the server did not ship: eval, the Function constructor, shell commands,
 * child_process and vm imports, and module specifiers computed at runtime.
 */
import type { SecurityRule } from '../types.js';
import { BT, moduleRef, rule, STATIC_LITERAL, TYPED_PARAM } from './patterns.js';

export const evalRule: SecurityRule = rule({
  id: 'eval',
  name: 'Use of eval()',
  pattern: /(?<![\w$.]|\bfunction\s+)eval\s*\(|\b(?:globalThis|window|global|self)\s*\.\s*eval\s*\(/,
  severity: 'critical',
  message: 'eval() executes arbitrary code; any attacker-influenced input becomes code execution.',
  hint: 'Parse data with JSON.parse or a real parser, or dispatch through a lookup table of allowed operations.',
  mask: 'comments-and-strings',
});

export const newFunctionRule: SecurityRule = rule({
  id: 'new-function',
  name: 'Function constructor',
  pattern: /(?<![\w$.])(?:new\s+)?Function\s*\(/,
  severity: 'critical',
  message: 'The Function constructor compiles a string into code, like eval().',
  hint: 'Write the function statically; select behaviour with a map of handlers instead of generating code.',
  mask: 'comments-and-strings',
});

export const shellExecRule: SecurityRule = rule({
  id: 'shell-exec',
  name: 'Shell command execution',
  pattern: new RegExp(
    [
      // exec(cmd) / execSync(cmd) imported from child_process, unless the command is a static literal
      String.raw`(?<![\w$.]|\bfunction\s+|\b(?:async|get|set|static)\s+)(?:exec|execSync)\s*\(\s*(?!${STATIC_LITERAL}\s*[,)]|${TYPED_PARAM})`,
      String.raw`\b(?:child_process|childProcess|childProc|cp)\s*\.\s*(?:exec|execSync)\s*\(\s*(?!${STATIC_LITERAL}\s*[,)]|${TYPED_PARAM})`,
      String.raw`\bpromisify\s*\(\s*(?:[\w$]+\s*\.\s*)?exec\s*\)`,
      // spawn/execFile/fork with { shell: true } (or a shell path)
      String.raw`\b(?:spawn|spawnSync|execFile|execFileSync|fork)\s*\([^;]{0,600}?\bshell\s*:\s*(?:true\b|['"${BT}])`,
    ].join('|'),
  ),
  severity: 'critical',
  message: 'Runs a command through a shell; metacharacters in interpolated input lead to command injection.',
  hint: 'Use execFile/spawn with an argument array and shell: false, and validate every argument.',
  multiline: true,
  mask: 'comments-and-strings',
  when: /\bchild_process\b/,
});

export const childProcessImportRule: SecurityRule = rule({
  id: 'child-process-import',
  name: 'child_process import',
  pattern: moduleRef('child_process'),
  // High (blocking): a generated server that starts processes runs commands on the host it is deployed to.
  severity: 'high',
  message: 'Imports child_process: the server can start any program on the host it runs on.',
  hint: 'Remove the import; a code tool that must start processes is for trusted local use only (code.hostAccess, created with the CLI and --force after review).',
});

export const vmModuleRule: SecurityRule = rule({
  id: 'vm-module',
  name: 'vm module import',
  pattern: moduleRef('vm'),
  severity: 'high',
  message: 'Imports the vm module, which compiles and runs code and is not a security sandbox.',
  hint: 'Avoid executing dynamic code; if isolation is required, use a separate process or a real sandbox.',
});

export const dynamicRequireRule: SecurityRule = rule({
  id: 'dynamic-require',
  name: 'Dynamic require/import',
  pattern: new RegExp(
    String.raw`(?<![\w$.]|\bfunction\s+)(?:require|import)\s*\(\s*(?!${STATIC_LITERAL}\s*[,)]|\)|${TYPED_PARAM})`,
  ),
  severity: 'medium',
  message: 'Loads a module whose specifier is computed at runtime; input could pick an unexpected module.',
  hint: 'Use static import specifiers, or map allowed names to modules with a fixed table.',
  mask: 'comments-and-strings',
});
