/**
 * The rules over the AST of a code tool's body. The walk sees what runs (identifiers and strings cooked by the
 * parser, so `\u0065val` is `eval`; type-only subtrees skipped) and refuses what reaches outside a tool:
 * eval and the Function constructor (directly or through `.constructor`, prototypes and reflection), require,
 * imports outside the allow-list, host built-ins without the spec's opt-in, import.meta, process beyond
 * literal environment reads, the global object, `with`, names built from constants to spell any of those,
 * and computed keys that cannot be read statically where they are used as code (called, chained, passed on).
 * A static check cannot prove code harmless; it is the gate, the permission to create code is the boundary.
 */

import { CALL, collectFacts, type Facts, MEMBER, numeric, suspect, type Visit, walk } from './facts.js';
import { type AstNode, foldString, keyName, unwrap } from './fold.js';
import { classifyModule, namesHostModule } from './modules.js';
import type { CodeRule } from './rules.js';
import {
  CONVERTERS,
  DATA_METHODS,
  FORBIDDEN_MEMBERS,
  GLOBAL_RULES,
  OBJECT_SAFE,
  PROCESS_SAFE,
  REFUSED_STATEMENTS,
  SMUGGLED_STRINGS,
} from './tables.js';

/** A finding at an offset of the wrapped text (the caller maps it to a body line). */
export interface RawFinding {
  rule: CodeRule;
  message: string;
  offset: number;
}

export interface AnalyzeOptions {
  /** Host built-ins the spec's `hostAccess` opts into (`fs`, `child_process`, …). */
  hostModules: ReadonlySet<string>;
}

export function analyzeStatements(statements: AstNode[], options: AnalyzeOptions): RawFinding[] {
  const facts = collectFacts(statements);
  if (!facts.settled)
    return [
      {
        rule: 'code-obfuscation',
        message: 'values read by computed keys flow through too many variables to check',
        offset: statements[0]?.start ?? 0,
      },
    ];
  parents = new WeakMap();
  for (const statement of statements)
    walk(statement, undefined, '', ({ node, parent, key }) => {
      if (parent) parents.set(node, { parent, key });
    });
  const findings: RawFinding[] = [];
  const seen = new Set<string>();
  const report = (rule: CodeRule, message: string, node: AstNode) => {
    const offset = node.start ?? 0;
    const id = `${offset}:${rule}`;
    if (seen.has(id)) return;
    seen.add(id);
    findings.push({ rule, message, offset });
  };
  for (const statement of statements)
    walk(statement, undefined, '', (v) => inspect(v, facts, options, report));
  return findings.sort((a, b) => a.offset - b.offset);
}

/** Objects whose computed members are code paths: globals, functions, classes, `this`, import.meta. */
function dangerousObject(node: AstNode, facts: Facts): boolean {
  const n = unwrap(node);
  switch (n.type) {
    case 'Identifier': {
      const name = String(n.name);
      return (
        GLOBAL_RULES.has(name) ||
        name === 'process' ||
        name === 'Object' ||
        name === 'ctx' ||
        facts.functions.has(name)
      );
    }
    case 'ThisExpression':
    case 'Super':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassExpression':
    case 'MetaProperty':
      return true;
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return dangerousObject(n.object as AstNode, facts);
    default:
      return false;
  }
}

/** Is `node` (at parent[key]) a reference to a variable, rather than a property name, label or binding key? */
function isReference(parent: AstNode | undefined, key: string): boolean {
  if (!parent) return true;
  if (MEMBER.has(parent.type) && key === 'property' && parent.computed !== true) return false;
  if (
    (parent.type === 'ObjectProperty' ||
      parent.type === 'ObjectMethod' ||
      parent.type === 'ClassMethod' ||
      parent.type === 'ClassProperty' ||
      parent.type === 'ClassAccessorProperty' ||
      parent.type === 'TSEnumMember') &&
    key === 'key' &&
    parent.computed !== true
  )
    return false;
  if (parent.type === 'MetaProperty') return false;
  if (
    (parent.type === 'LabeledStatement' ||
      parent.type === 'BreakStatement' ||
      parent.type === 'ContinueStatement') &&
    key === 'label'
  )
    return false;
  return true;
}

/** How a value at parent[key] is used: as code (called, constructed, chained into, passed on) or as data. */
function usedAsCode(parent: AstNode | undefined, key: string, facts: Facts): boolean {
  if (!parent) return false;
  if (parent.type === 'ThrowStatement') return true;
  if (CALL.has(parent.type) && key === 'callee') return true;
  if (parent.type === 'TaggedTemplateExpression' && key === 'tag') return true;
  if (MEMBER.has(parent.type) && key === 'object') {
    if (numeric(parent.property as AstNode, facts)) return false;
    const name = memberName(parent, facts);
    return name === undefined || name === 'call' || name === 'apply' || name === 'bind';
  }
  if (CALL.has(parent.type) && key === 'arguments') {
    const callee = unwrap(parent.callee as AstNode);
    if (callee.type === 'Identifier' && CONVERTERS.has(String(callee.name))) return false;
    if (MEMBER.has(callee.type) && callee.computed !== true) {
      const method = String((callee.property as AstNode).name);
      const object = unwrap(callee.object as AstNode);
      if (object.type === 'Identifier' && ['JSON', 'Math', 'Number', 'String'].includes(String(object.name)))
        return false;
      if (DATA_METHODS.has(method)) return false;
    }
    return true;
  }
  return false;
}

type Report = (rule: CodeRule, message: string, node: AstNode) => void;

function inspect({ node, parent, key }: Visit, facts: Facts, options: AnalyzeOptions, report: Report): void {
  const refused = REFUSED_STATEMENTS.get(node.type);
  if (refused) {
    report('code-structure', `${refused} is not allowed in a tool body`, node);
    return;
  }
  // Wherever the value of a dynamic property read flows, it may be the Function constructor: it may be kept
  // and read as data, but not called, constructed, passed on, chained by a computed key, or thrown.
  if (parent && usedAsCode(parent, key, facts) && suspect(node, facts))
    report(
      'code-obfuscation',
      'a value read by a computed property key is called, chained or passed on',
      node,
    );
  switch (node.type) {
    case 'WithStatement':
      report('code-with', '`with` hides which object a name is read from', node);
      return;
    case 'Identifier':
      if (isReference(parent, key)) identifier(node, parent, key, facts, report);
      return;
    case 'MetaProperty':
      if ((node.meta as AstNode).name === 'import')
        report('code-import-meta', 'import.meta exposes the server file and its module resolver', node);
      return;
    case 'Import':
      report('code-dynamic-import', 'import() in this form is not allowed', node);
      return;
    case 'ImportExpression':
      importCall(node, node.source as AstNode, facts, options, report);
      return;
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression': {
      call(node, facts, report);
      // A name built by a call of constants: ['con', 'structor'].join(''), String.fromCharCode(…), atob(…).
      const text = parent?.type === 'ImportExpression' ? undefined : foldString(node, facts.consts);
      if (text !== undefined) smuggled(text, node, options, report);
      return;
    }
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      member(node, parent, key, facts, report);
      return;
    case 'ObjectPattern':
      for (const p of (node.properties as AstNode[]) ?? []) {
        if (p.type !== 'ObjectProperty') continue;
        const name = keyName(p.key as AstNode, p.computed === true, facts.consts);
        if (name === undefined)
          report('code-obfuscation', 'destructuring with a computed key that is not a constant', p);
        else if (FORBIDDEN_MEMBERS.has(name))
          report(
            FORBIDDEN_MEMBERS.get(name) as CodeRule,
            `destructures "${name}", a path to code execution or the host`,
            p,
          );
      }
      return;
    case 'StringLiteral':
    case 'TemplateLiteral':
    case 'BinaryExpression': {
      if (node.type === 'BinaryExpression' && node.operator !== '+') return;
      // An import's own specifier is judged by the import rule.
      if (parent?.type === 'ImportExpression' && key === 'source') return;
      const text = foldString(node, facts.consts);
      if (text !== undefined) smuggled(text, node, options, report);
      return;
    }
  }
}

function smuggled(text: string, node: AstNode, options: AnalyzeOptions, report: Report): void {
  if (SMUGGLED_STRINGS.has(text)) {
    report('code-smuggled-name', `the string "${text}" spells a path to code execution`, node);
    return;
  }
  const module = classifyModule(text);
  if (namesHostModule(text) && !(module.kind === 'host' && options.hostModules.has(module.module)))
    report('code-smuggled-name', `the string "${text}" names a host module`, node);
}

function identifier(
  node: AstNode,
  parent: AstNode | undefined,
  key: string,
  facts: Facts,
  report: Report,
): void {
  const name = String(node.name);
  const global = GLOBAL_RULES.get(name);
  if (global) {
    const typeCheck =
      (parent?.type === 'BinaryExpression' && parent.operator === 'instanceof' && key === 'right') ||
      (parent?.type === 'UnaryExpression' && parent.operator === 'typeof');
    if (!(typeCheck && name === 'Function')) report(global.rule, `uses ${name}: ${global.what}`, node);
    return;
  }
  if (name === 'process') {
    processUse(node, parent, key, facts, report);
    return;
  }
  if (name === 'Object') {
    const instance =
      parent?.type === 'BinaryExpression' && parent.operator === 'instanceof' && key === 'right';
    const member =
      parent && MEMBER.has(parent.type) && key === 'object' ? memberName(parent, facts) : undefined;
    if (!instance && !(member !== undefined && OBJECT_SAFE.has(member)))
      report(
        'code-reflection',
        member === undefined
          ? 'uses Object as a value'
          : `Object.${member} reaches prototypes or descriptors`,
        node,
      );
  }
}

function memberName(node: AstNode, facts: Facts): string | undefined {
  return keyName(node.property as AstNode, node.computed === true, facts.consts);
}

/** process: `process.env.NAME` reads and a few harmless members; the rest reaches the host. */
function processUse(
  node: AstNode,
  parent: AstNode | undefined,
  key: string,
  facts: Facts,
  report: Report,
): void {
  const member =
    parent && MEMBER.has(parent.type) && key === 'object' ? memberName(parent, facts) : undefined;
  if (member !== undefined && PROCESS_SAFE.has(member)) return;
  if (member === 'env' && parent) {
    // The env object itself is parent; what reads it is its parent — found by the member rule below.
    return;
  }
  report(
    'code-process',
    member === undefined
      ? 'uses process as a value or by a computed key'
      : `process.${member} reaches the host`,
    node,
  );
}

/** Where each node sits (filled once per body), to climb member chains. */
type Parents = WeakMap<AstNode, { parent: AstNode; key: string }>;
let parents: Parents = new WeakMap();

/** Is this member (or a member chain on it) assigned to, deleted, or the target of Object.defineProperty/assign? */
function writesThrough(start: AstNode, startParent: AstNode | undefined, startKey: string): boolean {
  let node = start;
  let parent = startParent;
  let key = startKey;
  while (parent && MEMBER.has(parent.type) && key === 'object') {
    const up = parents.get(parent);
    node = parent;
    parent = up?.parent;
    key = up?.key ?? '';
  }
  if (!parent) return false;
  if (parent.type === 'AssignmentExpression' && key === 'left') return true;
  if (
    parent.type === 'UpdateExpression' ||
    (parent.type === 'UnaryExpression' && parent.operator === 'delete')
  )
    return true;
  if (CALL.has(parent.type) && key === 'arguments' && (parent.arguments as AstNode[])[0] === node) {
    const callee = unwrap(parent.callee as AstNode);
    const object = MEMBER.has(callee.type) ? unwrap(callee.object as AstNode) : undefined;
    const method = MEMBER.has(callee.type) ? String((callee.property as AstNode).name ?? '') : '';
    return (
      object?.type === 'Identifier' && object.name === 'Object' && /^(definePropert|assign$)/.test(method)
    );
  }
  return false;
}

function importCall(
  node: AstNode,
  source: AstNode,
  facts: Facts,
  options: AnalyzeOptions,
  report: Report,
): void {
  const specifier = foldString(source, facts.consts);
  if (specifier === undefined) {
    report('code-dynamic-import', 'import() of a module name computed at run time', node);
    return;
  }
  const kind = classifyModule(specifier);
  if (kind.kind === 'pure' || kind.kind === 'package') return;
  if (kind.kind === 'host') {
    if (options.hostModules.has(kind.module))
      report('host-access-granted', `imports ${specifier} (host access granted by code.hostAccess)`, node);
    else report('code-host-module', `imports ${specifier}, a built-in that reaches the host`, node);
    return;
  }
  report('code-import', `imports "${specifier}", which is not an allowed module`, node);
}

function call(node: AstNode, facts: Facts, report: Report): void {
  const callee = unwrap(node.callee as AstNode);
  if (callee.type === 'Import') {
    const [source] = (node.arguments as AstNode[]) ?? [];
    if (source) return;
  }
  // obj[anything but a constant string](…): the classic way to call what cannot be named.
  if (MEMBER.has(callee.type) && callee.computed === true && memberName(callee, facts) === undefined)
    report('code-obfuscation', 'calls a property chosen by a computed key', node);
  // f(…)(…): the second step of every Function-constructor path (build a function, then run it).
  else if (CALL.has(callee.type))
    report('code-obfuscation', 'calls the function another call returned', node);
}

function member(node: AstNode, parent: AstNode | undefined, key: string, facts: Facts, report: Report): void {
  const name = memberName(node, facts);
  const object = unwrap(node.object as AstNode);
  if (name !== undefined) {
    const rule = FORBIDDEN_MEMBERS.get(name);
    if (rule) report(rule, `reads ".${name}", a path to code execution or the host`, node);
    // Changing a prototype changes every object of the server, its runtime's checks included.
    if (name === 'prototype' && writesThrough(node, parent, key))
      report('code-reflection', 'changes a prototype shared by the whole server', node);
    // process.env.NAME: a read of one literal variable, never a write and never a factory variable.
    if (
      object.type === 'MemberExpression' &&
      unwrap(object.object as AstNode).type === 'Identifier' &&
      unwrap(object.object as AstNode).name === 'process' &&
      memberName(object, facts) === 'env'
    ) {
      if (name.startsWith('MCP_FACTORY_'))
        report('code-process', `reads process.env.${name}, a variable of the factory itself`, node);
      const written =
        (parent?.type === 'AssignmentExpression' && key === 'left') ||
        parent?.type === 'UpdateExpression' ||
        (parent?.type === 'UnaryExpression' && parent.operator === 'delete');
      if (written) report('code-process', `changes process.env.${name}`, node);
    }
    if (object.type === 'Identifier' && object.name === 'process' && name === 'env') {
      const read =
        parent && MEMBER.has(parent.type) && key === 'object' && memberName(parent, facts) !== undefined;
      if (!read) report('code-process', 'uses process.env as a whole or by a computed key', node);
    }
    return;
  }
  if (numeric(node.property as AstNode, facts)) return;
  if (dangerousObject(object, facts))
    report('code-obfuscation', 'reads a property chosen at run time from a global, function or `this`', node);
  // Two computed hops reach Function from any value: x[k] is Object or String, x[k][k] is Function.
  else if (suspect(object, facts))
    report('code-obfuscation', 'reads a property chosen at run time from a value read the same way', node);
}
