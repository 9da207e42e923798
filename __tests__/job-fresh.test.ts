// Which token klear-token gives (src/job/fresh.ts): the folder's while it has the life run mode
// guarantees, else one new one for any number of callers at once, and the current one when a mint
// fails while it lives. The clock is simulated; the folder and its locks are real.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fakeJwt } from './helpers/jwt.ts';
import { tempDirs } from './helpers/temp-dirs.ts';
import { decodeJwtPayload } from '../dev/stand-in.ts';
import { ActionError } from '../src/errors.ts';
import { JobFolder, type Settings, type TokenRecord } from '../src/job/folder.ts';
import { freshToken, HOLD_FAILURE_MS, isFresh, type FreshDeps } from '../src/job/fresh.ts';
import type { Credentials, Minted } from '../src/mint.ts';

const tempDir = tempDirs('klear-fresh-');

const IAT = 1_800_000_000;
const LIFE_S = 900;
const MINUTE = 60_000;

const settings: Settings = {
  apiRoot: 'https://klear.example',
  timeoutMs: 5_000,
  maxAttempts: 1,
  caCertificate: '',
  envName: 'KLEAR_ACCESS_TOKEN',
  refreshIntervalMs: 60 * MINUTE,
  credentials: {
    refreshToken: 'refresh.from.input',
    accessToken: '',
    companyName: 'acme-corp',
    username: '',
    password: ''
  }
};

const token = (n: number, lifeS = LIFE_S) => fakeJwt({ iat: IAT + n, exp: IAT + n + lifeS, n });
/** A token as minted: KlearStack's Date on its answer is the moment it issued the token. */
const minted = (accessToken: string): Minted => ({
  accessToken,
  releaseVersion: '7.8.9',
  method: 'refresh',
  attempts: 1,
  serverDate: (decodeJwtPayload(accessToken).iat as number) * 1000
});

/** A folder whose token arrived at monotonic 0, and deps on a clock the test moves. */
function setUp(options: { mint?: (credentials: Credentials) => Promise<Minted> } = {}) {
  const folder = JobFolder.create(tempDir());
  folder.writeToken({ minted: minted(token(0)), arrived: { wall: 0, monotonic: 0 }, mints: 1 });
  let now = 0;
  const sent: Credentials[] = [];
  const warnings: string[] = [];
  let count = 1;
  const deps: FreshDeps = {
    folder,
    settings,
    clock: { wall: () => now, monotonic: () => now },
    sleep: ms =>
      new Promise(done => {
        now += ms;
        setImmediate(done);
      }),
    mint:
      options.mint ??
      (async credentials => {
        sent.push(credentials);
        await new Promise(done => setTimeout(done, 20));
        return minted(token(count++));
      }),
    warning: message => warnings.push(message)
  };
  return { deps, folder, sent, warnings, at: (ms: number) => (now = ms) };
}

describe('klear-token’s token', () => {
  it('is the folder’s while three quarters of its life have not passed', async () => {
    const { deps, sent, at } = setUp();
    at((LIFE_S * 1000 * 3) / 4 - 2_000);
    const got = await freshToken(deps);
    expect(got).toMatchObject({ minted: false, record: { mints: 1 } });
    expect(sent).toEqual([]);
  });

  it('is a new one after that, sent with the current token as bearer while it lives', async () => {
    const { deps, folder, sent, at } = setUp();
    at(LIFE_S * 1000 - 60_000);
    const got = await freshToken(deps);
    expect(got.minted).toBe(true);
    expect(got.record.mints).toBe(2);
    expect(got.record.arrived.monotonic).toBe(LIFE_S * 1000 - 60_000);
    expect(sent).toEqual([
      { ...settings.credentials, accessToken: token(0), refreshToken: 'refresh.from.input' }
    ]);
    expect(folder.readToken()).toEqual(got.record);
  });

  it('is minted without the dead token as bearer', async () => {
    const { deps, sent, at } = setUp();
    at(LIFE_S * 1000 + 1);
    await freshToken(deps);
    expect(sent[0].accessToken).toBe('');
  });

  it('is minted once for eight callers at once', async () => {
    const { deps, sent, at } = setUp();
    at(LIFE_S * 1000);
    const all = await Promise.all(Array.from({ length: 8 }, () => freshToken(deps)));
    expect(sent).toHaveLength(1);
    expect(new Set(all.map(got => got.record.minted.accessToken)).size).toBe(1);
    expect(all.filter(got => got.minted)).toHaveLength(1);
  });

  it('is not minted again by a caller that read the old token just before another renewed it', async () => {
    const { deps, folder, sent, at } = setUp();
    at(LIFE_S * 1000);
    const read = folder.readToken.bind(folder);
    let reads = 0;
    folder.readToken = () => {
      const record = read();
      // Between this caller's first read and its claim, another renews the token and releases
      // its lock (as a process taken off the CPU there sees it: CI's eight-caller step did).
      if (reads++ === 0) {
        const arrived = { wall: LIFE_S * 1000, monotonic: LIFE_S * 1000 };
        folder.writeToken({ minted: minted(token(7)), arrived, mints: 2 });
        folder.release(1);
      }
      return record;
    };
    const got = await freshToken(deps);
    expect(sent).toEqual([]);
    expect(got).toMatchObject({ minted: false, record: { mints: 2 } });
    expect(got.record.minted.accessToken).toBe(token(7));
    expect(readdirSync(folder.dir).filter(name => name.startsWith('lock-'))).toEqual([]);
  });

  it('keeps the refresh token a login returned for the mints after it', async () => {
    const login = { ...minted(token(1)), method: 'login' as const, refreshToken: 'from.login.x' };
    const results = [login, minted(token(2))];
    const sent: Credentials[] = [];
    const { deps, at } = setUp({
      mint: async credentials => {
        sent.push(credentials);
        return results.shift() as Minted;
      }
    });
    at(LIFE_S * 1000);
    await freshToken(deps);
    at(LIFE_S * 2000 + 1);
    const second = await freshToken(deps);
    expect(sent[1].refreshToken).toBe('from.login.x');
    expect(second.record.minted.refreshToken).toBe('from.login.x');
  });

  describe('when the mint fails', () => {
    const failing = () =>
      setUp({
        mint: () => Promise.reject(new ActionError('KlearStack answered 503. Try again later.'))
      });

    it('is the current one while it lives, with a warning that says so', async () => {
      const { deps, warnings, at } = failing();
      at(LIFE_S * 1000 - 30_000);
      const got = await freshToken(deps);
      expect(got).toMatchObject({ minted: false, record: { mints: 1 } });
      expect(warnings).toEqual([
        expect.stringMatching(
          /^Could not get a new KlearStack access token: KlearStack answered 503\. Try again later\. Gave the current one, which has 29 s left; the next call tries again\.$/
        )
      ]);
    });

    it('is the failure once the current one has died', async () => {
      const { deps, at } = failing();
      at(LIFE_S * 1000);
      await expect(freshToken(deps)).rejects.toThrow('KlearStack answered 503.');
    });

    it('is not tried again by callers within the hold, and is after it', async () => {
      let calls = 0;
      const { deps, at } = setUp({
        mint: () => {
          calls++;
          return Promise.reject(new ActionError('KlearStack answered 503.'));
        }
      });
      at(LIFE_S * 1000 - 100_000);
      await freshToken(deps);
      at(LIFE_S * 1000 - 100_000 + HOLD_FAILURE_MS - 1);
      await freshToken(deps);
      expect(calls).toBe(1);
      at(LIFE_S * 1000 - 100_000 + HOLD_FAILURE_MS);
      await freshToken(deps);
      expect(calls).toBe(2);
    });
  });

  it('has, whenever it is given as fresh, a quarter of its life (at most two minutes) left', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 30, max: 86_400 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        (lifeS, now) => {
          const record: TokenRecord = {
            minted: minted(token(0, lifeS)),
            arrived: { wall: 0, monotonic: 0 },
            mints: 1
          };
          if (!isFresh(record, now, Infinity)) return;
          // The model takes a second off the stated life (exp and iat are whole seconds).
          const left = lifeS * 1000 - 1000 - now;
          expect(left).toBeGreaterThanOrEqual(
            Math.min(((lifeS * 1000 - 1000) * 1) / 4, 2 * MINUTE)
          );
        }
      )
    );
  });
});
