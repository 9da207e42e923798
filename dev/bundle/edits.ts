// Edits that `npm run bundle` makes to ncc's output, for lines of our dependencies that cost every
// run and that no `paths` replacement can reach (they are inside a package, behind a relative
// import). Each edit keeps the line's behaviour and only changes when it happens. Each must match
// exactly once: an upgrade that changes the line fails the build instead of quietly undoing the
// edit or editing something else.

export interface BundleEdit {
  /** What the edit is for, as the build names it when the edit no longer fits. */
  what: string;
  pattern: RegExp;
  replace(match: string, ...groups: string[]): string;
}

export const EDITS: BundleEdit[] = [
  {
    // @actions/core's summary.js runs `const { access, appendFile, writeFile } = promises` when it
    // loads, and reading fs.promises loads node:fs/promises, for core.summary, which this action
    // never calls (main.ts appends the summary itself). With keep-fresh.ts importing it only in run
    // mode, that is 1.4 ms off every run over https (npm run bench). Each name becomes a function
    // that looks the real one up when it is called.
    what: "@actions/core's summary.js reading fs.promises at start-up",
    pattern: /const \{ (\w+(?:, \w+)*) \} = (\w+)\.promises;/g,
    replace: (_line, names, fs) =>
      `const ${names
        .split(', ')
        .map(name => `${name} = (...args) => ${fs}.promises.${name}(...args)`)
        .join(', ')};`
  }
];

/** Applies every edit to `code`; throws naming the edit that matched other than once. */
export function applyEdits(code: string, edits: BundleEdit[] = EDITS): string {
  let edited = code;
  for (const edit of edits) {
    const matches = [...edited.matchAll(edit.pattern)].length;
    if (matches !== 1) {
      throw new Error(
        `The bundle edit for ${edit.what} matched ${matches} times instead of once: a dependency changed. Check the line in dev/bundle/edits.ts against the new bundle, then fix or remove the edit.`
      );
    }
    edited = edited.replace(edit.pattern, edit.replace);
  }
  return edited;
}
