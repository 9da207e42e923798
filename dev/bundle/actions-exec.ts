// Bundled in place of `@actions/exec`: see `paths` in tsconfig.json, which ncc applies when it
// bundles.
//
// @actions/core 3 imports @actions/exec (and with it @actions/io) only for
// core.platform.getDetails(), which runs `lsb_release`, `sw_vers` or PowerShell to name the OS.
// This action never calls it. If a future change does, this says so instead of failing obscurely.
export function getExecOutput(): Promise<never> {
  return Promise.reject(
    new Error(
      '@actions/exec is not bundled in klear-token-action, so core.platform.getDetails() is unavailable. Remove the @actions/exec alias from tsconfig.json if the action needs it.'
    )
  );
}
