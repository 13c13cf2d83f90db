/**
 * What the code check knows about a body before it judges it: the walk over code (type-only subtrees
 * skipped), the `const` names it can fold, the names bound to functions, numeric loop counters, and where the
 * value of a property read by a computed key flows — into variables (`tainted`), into containers that hold it
 * (`containers`: object and array literals, objects it is stored on, functions that return it). Taint
 * propagates to a fixed point over names; it is flow-insensitive, so it over-approximates. Pure.
 */
import { type AstNode, type Constants, isNode, keyName, unwrap } from './fold.js';

export interface Visit {
  node: AstNode;
  parent: AstNode | undefined;
  key: string;
}

export interface Facts {
  consts: Constants;
  /** Names bound to functions or classes: a computed key on them reaches their constructor. */
  functions: Set<string>;
  /** Loop counters only ever numeric: `for (let i = 0; …; i++)`. */
  counters: Set<string>;
  /** Names that hold the result of a dynamic property read. */
  tainted: Set<string>;
  /** Names that hold such a value inside (an object, array, class or a function that returns it). */
  containers: Set<string>;
  /** False when taint did not settle within MAX_ROUNDS (the caller refuses: fail closed). */
  settled: boolean;
}

/** Rounds of taint propagation: forward flows settle in two; only contrived backward chains need more. */
const MAX_ROUNDS = 25;

const SKIP_KEYS = new Set([
  'loc',
  'start',
  'end',
  'extra',
  'range',
  'leadingComments',
  'trailingComments',
  'innerComments',
]);
const TYPE_KEYS = new Set([
  'typeAnnotation',
  'typeParameters',
  'typeArguments',
  'returnType',
  'superTypeParameters',
  'implements',
  'predicate',
]);
const TYPE_ONLY = new Set([
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSDeclareFunction',
  'TSDeclareMethod',
  'TSIndexSignature',
]);

export const MEMBER = new Set(['MemberExpression', 'OptionalMemberExpression']);
export const CALL = new Set(['CallExpression', 'OptionalCallExpression', 'NewExpression']);
const FUNCTION = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'ClassExpression']);

/** Depth-first over code (type-only subtrees skipped); `parent` and `key` say where a node sits. */
export function walk(
  node: AstNode,
  parent: AstNode | undefined,
  key: string,
  visit: (v: Visit) => void,
): void {
  if (TYPE_ONLY.has(node.type)) return;
  visit({ node, parent, key });
  for (const [k, value] of Object.entries(node)) {
    if (SKIP_KEYS.has(k)) continue;
    const children = Array.isArray(value) ? value : [value];
    for (const c of children) {
      if (!isNode(c)) continue;
      if (TYPE_KEYS.has(k) && c.type.startsWith('TS') && !c.type.endsWith('Expression')) continue;
      walk(c, node, k, visit);
    }
  }
}

export function bindingNames(pattern: AstNode | undefined, out: string[] = []): string[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(String(pattern.name));
      break;
    case 'ObjectPattern':
      for (const p of (pattern.properties as AstNode[]) ?? [])
        bindingNames(p.type === 'RestElement' ? (p.argument as AstNode) : (p.value as AstNode), out);
      break;
    case 'ArrayPattern':
      for (const e of (pattern.elements as Array<AstNode | null>) ?? []) if (e) bindingNames(e, out);
      break;
    case 'AssignmentPattern':
      bindingNames(pattern.left as AstNode, out);
      break;
    case 'RestElement':
      bindingNames(pattern.argument as AstNode, out);
      break;
    case 'TSParameterProperty':
      bindingNames(pattern.parameter as AstNode, out);
      break;
    default:
      // A member target (`a.b = …`): its root object is what now holds the value.
      if (MEMBER.has(pattern.type)) {
        const root = rootIdentifier(pattern);
        if (root) out.push(root);
      }
  }
  return out;
}

function rootIdentifier(node: AstNode): string | undefined {
  let n = unwrap(node);
  while (MEMBER.has(n.type)) n = unwrap(n.object as AstNode);
  return n.type === 'Identifier' ? String(n.name) : undefined;
}

/** A function node's returned (or yielded) expressions, not those of functions nested in it. */
function returned(fn: AstNode): AstNode[] {
  const body = fn.body as AstNode | undefined;
  if (!body) return [];
  if (body.type !== 'BlockStatement' && body.type !== 'ClassBody') return [body];
  const out: AstNode[] = [];
  walk(body, fn, 'body', ({ node }) => {
    if ((node.type === 'ReturnStatement' || node.type === 'YieldExpression') && isNode(node.argument))
      out.push(node.argument);
    // Class fields and getters hand their values out as well.
    if ((node.type === 'ClassProperty' || node.type === 'ClassAccessorProperty') && isNode(node.value))
      out.push(node.value);
  });
  return out;
}

export function collectFacts(statements: AstNode[]): Facts {
  const bindings = new Map<string, number>();
  const assigned = new Set<string>();
  const constInits = new Map<string, AstNode>();
  const functions = new Set<string>();
  const functionNodes = new Map<string, AstNode[]>();
  const counterCandidates = new Set<string>();
  const numericSteps = new Set<string>();
  const bind = (name: string) => bindings.set(name, (bindings.get(name) ?? 0) + 1);
  const flows: Array<{ to: AstNode; from: AstNode }> = [];
  const addFunction = (name: string, node: AstNode) => {
    functions.add(name);
    functionNodes.set(name, [...(functionNodes.get(name) ?? []), node]);
  };
  for (const s of statements)
    walk(s, undefined, '', ({ node, parent }) => {
      switch (node.type) {
        case 'VariableDeclarator': {
          const id = node.id as AstNode;
          for (const name of bindingNames(id)) bind(name);
          const init = isNode(node.init) ? unwrap(node.init) : undefined;
          if (init) flows.push({ to: id, from: init });
          if (id.type === 'Identifier' && init) {
            if (parent?.kind === 'const') constInits.set(String(id.name), init);
            if (FUNCTION.has(init.type)) addFunction(String(id.name), init);
            if (init.type === 'NumericLiteral') counterCandidates.add(String(id.name));
          }
          break;
        }
        case 'FunctionDeclaration':
        case 'ClassDeclaration':
          if (isNode(node.id)) {
            bind(String(node.id.name));
            addFunction(String(node.id.name), node);
          }
          for (const p of (node.params as AstNode[]) ?? []) for (const name of bindingNames(p)) bind(name);
          break;
        case 'FunctionExpression':
        case 'ArrowFunctionExpression':
        case 'ObjectMethod':
        case 'ClassMethod':
          for (const p of (node.params as AstNode[]) ?? []) for (const name of bindingNames(p)) bind(name);
          break;
        case 'CatchClause':
          for (const name of bindingNames(node.param as AstNode | undefined)) bind(name);
          break;
        case 'AssignmentExpression': {
          const left = node.left as AstNode;
          flows.push({ to: left, from: node.right as AstNode });
          for (const name of bindingNames(left)) assigned.add(name);
          if (left.type === 'Identifier') {
            const step =
              ['+=', '-='].includes(String(node.operator)) &&
              (node.right as AstNode).type === 'NumericLiteral';
            if (step) numericSteps.add(String(left.name));
            else counterCandidates.delete(String(left.name));
          }
          break;
        }
        case 'ForInStatement':
        case 'ForOfStatement': {
          const left = node.left as AstNode;
          const target =
            left.type === 'VariableDeclaration' ? ((left.declarations as AstNode[])[0]?.id as AstNode) : left;
          if (left.type !== 'VariableDeclaration') for (const name of bindingNames(left)) assigned.add(name);
          // Iterating a container hands out what it holds.
          if (node.type === 'ForOfStatement' && target)
            flows.push({ to: target, from: node.right as AstNode });
          break;
        }
      }
    });
  // A counter is a name bound once, to a number, and then only stepped by numbers.
  const counters = new Set<string>();
  for (const name of counterCandidates)
    if (bindings.get(name) === 1 && (!assigned.has(name) || numericSteps.has(name))) counters.add(name);
  const consts = new Map<string, AstNode>();
  for (const [name, init] of constInits)
    if (bindings.get(name) === 1 && !assigned.has(name)) consts.set(name, init);
  const facts: Facts = {
    consts,
    functions,
    counters,
    tainted: new Set(),
    containers: new Set(),
    settled: false,
  };
  // Taint flows through names until nothing changes; bounded so a hostile body cannot make the check slow.
  for (let changed = true, round = 0; changed; round++) {
    if (round >= MAX_ROUNDS) return facts;
    changed = false;
    const mark = (set: Set<string>, names: string[]) => {
      for (const name of names)
        if (!set.has(name)) {
          set.add(name);
          changed = true;
        }
    };
    for (const { to, from } of flows) {
      const member = MEMBER.has(to.type);
      if (suspect(from, facts)) mark(member ? facts.containers : facts.tainted, bindingNames(to));
      if (container(from, facts)) {
        // Destructuring a container takes its contents out; a plain name keeps the container.
        const unpacks = to.type === 'ObjectPattern' || to.type === 'ArrayPattern';
        mark(unpacks ? facts.tainted : facts.containers, bindingNames(to));
      }
    }
    for (const [name, nodes] of functionNodes)
      if (nodes.some((fn) => returned(fn).some((r) => suspect(r, facts) || container(r, facts))))
        mark(facts.containers, [name]);
  }
  facts.settled = true;
  return facts;
}

/** A computed key that is neither a constant string nor a number. */
export function isDynamicMember(node: AstNode, facts: Facts): boolean {
  if (!MEMBER.has(node.type) || node.computed !== true) return false;
  const property = node.property as AstNode;
  return keyName(property, true, facts.consts) === undefined && !numeric(property, facts);
}

export function numeric(node: AstNode, facts: Facts): boolean {
  const n = unwrap(node);
  switch (n.type) {
    case 'NumericLiteral':
      return true;
    case 'Identifier':
      return facts.counters.has(String(n.name));
    case 'UnaryExpression':
      return ['-', '+', '~'].includes(String(n.operator)) && numeric(n.argument as AstNode, facts);
    case 'UpdateExpression':
      return true;
    case 'BinaryExpression':
      return (
        ['-', '*', '/', '%', '**', '|', '&', '^', '<<', '>>', '>>>', '+'].includes(String(n.operator)) &&
        numeric(n.left as AstNode, facts) &&
        numeric(n.right as AstNode, facts)
      );
    case 'MemberExpression':
      return (
        n.computed !== true &&
        (n.property as AstNode).type === 'Identifier' &&
        String((n.property as AstNode).name) === 'length'
      );
    default:
      return false;
  }
}

/** An expression whose value may be the result of a dynamic property read. */
export function suspect(node: AstNode, facts: Facts): boolean {
  const n = unwrap(node);
  switch (n.type) {
    case 'Identifier':
      return facts.tainted.has(String(n.name));
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return isDynamicMember(n, facts) || container(n.object as AstNode, facts);
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression':
      return container(n.callee as AstNode, facts);
    case 'ConditionalExpression':
      return suspect(n.consequent as AstNode, facts) || suspect(n.alternate as AstNode, facts);
    case 'LogicalExpression':
      return suspect(n.left as AstNode, facts) || suspect(n.right as AstNode, facts);
    case 'SequenceExpression': {
      const list = n.expressions as AstNode[];
      return list.length > 0 && suspect(list[list.length - 1] as AstNode, facts);
    }
    case 'AssignmentExpression':
      return suspect(n.right as AstNode, facts);
    case 'AwaitExpression':
      return suspect(n.argument as AstNode, facts) || container(n.argument as AstNode, facts);
    default:
      return false;
  }
}

/** An expression that holds a suspect value inside (so reading any member of it may give that value). */
export function container(node: AstNode, facts: Facts): boolean {
  const n = unwrap(node);
  const holds = (x: AstNode | null | undefined): boolean =>
    !!x &&
    (x.type === 'SpreadElement' ? holds(x.argument as AstNode) : suspect(x, facts) || container(x, facts));
  switch (n.type) {
    case 'Identifier':
      return facts.containers.has(String(n.name));
    case 'ArrayExpression':
      return ((n.elements as Array<AstNode | null>) ?? []).some(holds);
    case 'ObjectExpression':
      return ((n.properties as AstNode[]) ?? []).some((p) =>
        p.type === 'ObjectMethod' ? returned(p).some(holds) : holds((p.value ?? p.argument) as AstNode),
      );
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return container(n.object as AstNode, facts);
    case 'CallExpression':
    case 'OptionalCallExpression':
    case 'NewExpression':
      return container(n.callee as AstNode, facts);
    case 'ConditionalExpression':
      return container(n.consequent as AstNode, facts) || container(n.alternate as AstNode, facts);
    case 'LogicalExpression':
      return container(n.left as AstNode, facts) || container(n.right as AstNode, facts);
    case 'AwaitExpression':
      return container(n.argument as AstNode, facts);
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassExpression':
      return returned(n).some(holds);
    default:
      return false;
  }
}

export { keyName };
