// The bundled action in plain mode against a raw KlearStack answer whose token time is the point:
// a token already dead by KlearStack's own clock, and the Date header's forms read in a time zone
// that is not UTC. A raw server, because the stand-in issues only living tokens with IMF dates.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { runAction } from '../dev/runner.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';

/** What the answer says: its access token's exp, and its Date header (none when undefined). */
interface Answer {
  exp: number;
  date?: string;
}

/** Runs the action against a server answering every request with `answer()`, then stops it. */
async function runAgainst(answer: () => Answer, env: Record<string, string> = {}) {
  let accessToken = '';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const { exp, date } = answer();
      accessToken = fakeJwt({ token_type: 'access', exp, jti: 'e2e-token-time' });
      response.sendDate = false;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (date !== undefined) headers.date = date;
      response.writeHead(200, headers);
      response.end(JSON.stringify({ access_token: accessToken, release_version: '7.8.9' }));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const result = await runAction({
      inputs: {
        'base-url': `http://127.0.0.1:${port}`,
        'refresh-token': fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 86_400 }),
        'company-name': 'acme'
      },
      env
    });
    return { result, accessToken };
  } finally {
    await new Promise<void>(resolve => server.close(() => resolve()));
  }
}

const UNUSABLE =
  /^The KlearStack access token's expiry cannot be used: .+\. It is refreshed at refresh-interval only\.$/;

describe('plain mode: a token dead on arrival', () => {
  it.concurrent.each([
    [
      'exp an hour before a true Date',
      () => ({ exp: nowSeconds() - 3600, date: new Date().toUTCString() }),
      /was not after the moment KlearStack answered/
    ],
    [
      'exp 60 s past by the runner’s clock, and no Date',
      () => ({ exp: nowSeconds() - 60 }),
      /already past its exp by the runner's clock/
    ]
  ])('%s: warns, and expires-at is empty', async (_name, answer, why) => {
    const { result, accessToken } = await runAgainst(answer);
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.outputs['access-token']).toBe(accessToken);
    expect(result.warnings).toEqual([expect.stringMatching(UNUSABLE)]);
    expect(result.warnings[0]).toMatch(why);
    expect(result.outputs['expires-at']).toBe('');
    expect(result.summary).toContain(
      '| Token expires at | not stated by the token, or not usable |'
    );
  });
});

describe("the Date header's forms are GMT, whatever the runner's time zone", () => {
  // "Mon, 07 Dec 2026 13:02:25 GMT" → "Mon Dec  7 13:02:25 2026"
  const asctime = (date: Date) => {
    const [weekday, day, month, year, time] = date.toUTCString().split(/,? /);
    return `${weekday} ${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
  };

  it.concurrent.each([
    ['asctime', (now: Date) => asctime(now)],
    ['IMF-fixdate', (now: Date) => now.toUTCString()]
  ])('a true %s Date with TZ=Asia/Kolkata: no skew warning', async (_form, format) => {
    const exp = nowSeconds() + 900;
    const { result } = await runAgainst(() => ({ exp, date: format(new Date()) }), {
      TZ: 'Asia/Kolkata'
    });
    expect(result.exitCode).toBe(0);
    expect(result.warnings).toEqual([]);
    expect(result.outputs['expires-at']).toBe(new Date(exp * 1000).toISOString());
  });

  it.concurrent.each([['1'], ['2026-12-07']])(
    'Date: %s is no date: no skew warning, and exp is judged by the runner’s clock',
    async date => {
      const exp = nowSeconds() + 900;
      const { result } = await runAgainst(() => ({ exp, date }));
      expect(result.exitCode).toBe(0);
      expect(result.warnings).toEqual([]);
      expect(result.outputs['expires-at']).toBe(new Date(exp * 1000).toISOString());
    }
  );
});
