// Bundled in place of `tunnel`: see `paths` in tsconfig.json, which ncc applies when it bundles.
//
// @actions/http-client builds its proxy agents with `tunnel`, which requires `assert` (and never
// uses it) when it loads: a millisecond on every run, most of which have no proxy. This forwards
// each agent factory to the real tunnel, bundled as usual but evaluated only when http-client first
// creates a proxy agent. CommonJS because the bundler evaluates a require()d module only when the
// require() runs; the deep path keeps the alias from matching itself.
/* eslint-disable @typescript-eslint/no-require-imports */
/* global require, exports */
'use strict';

const load = () => require('tunnel/lib/tunnel.js');

exports.httpOverHttp = options => load().httpOverHttp(options);
exports.httpsOverHttp = options => load().httpsOverHttp(options);
exports.httpOverHttps = options => load().httpOverHttps(options);
exports.httpsOverHttps = options => load().httpsOverHttps(options);
