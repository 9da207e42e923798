// Run first by `npm ci` (as preinstall) and by the npm scripts that run our TypeScript: they need the
// Node that package.json's engines names, and an older Node fails with errors that do not say so
// (ERR_UNKNOWN_FILE_EXTENSION ".ts"). CommonJS and old syntax on purpose: it must run on the Node it
// refuses.
'use strict';
var wanted = Number(/\d+/.exec(require('../package.json').engines.node)[0]);
var major = Number(process.versions.node.split('.')[0]);
if (major < wanted) {
  process.stderr.write(
    'This repository needs Node ' +
      wanted +
      ' or later, and this is Node ' +
      process.version +
      ': fetch Node ' +
      wanted +
      ' and put it first on PATH with\n' +
      '  export PATH="$(dirname "$(npx -y node@' +
      wanted +
      ' -p process.execPath)"):$PATH"\n' +
      'then run the command again.\n'
  );
  process.exit(1);
}
