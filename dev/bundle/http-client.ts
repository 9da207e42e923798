// Bundled in place of `@actions/http-client`'s main module: see `paths` in tsconfig.json, which ncc
// applies when it bundles. Its subpaths (lib/proxy, lib/auth) are bundled as usual.
//
// The action sends its requests with node:http and node:https (src/transport.ts). The only other
// importer is @actions/core's OIDC client, for core.getIDToken(), which this action never calls.
// HttpClient's module loads node:https, TLS and undici at start-up whatever the URL; if a future
// change does reach it, this says so instead of failing obscurely.
export class HttpClient {
  constructor() {
    throw new Error(
      "@actions/http-client's HttpClient is not bundled in klear-token-action, so core.getIDToken() is unavailable. Remove the @actions/http-client alias from tsconfig.json if the action needs it."
    );
  }
}
