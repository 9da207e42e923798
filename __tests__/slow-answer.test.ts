// A plain step whose answer took 70 s, with a true Date stamped as the request arrived: that is
// latency, not clock skew, and the step must not say the runner's clock is a minute ahead. The
// step's clocks jump 70 s while KlearStack answers, so the test takes milliseconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import nock from 'nock';
import { readInputs } from '../src/inputs.ts';
import { main } from '../src/main.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';
import { recordingKit, stepDeps } from './helpers/recording-kit.ts';

const ROOT = 'https://klear.example';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'klear-slow-'));
  nock.disableNetConnect();
});
// nock patches node:http for the whole worker process, which later test files share.
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  nock.enableNetConnect();
  nock.restore();
});

it('a true Date on an answer that took 70 s gives no skew warning', async () => {
  let elapsedMs = 0;
  nock(ROOT)
    .post('/access/klearstack/getaccesstokenfromrefreshtoken')
    .reply(() => {
      // KlearStack stamps Date as it answers; the body then takes 70 s to reach the runner.
      const date = new Date().toUTCString();
      elapsedMs = 70_000;
      const token = fakeJwt({ token_type: 'access', exp: nowSeconds() + 900 });
      return [200, { access_token: token, release_version: '7.8.9' }, { Date: date }];
    });
  const values: Record<string, string> = {
    'base-url': ROOT,
    'company-name': 'acme',
    'env-name': 'KLEAR_ACCESS_TOKEN',
    'timeout-seconds': '30',
    'max-attempts': '1',
    'refresh-interval': '10m',
    'refresh-token': fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 86_400 })
  };
  const inputs = readInputs({ get: name => values[name] ?? '', mask: () => {}, warn: () => {} });
  const { kit, calls } = recordingKit();
  const deps = stepDeps(kit, dir);
  deps.clock = {
    wall: () => Date.now() + elapsedMs,
    monotonic: () => performance.now() + elapsedMs
  };

  expect(await main(inputs, deps)).toBe(0);
  expect(calls.filter(([name]) => name === 'warning')).toEqual([]);
});
