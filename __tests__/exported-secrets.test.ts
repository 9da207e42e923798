// Whatever the step writes as a secret (the access-token and refresh-token outputs, the variable
// env-name names) has had its ::add-mask:: first: in the order of the step's own calls, and as the
// runner sees the bundle's log, in both modes, by refresh and by login.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { runAction } from '../dev/runner.ts';
import { startStandIn, type StandIn } from '../dev/stand-in.ts';
import { readInputs } from '../src/inputs.ts';
import { main } from '../src/main.ts';
import { recordingKit, stepDeps } from './helpers/recording-kit.ts';

const SECRET_OUTPUTS = ['access-token', 'refresh-token'];

let standIn: StandIn;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'klear-exported-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  standIn = await startStandIn();
});
afterEach(() => standIn.close());

const byRefresh = () => ({ 'refresh-token': standIn.mintRefreshToken() });
const byLogin = () => ({ username: standIn.username, password: standIn.password });

describe('in the order of the kit calls', () => {
  it.each([
    ['refresh', byRefresh],
    ['login', byLogin]
  ])(
    'by %s: every value set as a secret output or exported was masked before',
    async (_how, credentials) => {
      const values: Record<string, string> = {
        'base-url': standIn.url,
        'company-name': standIn.companyName,
        'env-name': 'KLEAR_ACCESS_TOKEN',
        'timeout-seconds': '5',
        'max-attempts': '1',
        'refresh-interval': '10m',
        ...credentials()
      };
      const inputs = readInputs({
        get: name => values[name] ?? '',
        mask: () => {},
        warn: () => {}
      });
      const { kit, calls } = recordingKit();
      expect(await main(inputs, stepDeps(kit, dir))).toBe(0);
      const written = calls.flatMap(([name, key, value], index) =>
        (name === 'setOutput' && SECRET_OUTPUTS.includes(key)) || name === 'exportVariable'
          ? value
            ? [{ value, index }]
            : []
          : []
      );
      expect(written.length).toBeGreaterThanOrEqual(2);
      for (const { value, index } of written) {
        const masked = calls.findIndex(
          ([name, secret]) => name === 'setSecret' && secret === value
        );
        expect(masked).toBeGreaterThanOrEqual(0);
        expect(masked).toBeLessThan(index);
      }
    }
  );
});

describe('as the runner reads the bundle', () => {
  it.each([
    ['plain', 'refresh', byRefresh],
    ['plain', 'login', byLogin],
    ['run', 'refresh', byRefresh],
    ['run', 'login', byLogin]
  ])(
    '%s mode by %s: every secret output and exported value is a mask the step registered',
    async (mode, _how, credentials) => {
      const result = await runAction({
        inputs: {
          'base-url': standIn.url,
          'company-name': standIn.companyName,
          ...credentials(),
          ...(mode === 'run' ? { run: 'true' } : {})
        },
        secrets: [standIn.password]
      });
      expect(result.exitCode).toBe(0);
      const exported = [
        ...SECRET_OUTPUTS.map(name => result.outputs[name] ?? ''),
        ...Object.values(result.exportedEnv)
      ].filter(Boolean);
      expect(exported.length).toBeGreaterThanOrEqual(2);
      for (const value of exported) expect(result.masks).toContain(value);
      expect(result.leaks).toEqual([]);
    }
  );
});
