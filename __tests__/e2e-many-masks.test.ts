// Run mode with a command that masks thousands of values of its own, end to end: the bundled action
// under the runner emulator against the KlearStack stand-in. The scrubber's work for each line of
// output must not grow with the number of masked values so far that the refreshes fall behind.
import { afterEach, describe, expect, it } from '@jest/globals';
import { runAction } from '../dev/runner.ts';
import { startStandIn } from '../dev/stand-in.ts';
import type { StandIn } from '../dev/stand-in.ts';

const opened: StandIn[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map(standIn => standIn.close()));
});

/**
 * Masks HOT, then 3,000 short values of its own on stderr, then prints HOT alone on each of 64,000
 * lines (512 KB), and says how long the token it then reads has left.
 */
const COMMAND = `
const fs = require('fs');
fs.writeSync(2, '::add-mask::' + process.env.HOT + '\\n');
for (let i = 0; i < 3000; i++) fs.writeSync(2, '::add-mask::q' + String(i).padStart(5, '0') + 'x\\n');
const lines = (process.env.HOT + '\\n').repeat(200);
for (let i = 0; i < 320; i++) fs.writeSync(1, lines);
const token = fs.readFileSync(process.env.KLEAR_ACCESS_TOKEN_FILE, 'utf8');
const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp;
fs.writeSync(2, 'token left ' + Math.round(exp - Date.now() / 1000) + ' s\\n');`;

describe('run mode with thousands of masked values', () => {
  it('keeps the token fresh while the command prints a value it masked on every line, after masking 3,000 more', async () => {
    const issued: string[] = [];
    const standIn = await startStandIn({
      secret: 'many-masks-signing-key',
      accessTtlSeconds: 15,
      onRequest: request => {
        for (const token of [request.issuedAccessToken, request.issuedRefreshToken]) {
          if (token) issued.push(token);
        }
      }
    });
    opened.push(standIn);

    const result = await runAction({
      timeoutMs: 100_000,
      secrets: issued,
      env: { COMMAND, HOT: 'hot1234' },
      inputs: {
        'base-url': standIn.url,
        'company-name': standIn.companyName,
        'max-attempts': '1',
        'refresh-token': standIn.mintRefreshToken({ expiresIn: 86400 }),
        'refresh-interval': '2s',
        run: 'node -e "$COMMAND"'
      }
    });

    expect(result.exitCode).toBe(0);
    expect(result.leaks).toEqual([]);
    expect(result.log).not.toContain('hot1234');
    expect(result.errors.filter(error => error.includes('has expired'))).toEqual([]);
    const left = Number(/token left (-?\d+) s/.exec(result.log)?.[1]);
    expect(left).toBeGreaterThan(0);
  }, 120_000);
});
