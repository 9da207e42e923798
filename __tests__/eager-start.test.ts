// dev/eager-start.ts puts in parentheses the module factories that every start of the bundle runs,
// V8's hint to compile them with the script; what only a dynamic import loads must stay lazy.
import { describe, expect, it } from '@jest/globals';
import { compileEagerly } from '../dev/eager-start.ts';

/** ncc's shape: a module table, dynamic imports as `require.bind`, the entry required last. */
const FACTORIES: [string, string][] = [
  ['1', '(e,t,n)=>{n.a(e,async(e,r)=>{var s=n(2);await Promise.resolve().then(n.bind(n,3));r()})}'],
  // The minifier reuses `n` in a function of its own: that call is no require.
  ['2', '(e,t,n)=>{var a=n(4);function f(n){return n(6)}}'],
  ['3', '(e,t,n)=>{var b=n(5);return Promise.resolve().then(n.t.bind(n,4,23))}'],
  ['4', 'e=>{e.exports=require("node:fs")}'],
  ['5', 'e=>{e.exports=require("node:os")}'],
  ['6', 'e=>{e.exports=require("node:tls")}']
];

/** The bundle, with the factories of `eager` in parentheses. */
function bundle(eager: string[] = []): string {
  const table = FACTORIES.map(([id, code]) => `${id}:${eager.includes(id) ? `(${code})` : code}`);
  return [
    `(()=>{"use strict";var e={${table.join(',')}};var t={};`,
    'function __nccwpck_require__(n){return e[n](t,t,__nccwpck_require__)}',
    'var n=__nccwpck_require__(1);module.exports=n})();'
  ].join('');
}

describe('compileEagerly', () => {
  it('wraps the entry and what it requires, directly or through others, and nothing else', () => {
    expect(compileEagerly(bundle())).toBe(bundle(['1', '2', '4']));
  });

  it('refuses a bundle without the module table it expects, rather than leave it lazy unsaid', () => {
    expect(() => compileEagerly('console.log(1)')).toThrow(/no longer has the module table/);
  });
});
