// `npm run fake-server -- [--port N] [--host H] [--prefix /p] [--access-ttl S] [--refresh-ttl S]
//   [--require-bearer] [--write-env PATH]`: a KlearStack stand-in for trying the action by hand or in
// a workflow (pass --write-env "$GITHUB_ENV" so later steps get the connection values).
import { parseArgs } from 'node:util';
import { handOver, wholeNumber } from './cli.ts';
import { startStandIn } from './stand-in.ts';

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string' },
      prefix: { type: 'string' },
      'access-ttl': { type: 'string' },
      'refresh-ttl': { type: 'string' },
      'require-bearer': { type: 'boolean', default: false },
      'write-env': { type: 'string' }
    }
  });
  const standIn = await startStandIn({
    port: wholeNumber('port', values.port),
    host: values.host,
    prefix: values.prefix,
    accessTtlSeconds: wholeNumber('access-ttl', values['access-ttl']),
    refreshTtlSeconds: wholeNumber('refresh-ttl', values['refresh-ttl']),
    requireBearer: values['require-bearer'],
    // Method, endpoint and status only: paths, fields and headers can carry secrets.
    onRequest: ({ method, endpoint, status }) =>
      console.error(`${method} ${endpoint} ${status === 0 ? 'no answer' : status}`)
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void standIn.close());
  }

  console.error(`KlearStack stand-in listening on ${standIn.url} (Ctrl-C to stop)`);
  handOver(
    {
      KLEAR_BASE_URL: standIn.url,
      KLEAR_COMPANY_NAME: standIn.companyName,
      KLEAR_REFRESH_TOKEN: standIn.mintRefreshToken(),
      KLEAR_ACCESS_TOKEN: standIn.mintAccessToken(),
      KLEAR_USERNAME: standIn.username,
      KLEAR_PASSWORD: standIn.password
    },
    values['write-env']
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
