// Has V8 compile, with the bundle itself, the module factories that every start of the bundle runs.
//
// V8 compiles a function lazily by default: the whole script is pre-parsed when it loads, and a
// function is parsed again, in full, and compiled when it is first called. ncc wraps each module
// in a factory function that runs once, at start-up, so every module a step needs is read twice.
// A function expression in parentheses is V8's hint that it will be called at once (the
// "parenthesized function" heuristic), and it compiles such a function with the script: one pass.
// Measured on a plain step over http (callgrind, instructions, one run each; the same every run):
// 183.6 M before, 173.5 M with the start-up factories in parentheses; the floor is 128.9 M.
//
// Only the factories that run on every start are marked: those the bundle's own code requires,
// directly or through the modules they require. What is loaded by a dynamic import (run mode,
// klear-token, the post step) stays lazy, so a plain step does not compile it.
import ts from 'typescript';

type Factory = ts.ArrowFunction | ts.FunctionExpression;

/** `code` with every factory a start runs wrapped in parentheses; throws if ncc's shape changed. */
export function compileEagerly(code: string): string {
  const file = ts.createSourceFile(
    'index.js',
    code,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.JS
  );
  const table = moduleTable(file);
  const roots = table ? requiresOutside(file, table.node) : [];
  if (!table || roots.length === 0) {
    throw new Error(
      "dev/eager-start.ts: ncc's output no longer has the module table and entry it expects; update compileEagerly."
    );
  }
  const started = new Map<string, Factory>();
  const pending = [...roots];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    const factory = table.factories.get(id);
    // No such factory: a minified name that happens to shadow `require`, not a module.
    if (started.has(id) || !factory) continue;
    started.set(id, factory);
    pending.push(...staticRequires(factory));
  }
  // From the end backwards, so that each insertion leaves the earlier offsets as they were.
  const marked = [...started.values()].sort((a, b) => b.getStart() - a.getStart());
  let out = code;
  for (const factory of marked) {
    const [start, end] = [factory.getStart(), factory.getEnd()];
    out = `${out.slice(0, start)}(${out.slice(start, end)})${out.slice(end)}`;
  }
  return out;
}

/** webpack's module table, `{ 678: (module, exports, require) => {…}, … }`: its factories by id. */
function moduleTable(
  file: ts.SourceFile
): { node: ts.ObjectLiteralExpression; factories: Map<string, Factory> } | undefined {
  let found: { node: ts.ObjectLiteralExpression; factories: Map<string, Factory> } | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isObjectLiteralExpression(node) && node.properties.length > 0) {
      const factories = new Map<string, Factory>();
      for (const property of node.properties) {
        if (
          ts.isPropertyAssignment(property) &&
          ts.isNumericLiteral(property.name) &&
          (ts.isArrowFunction(property.initializer) ||
            ts.isFunctionExpression(property.initializer))
        ) {
          factories.set(property.name.text, property.initializer);
        }
      }
      if (factories.size === node.properties.length) {
        found = { node, factories };
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * What the bundle's own code requires, outside the table: the entry, `__nccwpck_require__(407)`,
 * or, where webpack inlined the entry module, each module it imports.
 */
function requiresOutside(file: ts.SourceFile, table: ts.Node): string[] {
  const ids: string[] = [];
  const visit = (node: ts.Node): void => {
    if (node === table) return;
    const id = requiredId(node, '__nccwpck_require__');
    if (id !== undefined) ids.push(id);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return ids;
}

/**
 * The modules a factory requires when it runs: calls of its `require` parameter with an id. A
 * dynamic import is `require.bind(require, id)` or `require.t.bind(…)`, never such a call. The
 * minifier reuses short names, so a function inside that binds the same name has its own.
 */
function staticRequires(factory: Factory): string[] {
  const parameter = factory.parameters[2]?.name;
  if (!parameter || !ts.isIdentifier(parameter)) return [];
  const name = parameter.text;
  const ids: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && binds(node, name)) return;
    const id = requiredId(node, name);
    if (id !== undefined) ids.push(id);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(factory.body, visit);
  return ids;
}

/** The id in `require(id)`, where `require` is the name given. */
function requiredId(node: ts.Node, require: string): string | undefined {
  return ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === require &&
    node.arguments.length === 1 &&
    ts.isNumericLiteral(node.arguments[0])
    ? node.arguments[0].text
    : undefined;
}

/** Whether `name` is a parameter of `scope` or declared anywhere in it. */
function binds(scope: ts.Node, name: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      (ts.isParameter(node) || ts.isVariableDeclaration(node) || ts.isFunctionDeclaration(node)) &&
      node.name !== undefined &&
      ts.isIdentifier(node.name) &&
      node.name.text === name
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(scope, visit);
  return found;
}
