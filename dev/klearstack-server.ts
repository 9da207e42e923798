// `npm run klearstack -- [--port N] [--root PATH] [--access-ttl S] [--refresh-ttl S] [--iat copied|own]
//   [--refresh-needs-bearer] [--session-first] [--stored-age S] [--write-env PATH]`: the reference
// KlearStack (Django, DRF, SimpleJWT under gunicorn; dev/klearstack.ts) for trying the action by
// hand. Prints the connection values as `npm run fake-server` does; --stored-age issues the printed
// refresh token that many seconds in the past, as a token stored in a secret long ago.
import { parseArgs } from 'node:util';
import { handOver, wholeNumber } from './cli.ts';
import { startKlearStack } from './klearstack.ts';

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      root: { type: 'string' },
      'access-ttl': { type: 'string' },
      'refresh-ttl': { type: 'string' },
      iat: { type: 'string', default: 'copied' },
      'refresh-needs-bearer': { type: 'boolean', default: false },
      'session-first': { type: 'boolean', default: false },
      'stored-age': { type: 'string', default: '0' },
      'write-env': { type: 'string' }
    }
  });
  if (values.iat !== 'copied' && values.iat !== 'own') {
    throw new Error(
      `--iat must be copied (SimpleJWT before 5.5) or own (5.5 on), got "${values.iat}".`
    );
  }
  const klear = await startKlearStack(
    {
      root: values.root,
      accessLifetime: wholeNumber('access-ttl', values['access-ttl']),
      refreshLifetime: wholeNumber('refresh-ttl', values['refresh-ttl']),
      iat: values.iat,
      refreshNeedsBearer: values['refresh-needs-bearer'],
      sessionFirst: values['session-first'],
      // Two sync workers, as a small deployment would run; the tests use one.
      workers: 2
    },
    wholeNumber('port', values.port)
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void klear.close());
  }
  const [refreshToken, accessToken] = await klear.mint([
    { kind: 'refresh', ageSeconds: wholeNumber('stored-age', values['stored-age']) },
    { kind: 'access' }
  ]);
  console.error(
    `Reference KlearStack (Django, DRF, SimpleJWT, gunicorn) at ${klear.url}; ` +
      `GET ${klear.url}/api/v1/ping wants a bearer (Ctrl-C to stop)`
  );
  handOver(
    {
      KLEAR_BASE_URL: klear.url,
      KLEAR_COMPANY_NAME: klear.user.company,
      KLEAR_REFRESH_TOKEN: refreshToken ?? '',
      KLEAR_ACCESS_TOKEN: accessToken ?? '',
      KLEAR_USERNAME: klear.user.username,
      KLEAR_PASSWORD: klear.user.password
    },
    values['write-env']
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
