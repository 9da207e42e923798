import { describe, expect, it } from '@jest/globals';
import type { Grant } from '../src/client.ts';
import { ActionError } from '../src/errors.ts';
import { expiryWarnings, mint, type Credentials, type MintDeps } from '../src/mint.ts';
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

describe('expiry warnings', () => {
  it('warns about an access-token input that has already expired', () => {
    const warnings = expiryWarnings(
      creds({ accessToken: fakeJwt({ exp: nowSeconds() - 60 }) }),
      Date.now()
    );
    expect(warnings).toEqual([
      expect.stringMatching(/access-token input expired at .*trying anyway/)
    ]);
  });

  it('warns with the time left when the refresh token expires within 24 hours', () => {
    const soon = fakeJwt({ token_type: 'refresh', exp: nowSeconds() + 5 * 3600 + 30 });
    expect(expiryWarnings(creds({ refreshToken: soon }), Date.now())).toEqual([
      expect.stringMatching(/refresh token expires in 5 h \(at/)
    ]);
  });

  it('is silent for tokens with time to spare, and for opaque tokens', () => {
    expect(
      expiryWarnings(creds({ refreshToken: valid, accessToken: 'opaque-token' }), Date.now())
    ).toEqual([]);
  });
});

describe("run mode's refreshes: KlearStack judges", () => {
  const bearerExpired = new ActionError('bearer expired (HTTP 401)', {
    status: 401,
    bearerExpired: true
  });

  it('sends the refresh token whatever its exp says by the runner clock', async () => {
    const { client, calls } = fakeClient(ok);
    const { d } = deps(client);
    await mint(creds({ refreshToken: expired }), { ...d, klearStackJudges: true });
    expect(calls).toEqual([`refresh:${expired.slice(-6)}`]);
  });

  it('retries once at once without a bearer KlearStack says has expired', async () => {
    const bearers: (string | undefined)[] = [];
    const client = {
      refresh: async (r: { accessToken?: string }) => {
        bearers.push(r.accessToken);
        if (r.accessToken) throw bearerExpired;
        return ok();
      },
      login: async () => ok()
    };
    const { d } = deps(client);
    const minted = await mint(creds({ refreshToken: valid, accessToken: 'old-bearer' }), {
      ...d,
      policy: { ...d.policy, maxAttempts: 1 },
      klearStackJudges: true
    });
    expect(minted.method).toBe('refresh');
    expect(bearers).toEqual(['old-bearer', '']);
  });

  it('does not retry other 401s without the bearer, and plain mode never does', async () => {
    const calls: (string | undefined)[] = [];
    const failing = (error: ActionError) => ({
      refresh: async (r: { accessToken?: string }) => {
        calls.push(r.accessToken);
        throw error;
      },
      login: async () => ok()
    });
    const { d } = deps(failing(new ActionError('invalid (HTTP 401)', { status: 401 })));
    const request = creds({ refreshToken: valid, accessToken: 'old-bearer' });
    await expect(mint(request, { ...d, klearStackJudges: true })).rejects.toThrow(/invalid/);
    expect(calls).toEqual(['old-bearer']);
    calls.length = 0;
    const plain = deps(failing(bearerExpired)).d;
    await expect(
      mint(request, { ...plain, policy: { ...plain.policy, maxAttempts: 1 } })
    ).rejects.toThrow(/bearer expired/);
    expect(calls).toEqual(['old-bearer']);
  });
});
