// Bundled in place of `undici`: see `paths` in tsconfig.json, which ncc applies when it bundles.
//
// @actions/http-client 4 imports undici at the top of its index for one method,
// HttpClient.getAgentDispatcher(), which builds a fetch dispatcher for a proxy. Nothing in this
// action calls it, and neither does @actions/core (its OIDC client goes through requestRaw, like
// ours). Requests, proxied or not, go through node:http and `tunnel`, which stay bundled. Loading
// undici was most of the step's start-up time and 0.9 MB of the bundle; if a future change does
// reach it, this says so instead of failing obscurely.
export class ProxyAgent {
  constructor() {
    throw new Error(
      'undici is not bundled in klear-token-action, so HttpClient.getAgentDispatcher() is unavailable. Remove the undici alias from tsconfig.json if the action needs it.'
    );
  }
}
