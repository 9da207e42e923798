// dev/eager-start.ts puts in parentheses the module factories that every start of the bundle runs,
// V8's hint to compile them with the script; what only a dynamic import loads must stay lazy.
import { describe, expect, it } from '@jest/globals';
import { compileEagerly } from '../dev/eager-start.ts';

/** ncc's module table: static imports are `require(id)`, dynamic ones `require.bind(…)`. */
const FACTORIES: [string, string][] = [
  ['1', '(e,t,n)=>{n.a(e,async(e,r)=>{var s=n(2);await Promise.resolve().then(n.bind(n,3));r()})}'],
  // The minifier reuses `n` in a function of its own: that call is no require.
  ['2', '(e,t,n)=>{var a=n(4);function f(n){return n(6)}}'],
  ['3', '(e,t,n)=>{var b=n(5);return Promise.resolve().then(n.t.bind(n,4,23))}'],
  ['4', 'e=>{e.exports=require("node:fs")}'],
  ['5', 'e=>{e.exports=require("node:os")}'],
  ['6', 'e=>{e.exports=require("node:tls")}']
];

/** A bundle whose own code is `main`, with the factories of `eager` in parentheses. */
function bundle(main: string, eager: string[] = []): string {
  const table = FACTORIES.map(([id, code]) => `${id}:${eager.includes(id) ? `(${code})` : code}`);
  return [
    `(()=>{"use strict";var e={${table.join(',')}};var t={};`,
    'function __nccwpck_require__(n){return e[n](t,t,__nccwpck_require__)}',
    `${main}})();`
  ].join('');
}

describe('compileEagerly', () => {
  it('wraps the entry module and what it requires, directly or through others, and nothing else', () => {
    const main = 'var n=__nccwpck_require__(1);module.exports=n';
    expect(compileEagerly(bundle(main))).toBe(bundle(main, ['1', '2', '4']));
  });

  it('wraps what an entry webpack inlined requires, and not what it imports dynamically', () => {
    const main =
      'var r=__nccwpck_require__(2);async function k(){await __nccwpck_require__.e(9).then(__nccwpck_require__.bind(__nccwpck_require__,3))}';
    expect(compileEagerly(bundle(main))).toBe(bundle(main, ['2', '4']));
  });

  it('refuses a bundle without the module table it expects, rather than leave it lazy unsaid', () => {
    expect(() => compileEagerly('console.log(1)')).toThrow(/no longer has the module table/);
  });
});
