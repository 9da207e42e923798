import { describe, expect, it } from '@jest/globals';
import type { Grant } from '../src/client.ts';
import { ActionError } from '../src/errors.ts';
import {
  expiryNotes,
  mint,
  REFRESH_EXPIRY_MATTERS_MS,
  type Credentials,
  type MintDeps
} from '../src/mint.ts';
import { DEFAULT_POLICY } from '../src/retry.ts';
import { fakeJwt, nowSeconds } from './helpers/jwt.ts';

const NEW = fakeJwt({ token_type: 'access', exp: nowSeconds() + 900 });
const LOGIN_REFRESH = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 86400 });

function fakeClient(refresh: () => Promise<Grant>) {
  const calls: string[] = [];
  const client = {
    refresh: (r: { refreshToken: string }) => {
      calls.push(`refresh:${r.refreshToken.slice(-6)}`);
      return refresh();
    },
    login: async () => {
      calls.push('login');
      return { accessToken: NEW, refreshToken: LOGIN_REFRESH, releaseVersion: '7.8.9' };
    }
  };
  return { client, calls };
}

function deps(client: MintDeps['client']) {
  const log: string[] = [];
  const d: MintDeps = {
    client,
    policy: { ...DEFAULT_POLICY, maxAttempts: 3 },
    retry: { sleep: async () => {}, random: () => 0 },
    info: m => log.push(`info:${m}`),
    warning: m => log.push(`warning:${m}`),
    now: Date.now
  };
  return { d, log };
}

const creds = (over: Partial<Credentials>): Credentials => ({
  refreshToken: '',
  accessToken: '',
  companyName: 'acme',
  username: '',
  password: '',
  ...over
});

const valid = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 3 * 86400 });
const expired = fakeJwt({ token_type: 'refresh', exp: nowSeconds() - 3600 });
const ok = async (): Promise<Grant> => ({ accessToken: NEW, releaseVersion: '7.8.9' });
const rejected = async (): Promise<Grant> => {
  throw new ActionError('rejected (HTTP 401)', { status: 401 });
};

describe('minting a token', () => {
  it('refreshes when a valid refresh token is given', async () => {
    const { client, calls } = fakeClient(ok);
    const minted = await mint(creds({ refreshToken: valid }), deps(client).d);
    expect(minted).toMatchObject({ method: 'refresh', attempts: 1, accessToken: NEW });
    expect(calls).toEqual([`refresh:${valid.slice(-6)}`]);
  });

  it('logs in when only username and password are given', async () => {
    const { client, calls } = fakeClient(ok);
    const minted = await mint(creds({ username: 'svc', password: 'pw' }), deps(client).d);
    expect(minted).toMatchObject({ method: 'login', refreshToken: LOGIN_REFRESH });
    expect(calls).toEqual(['login']);
  });

  it('a login that fails after a rejected refresh counts every request of the step in its error', async () => {
    const answers = [
      new ActionError('No complete answer.', { retryable: true }),
      new ActionError('No complete answer.', { retryable: true }),
      new ActionError('rejected (HTTP 401)', { status: 401 })
    ];
    const client = {
      refresh: async (): Promise<Grant> => {
        throw answers.shift();
      },
      login: async (): Promise<Grant> => {
        throw new ActionError('No complete answer from the login.', { retryable: true });
      }
    };
    const error = (await mint(
      creds({ refreshToken: valid, username: 'svc', password: 'pw' }),
      deps(client).d
    ).catch((caught: unknown) => caught)) as ActionError;
    expect(error.message).toMatch(
      /^No complete answer from the login\. \(gave up after 3 attempts in [\d.]+ s; max-attempts is 3\) With the refresh before it \(3 requests\), the step made 6 requests in [\d.]+ s \(max-attempts bounds the refresh and the login each\)\.$/
    );
  });

  it('a login with no refresh before it says only its own count', async () => {
    const client = {
      refresh: ok,
      login: async (): Promise<Grant> => {
        throw new ActionError('No complete answer.', { retryable: true });
      }
    };
    const error = (await mint(creds({ username: 'svc', password: 'pw' }), deps(client).d).catch(
      (caught: unknown) => caught
    )) as ActionError;
    expect(error.message).not.toContain('the step made');
  });

  it('falls back to login when the refresh is rejected with 401 and credentials were given', async () => {
    const { client, calls } = fakeClient(rejected);
    const { d, log } = deps(client);
    const minted = await mint(creds({ refreshToken: valid, username: 'svc', password: 'pw' }), d);
    expect(minted.method).toBe('login');
    expect(minted.attempts).toBe(2);
    expect(calls).toEqual([`refresh:${valid.slice(-6)}`, 'login']);
    expect(log).toContain(
      'warning:KlearStack rejected the refresh (HTTP 401); logging in with the service account instead.'
    );
  });

  it('fails with the 401 when there is nothing to fall back to', async () => {
    const { client } = fakeClient(rejected);
    await expect(mint(creds({ refreshToken: valid }), deps(client).d)).rejects.toThrow('HTTP 401');
  });

  it("never sends the service account's login after a gateway's own 401", async () => {
    const { client, calls } = fakeClient(async () => {
      throw new ActionError('a gateway wants its own login (HTTP 401)', {
        status: 401,
        fromGateway: true
      });
    });
    const { d, log } = deps(client);
    await expect(
      mint(creds({ refreshToken: valid, username: 'svc', password: 'pw' }), d)
    ).rejects.toThrow('wants its own login');
    expect(calls).toEqual([`refresh:${valid.slice(-6)}`]);
    expect(log).toEqual([]);
  });

  it('does not fall back to login on errors other than 401', async () => {
    const { client, calls } = fakeClient(async () => {
      throw new ActionError('not found (HTTP 404)', { status: 404 });
    });
    await expect(
      mint(creds({ refreshToken: valid, username: 'svc', password: 'pw' }), deps(client).d)
    ).rejects.toThrow('404');
    expect(calls).not.toContain('login');
  });

  it('never sends an expired refresh token, and says when it expired and how to fix it', async () => {
    const { client, calls } = fakeClient(ok);
    const error = mint(creds({ refreshToken: expired }), deps(client).d);
    await expect(error).rejects.toThrow(
      /refresh token expired at \d{4}-.*Z \(1 h ago\), so it was not sent.*username and password/
    );
    expect(calls).toEqual([]);
  });

  it('logs in instead of sending an expired refresh token when credentials were given', async () => {
    const { client, calls } = fakeClient(ok);
    const { d, log } = deps(client);
    const minted = await mint(creds({ refreshToken: expired, username: 'svc', password: 'pw' }), d);
    expect(minted.method).toBe('login');
    expect(calls).toEqual(['login']);
    expect(log.some(l => l.startsWith('info:The refresh token expired at'))).toBe(true);
  });

  it('sends an input refresh token that expired within the last 5 minutes: KlearStack decides', async () => {
    const { client, calls } = fakeClient(ok);
    const recent = fakeJwt({ token_type: 'refresh', exp: nowSeconds() - 240 });
    await expect(mint(creds({ refreshToken: recent }), deps(client).d)).resolves.toMatchObject({
      method: 'refresh'
    });
    expect(calls).toEqual([`refresh:${recent.slice(-6)}`]);
  });

  it('does not send one that expired more than 5 minutes ago', async () => {
    const { client, calls } = fakeClient(ok);
    const old = fakeJwt({ token_type: 'refresh', exp: nowSeconds() - 400 });
    await expect(mint(creds({ refreshToken: old }), deps(client).d)).rejects.toThrow(
      /expired at .* \(6 min ago\), so it was not sent/
    );
    expect(calls).toEqual([]);
  });

  it('retries a transient failure of the refresh', async () => {
    let n = 0;
    const { client } = fakeClient(async () => {
      if (n++ === 0) throw new ActionError('down (HTTP 503)', { status: 503, retryable: true });
      return ok();
    });
    await expect(mint(creds({ refreshToken: valid }), deps(client).d)).resolves.toMatchObject({
      attempts: 2
    });
  });
});

describe('expiry notes', () => {
  const noted = (over: Partial<Credentials>) => expiryNotes(creds(over), Date.now());

  it('warns about an access-token input that has already expired', () => {
    expect(noted({ accessToken: fakeJwt({ exp: nowSeconds() - 60 }) })).toEqual([
      {
        warning: true,
        text: expect.stringMatching(/access-token input expired at .*trying anyway/)
      }
    ]);
  });

  it('says a refresh token that lives a day as information, not a warning', () => {
    const day = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 23 * 3600 + 59 * 60 + 30 });
    expect(noted({ refreshToken: day })).toEqual([
      {
        warning: false,
        text: expect.stringMatching(/^The refresh token expires in 23 h 59 min \(at .*Z\)\.$/)
      }
    ]);
  });

  it('warns when the refresh token expires within the 6 hours a job can run', () => {
    const soon = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 5 * 3600 + 30 });
    expect(REFRESH_EXPIRY_MATTERS_MS).toBe(6 * 3600_000);
    expect(noted({ refreshToken: soon })).toEqual([
      {
        warning: true,
        text: expect.stringMatching(
          /^The refresh token expires in 5 h \(at .*within the 6 hours a job can run/
        )
      }
    ]);
  });

  it('only informs about a refresh token expiring soon when a service account can log in', () => {
    const soon = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 3600 + 30 });
    expect(noted({ refreshToken: soon, username: 'svc', password: 'pw' })).toEqual([
      { warning: false, text: expect.stringMatching(/^The refresh token expires in 1 h \(at/) }
    ]);
  });

  it('says nothing of opaque tokens, or of a refresh token already expired (mint says that)', () => {
    expect(noted({ refreshToken: 'opaque-refresh-token', accessToken: 'opaque-token' })).toEqual(
      []
    );
    expect(noted({ refreshToken: expired })).toEqual([]);
  });
});

describe('a bearer KlearStack refuses', () => {
  const bearerRefused = new ActionError('bearer refused (HTTP 401)', {
    status: 401,
    refused: 'bearer'
  });
  const needsBearer = new ActionError('needs a bearer (HTTP 403)', {
    status: 403,
    refused: 'needs-bearer'
  });

  /** A refresh endpoint that refuses every bearer, and answers `withoutBearer` to a request without. */
  function endpoint(withoutBearer: () => Promise<Grant>) {
    const calls: string[] = [];
    const client = {
      refresh: async (r: { accessToken?: string }) => {
        calls.push(r.accessToken ? `refresh+bearer` : 'refresh');
        if (r.accessToken) throw bearerRefused;
        return withoutBearer();
      },
      login: async () => {
        calls.push('login');
        return { accessToken: NEW, refreshToken: LOGIN_REFRESH, releaseVersion: '7.8.9' };
      }
    };
    return { client, calls };
  }
  const once = (d: MintDeps, judges: boolean): MintDeps => ({
    ...d,
    policy: { ...d.policy, maxAttempts: 1 },
    klearStackJudges: judges
  });

  it.each([
    ['plain mode', false],
    ['run mode', true]
  ])('%s: the refresh is sent once more without it (AllowAny)', async (_mode, judges) => {
    const { client, calls } = endpoint(ok);
    const { d, log } = deps(client);
    const minted = await mint(
      creds({ refreshToken: valid, accessToken: 'old-bearer' }),
      once(d, judges)
    );
    expect(minted.method).toBe('refresh');
    expect(calls).toEqual(['refresh+bearer', 'refresh']);
    // The user gave that bearer in plain mode: worth a warning; run mode's own died, nothing to do.
    expect(log).toEqual(
      judges
        ? []
        : [
            expect.stringMatching(
              /^warning:KlearStack rejected the access-token input as expired or invalid \(HTTP 401\); refreshing without it\.$/
            )
          ]
    );
  });

  it('where the endpoint then wants a valid bearer, the service account logs in', async () => {
    const { client, calls } = endpoint(() => Promise.reject(needsBearer));
    const { d, log } = deps(client);
    const minted = await mint(
      creds({ refreshToken: valid, accessToken: 'old-bearer', username: 'svc', password: 'pw' }),
      once(d, true)
    );
    expect(minted.method).toBe('login');
    expect(calls).toEqual(['refresh+bearer', 'refresh', 'login']);
    expect(log).toEqual([
      "warning:KlearStack's refresh endpoint requires a valid access token and there is none (HTTP 403); logging in with the service account instead."
    ]);
  });

  it.each([
    ['plain mode', false, /, or a living access token in access-token\.$/],
    ['run mode', true, /log in\.$/]
  ])(
    '%s without a service account: says the access token has expired and only a login recovers',
    async (_mode, judges, tail) => {
      const { client, calls } = endpoint(() => Promise.reject(needsBearer));
      const { d } = deps(client);
      const error = await mint(
        creds({ refreshToken: valid, accessToken: 'old-bearer' }),
        once(d, judges)
      ).catch(e => e);
      expect(calls).toEqual(['refresh+bearer', 'refresh']);
      expect(error).toBeInstanceOf(ActionError);
      expect(error.message).toMatch(
        /^The access token sent as the bearer has expired or is invalid, and KlearStack's refresh endpoint requires a valid one \(HTTP 403 without it\), so only a login can get a new token\. Give username and password/
      );
      expect(error.message).toMatch(tail);
      expect(error.refused).toBe('needs-bearer');
    }
  );

  it('run mode, its token dead and no bearer sent: says the token expired, not that an input is missing', async () => {
    const client = { refresh: () => Promise.reject(needsBearer), login: async () => ok() };
    const { d } = deps(client);
    await expect(mint(creds({ refreshToken: valid }), once(d, true))).rejects.toThrow(
      /^The access token has expired, and KlearStack's refresh endpoint requires a valid one \(HTTP 403 without it\), so only a login can get a new token\./
    );
  });

  it('sends the refresh token whatever its exp says by the runner clock, in run mode', async () => {
    const { client, calls } = fakeClient(ok);
    const { d } = deps(client);
    await mint(creds({ refreshToken: expired }), { ...d, klearStackJudges: true });
    expect(calls).toEqual([`refresh:${expired.slice(-6)}`]);
  });

  describe('once refused, the bearer is never sent again by that step', () => {
    const timedOut = () =>
      Promise.reject(
        new ActionError('No complete answer from klear.example within 5 s.', { retryable: true })
      );

    it('a retried refresh sends it in the first attempt only, and its error counts every request', async () => {
      const { client, calls } = endpoint(timedOut);
      const { d } = deps(client);
      const error = await mint(creds({ refreshToken: valid, accessToken: 'old-bearer' }), d).catch(
        e => e
      );
      expect(calls).toEqual(['refresh+bearer', 'refresh', 'refresh', 'refresh']);
      expect(error.message).toMatch(
        /\(gave up after 3 attempts in \d+\.\d s; max-attempts is 3\) \(4 requests: the first attempt was sent once more without the bearer KlearStack refused\)$/
      );
    });

    it('and the login after it counts them too', async () => {
      const { client, calls } = endpoint(timedOut);
      const failingLogin = { ...client, login: async () => timedOut() };
      const { d } = deps(failingLogin);
      const error = await mint(
        creds({ refreshToken: valid, accessToken: 'old-bearer', username: 'svc', password: 'pw' }),
        d
      ).catch(e => e);
      // A timeout is no refusal: the step does not log in, and says the refresh's 4 requests.
      expect(calls).toEqual(['refresh+bearer', 'refresh', 'refresh', 'refresh']);
      expect(error.message).toMatch(/\(4 requests: /);
    });

    it('where the endpoint then wants a bearer on a later attempt, says only a login recovers', async () => {
      let answers = 0;
      const { client, calls } = endpoint(() =>
        answers++ ? Promise.reject(needsBearer) : timedOut()
      );
      const { d } = deps(client);
      await expect(
        mint(creds({ refreshToken: valid, accessToken: 'old-bearer' }), d)
      ).rejects.toThrow(/^The access token sent as the bearer has expired or is invalid/);
      expect(calls).toEqual(['refresh+bearer', 'refresh', 'refresh']);
    });

    it('run mode: each refresh starts with its bearer again (the refresher decides it)', async () => {
      const { client, calls } = endpoint(ok);
      const { d } = deps(client);
      const request = creds({ refreshToken: valid, accessToken: 'old-bearer' });
      await mint(request, once(d, true));
      await mint(request, once(d, true));
      expect(calls).toEqual(['refresh+bearer', 'refresh', 'refresh+bearer', 'refresh']);
    });
  });

  it('does not retry other refusals without the bearer', async () => {
    const calls: (string | undefined)[] = [];
    const client = {
      refresh: async (r: { accessToken?: string }) => {
        calls.push(r.accessToken);
        throw new ActionError('invalid (HTTP 401)', { status: 401, refused: 'credentials' });
      },
      login: async () => ok()
    };
    const { d } = deps(client);
    const request = creds({ refreshToken: valid, accessToken: 'old-bearer' });
    await expect(mint(request, { ...d, klearStackJudges: true })).rejects.toThrow(/invalid/);
    expect(calls).toEqual(['old-bearer']);
  });

  it('logs in after a refresh token KlearStack refuses with 403 (SessionAuthentication first)', async () => {
    const client = {
      refresh: () =>
        Promise.reject(
          new ActionError('refused (HTTP 403)', { status: 403, refused: 'credentials' })
        ),
      login: async () => ok()
    };
    const { d, log } = deps(client);
    const minted = await mint(creds({ refreshToken: valid, username: 'svc', password: 'pw' }), d);
    expect(minted.method).toBe('login');
    expect(log).toEqual([
      'warning:KlearStack rejected the refresh (HTTP 403); logging in with the service account instead.'
    ]);
  });
});
