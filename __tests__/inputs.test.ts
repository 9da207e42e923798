import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../src/errors.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RESERVED_ENV } from '../src/env-names.ts';
import {
  DEFAULT_REFRESH_INTERVAL,
  parseDuration,
  readInputs,
  type InputSource
} from '../src/inputs.ts';
import { readmeReservedEnv } from './helpers/readme-env-names.ts';

const VALID: Record<string, string> = {
  'base-url': 'https://api.example.com',
  'refresh-token': 'header.payload.signature',
  'company-name': 'acme',
  'access-token': '',
  username: '',
  password: '',
  'env-name': 'KLEAR_ACCESS_TOKEN',
  'timeout-seconds': '30',
  'max-attempts': '3',
  run: '',
  'refresh-interval': '10m',
  'working-directory': ''
};

function source(overrides: Record<string, string> = {}) {
  const events: string[] = [];
  const values = { ...VALID, ...overrides };
  const src: InputSource = {
    get: name => {
      events.push(`get:${name}`);
      return values[name] ?? '';
    },
    mask: value => events.push(`mask:${value}`),
    warn: message => events.push(`warn:${message}`)
  };
  return { src, events };
}

function failure(overrides: Record<string, string>): string {
  try {
    readInputs(source(overrides).src);
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    return (error as Error).message;
  }
  throw new Error('expected readInputs to fail');
}

describe('reading inputs', () => {
  it('trims every input, since secrets pasted with a trailing newline are the commonest mistake', () => {
    const inputs = readInputs(
      source({ 'refresh-token': '  header.payload.signature\n', 'company-name': ' acme\n' }).src
    );
    expect(inputs.refreshToken).toBe('header.payload.signature');
    expect(inputs.companyName).toBe('acme');
  });

  it('masks every secret input before any validation can fail', () => {
    const { src, events } = source({
      'access-token': 'access.token.value',
      username: 'svc-user',
      password: 'hunter2-long',
      'base-url': 'not a url'
    });
    expect(() => readInputs(src)).toThrow(ActionError);
    const masks = events.filter(e => e.startsWith('mask:'));
    expect(masks).toEqual([
      'mask:header.payload.signature',
      'mask:access.token.value',
      'mask:svc-user',
      'mask:hunter2-long'
    ]);
    const lastMask = events.lastIndexOf('mask:hunter2-long');
    expect(events.indexOf('get:base-url')).toBeGreaterThan(lastMask);
  });

  it('derives the API root from a root with a prefix and a trailing slash', () => {
    expect(readInputs(source({ 'base-url': 'https://host.example/api/v2/' }).src).apiRoot).toBe(
      'https://host.example/api/v2'
    );
  });

  it('accepts a base-url that already ends with the endpoint path', () => {
    const url = 'https://host.example/p/access/klearstack/getaccesstokenfromrefreshtoken';
    expect(readInputs(source({ 'base-url': url }).src).apiRoot).toBe('https://host.example/p');
  });

  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:9', 'http://localhost:9'],
    ['http://[::1]:9/', 'http://[::1]:9']
  ])('allows plain http for the loopback host %s', (url, root) => {
    expect(readInputs(source({ 'base-url': url }).src).apiRoot).toBe(root);
  });

  it('refuses plain http to a remote host', () => {
    expect(failure({ 'base-url': 'http://api.example.com' })).toMatch(/must use https/);
  });

  it('refuses a base-url that is not an absolute URL', () => {
    expect(failure({ 'base-url': 'api.example.com' })).toMatch(/not an absolute URL/);
  });

  it('refuses a base-url carrying credentials without echoing them', () => {
    const message = failure({ 'base-url': 'https://bob:s3cr3t-pw@api.example.com' });
    expect(message).toMatch(/user name or password/);
    expect(message).not.toContain('s3cr3t-pw');
    expect(message).not.toContain('bob');
  });

  it('refuses a base-url with a query string', () => {
    expect(failure({ 'base-url': 'https://api.example.com/?x=1' })).toMatch(/query string/);
  });

  it.each(['base-url', 'company-name'])(
    'names the empty required input %s and the fork/Dependabot cause',
    name => {
      const message = failure({ [name]: '  ' });
      expect(message).toContain(`'${name}'`);
      expect(message).toMatch(/forks and on Dependabot/);
    }
  );

  it('asks for a refresh token or a login when neither is given', () => {
    expect(failure({ 'refresh-token': '' })).toMatch(
      /'refresh-token' is empty and no 'username'\/'password'/
    );
  });

  it('accepts a login without a refresh token', () => {
    const inputs = readInputs(
      source({ 'refresh-token': '', username: 'svc', password: 'pw-pw' }).src
    );
    expect(inputs.username).toBe('svc');
  });

  it('asks for the missing half of a login', () => {
    expect(failure({ username: 'svc' })).toMatch(/'password' is empty but 'username' is set/);
    expect(failure({ password: 'pw-pw' })).toMatch(/'username' is empty but 'password' is set/);
  });

  it('refuses a refresh token with spaces or quotes inside, without echoing it', () => {
    const message = failure({ 'refresh-token': '"abc def"' });
    expect(message).toMatch(/'refresh-token' does not look like a token/);
    expect(message).not.toContain('abc def');
  });

  it.each([
    'PATH',
    'Path',
    'NODE_OPTIONS',
    'GITHUB_TOKEN',
    'RUNNER_TEMP',
    'LD_PRELOAD',
    'BASH_ENV',
    'DYLD_INSERT_LIBRARIES',
    'https_proxy',
    'NO_PROXY'
  ])('refuses env-name %s, which the runner owns or later steps depend on', name => {
    expect(failure({ 'env-name': name })).toMatch(/runner owns or later steps depend on/);
  });

  it.each([
    'GIT_SSH_COMMAND',
    'GIT_ASKPASS',
    'SSH_ASKPASS',
    'DOTNET_STARTUP_HOOKS',
    'PYTHONHOME',
    'SSL_CERT_FILE',
    'npm_config_script_shell',
    'RUSTC_WRAPPER',
    'ComSpec',
    'PATHEXT',
    'OPENSSL_CONF',
    'RUBYLIB',
    'PERLLIB',
    'JDK_JAVA_OPTIONS',
    'CORECLR_PROFILER_PATH',
    'EDITOR'
  ])('refuses env-name %s, which a common tool would run or load', name => {
    expect(failure({ 'env-name': name })).toMatch(/or that a common tool runs or loads/);
  });

  it("refuses every name and prefix the README lists, in any case, and the README lists the action's", () => {
    const listed = readmeReservedEnv();
    expect(listed.names).toEqual(RESERVED_ENV.names);
    expect(listed.prefixes).toEqual(RESERVED_ENV.prefixes);
    const refused = [
      ...listed.names,
      ...listed.names.map(name => name.toLowerCase()),
      ...listed.prefixes.map(prefix => `${prefix}X`),
      ...listed.prefixes.map(prefix => `${prefix.toLowerCase()}x`)
    ];
    const accepted = refused.filter(name => {
      try {
        readInputs(source({ 'env-name': name }).src);
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted).toEqual([]);
  });

  it.each(['KLEAR_ACCESS_TOKEN', 'MY_TOKEN', 'API_TOKEN', 'klear_token'])(
    'accepts env-name %s',
    name => {
      expect(readInputs(source({ 'env-name': name }).src).envName).toBe(name);
    }
  );

  it.each(['1ABC', 'A-B', 'A B', 'A=B'])(
    'refuses env-name %s that is not a variable name',
    name => {
      expect(failure({ 'env-name': name })).toMatch(/not a valid environment variable name/);
    }
  );

  it('exports nothing when env-name is empty', () => {
    expect(readInputs(source({ 'env-name': '' }).src).envName).toBe('');
  });

  it.each([
    ['timeout-seconds', '0'],
    ['timeout-seconds', '1.5'],
    ['timeout-seconds', '-3'],
    ['timeout-seconds', 'ten'],
    ['max-attempts', '0'],
    ['max-attempts', '11'],
    ['max-attempts', '2x']
  ])('refuses %s = %s', (name, value) => {
    expect(failure({ [name]: value })).toMatch(new RegExp(`'${name}' must be a whole number`));
  });

  it('converts timeout-seconds to milliseconds and keeps max-attempts', () => {
    const inputs = readInputs(source({ 'timeout-seconds': '7', 'max-attempts': '1' }).src);
    expect(inputs.timeoutMs).toBe(7000);
    expect(inputs.maxAttempts).toBe(1);
  });

  it('refuses a working-directory that does not exist when run is set', () => {
    expect(failure({ run: 'true', 'working-directory': '/no/such/dir' })).toMatch(
      /'working-directory'/
    );
  });

  it('warns that working-directory is ignored without run', () => {
    const { src, events } = source({ 'working-directory': 'sub' });
    readInputs(src);
    expect(events).toContain("warn:Input 'working-directory' is ignored because 'run' is empty.");
  });
});

describe('parsing refresh-interval', () => {
  it.each([
    ['90s', 90],
    ['10m', 600],
    ['1h', 3600],
    ['1h30m', 5400],
    ['45', 45]
  ])('reads %s as %i seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each(['', '0s', '10 m', '5d', 'soon', '25h'])('refuses %s', value => {
    expect(() => parseDuration(value)).toThrow(/'refresh-interval' must be a duration/);
  });

  it("reads '' as action.yml's default, 10 minutes, with or without run", () => {
    const action = parse(readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { default: string }>;
    };
    expect(action.inputs['refresh-interval'].default).toBe(DEFAULT_REFRESH_INTERVAL);
    for (const run of ['', 'make test']) {
      for (const empty of ['', '  ']) {
        const inputs = readInputs(source({ run, 'refresh-interval': empty }).src);
        expect(inputs.refreshIntervalMs).toBe(600_000);
      }
    }
  });
});
