// Has V8 compile, with the bundle itself, the module factories that every start of the bundle runs.
//
// V8 compiles a function lazily by default: the whole script is pre-parsed when it loads, and a
// function is parsed again, in full, and compiled when it is first called. ncc wraps each module
// in a factory function that runs once, at start-up, so every module a step needs is read twice.
// A function expression in parentheses is V8's hint that it will be called at once (the
// "parenthesized function" heuristic), and it compiles such a function with the script: one pass.
// Measured on a plain step over http (callgrind, instructions, one run each; the same every run):
// 183.1 M before, 173.2 M with the start-up factories in parentheses; the floor is 128.8 M.
//
// Only the factories that run on every start are marked: those the entry requires, directly or
// through the modules it requires. What is loaded by a dynamic import (run mode, klear-token, the
// post step) stays lazy, so a plain step does not compile it.
import ts from 'typescript';

/** `code` with every factory a start runs wrapped in parentheses; throws if ncc's shape changed. */
export function compileEagerly(code: string): string {
  const file = ts.createSourceFile(
    'index.js',
    code,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.JS
  );
  const factories = moduleFactories(file);
  const entry = entryModule(file);
  if (!factories || entry === undefined || !factories.has(entry)) {
    throw new Error(
      "dev/eager-start.ts: ncc's output no longer has the module table and entry it expects; update compileEagerly."
    );
  }
  const started = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    // An id no factory has is a minified name that happens to shadow `require`: not a module.
    if (started.has(id) || !factories.has(id)) continue;
    started.add(id);
    pending.push(...staticRequires(factories.get(id) as ts.FunctionLikeDeclaration));
  }
  // From the end backwards, so that each insertion leaves the earlier offsets as they were.
  const marked = [...started]
    .map(id => factories.get(id) as ts.Node)
    .sort((a, b) => b.getStart() - a.getStart());
  let out = code;
  for (const factory of marked) {
    out = `${out.slice(0, factory.getStart())}(${out.slice(factory.getStart(), factory.getEnd())})${out.slice(factory.getEnd())}`;
  }
  return out;
}

/** webpack's module table: `{ 678: (module, exports, require) => {…}, … }`, by module id. */
function moduleFactories(file: ts.SourceFile): Map<string, ts.FunctionLikeDeclaration> | undefined {
  let found: Map<string, ts.FunctionLikeDeclaration> | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isObjectLiteralExpression(node) && node.properties.length > 0) {
      const entries = node.properties.map(property =>
        ts.isPropertyAssignment(property) &&
        ts.isNumericLiteral(property.name) &&
        (ts.isArrowFunction(property.initializer) || ts.isFunctionExpression(property.initializer))
          ? ([property.name.text, property.initializer] as const)
          : undefined
      );
      if (entries.every(entry => entry !== undefined)) {
        found = new Map(entries);
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The module the bundle's last statement requires: `__nccwpck_require__(407)`. */
function entryModule(file: ts.SourceFile): string | undefined {
  let entry: string | undefined;
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === '__nccwpck_require__' &&
      node.arguments.length === 1 &&
      ts.isNumericLiteral(node.arguments[0])
    ) {
      entry = node.arguments[0].text;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return entry;
}

/**
 * The modules a factory requires when it runs: calls of its `require` parameter with an id. A
 * dynamic import is `require.bind(require, id)` or `require.t.bind(…)`, never such a call. The
 * minifier reuses short names, so a function inside that binds the same name has its own.
 */
function staticRequires(factory: ts.FunctionLikeDeclaration): string[] {
  const parameter = factory.parameters[2]?.name;
  if (!parameter || !ts.isIdentifier(parameter)) return [];
  const name = parameter.text;
  const ids: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && binds(node, name)) return;
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === name &&
      node.arguments.length === 1 &&
      ts.isNumericLiteral(node.arguments[0])
    ) {
      ids.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  if (factory.body) ts.forEachChild(factory.body, visit);
  return ids;
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
