import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
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
import { listedReservedEnv } from './helpers/listed-env-names.ts';

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

  // The gaps a tester found: locale, time zone and the C library, name resolution, the shell's
  // prompts and options, make's and the compilers' programs and paths, Go, Lua, terminals, cloud
  // clients. Each changes what a later step runs, loads or connects to.
  it.each([
    ...['LANG', 'LANGUAGE', 'LC_ALL', 'lc_ctype', 'TZ', 'TZDIR', 'GLIBC_TUNABLES', 'GCONV_PATH'],
    ...['LOCPATH', 'NLSPATH', 'MALLOC_CHECK_', 'HOSTALIASES', 'RES_OPTIONS', 'LOCALDOMAIN'],
    ...['PS0', 'PS1', 'PS2', 'PS3', 'PS4', 'PROMPT_COMMAND', 'HISTFILE', 'BASH_ENV', 'BASH_COMPAT'],
    ...['POSIXLY_CORRECT', 'SHELLOPTS', 'BASHOPTS', 'CDPATH', 'GLOBIGNORE', 'IFS'],
    ...['CC', 'CXX', 'CPP', 'AS', 'LD', 'AR', 'RM', 'FC', 'YACC', 'LEX', 'MAKE', 'MAKEFLAGS'],
    ...['MFLAGS', 'GCC_EXEC_PREFIX', 'COMPILER_PATH', 'LIBRARY_PATH', 'CPATH', 'C_INCLUDE_PATH'],
    ...['CPLUS_INCLUDE_PATH', 'GOFLAGS', 'GOPROXY', 'GOWORK', 'GOOS', 'LUA_PATH', 'TERMINFO'],
    ...['TERM', 'EDITOR', 'VISUAL', 'PAGER', 'GIT_DIR', 'AWS_ACCESS_KEY_ID', 'AZURE_CLIENT_ID'],
    ...['GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG', 'KUBECONFIG', 'DOCKER_HOST']
  ])('refuses env-name %s, which changes what a later step runs, loads or connects to', name => {
    expect(failure({ 'env-name': name })).toMatch(/a variable the runner owns or later steps/);
  });

  it("refuses every name and prefix SECURITY.md lists, in any case, and SECURITY.md lists the action's", () => {
    const listed = listedReservedEnv();
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

  it.each([
    ['max-attempts', '2x', 'the value given (2 characters) has characters other than digits.'],
    ['max-attempts', '11', 'the value given (2 characters) is outside that range.'],
    ['timeout-seconds', '1.5', 'the value given (3 characters) has characters other than digits.'],
    [
      'refresh-interval',
      'soon',
      'the value given (4 characters) is not a number followed by h, m or s.'
    ],
    ['refresh-interval', '25h', 'the value given (3 characters) is outside that range.'],
    ['env-name', '1ABC', 'the value given (4 characters) starts with a digit.'],
    [
      'env-name',
      'A-B',
      'the value given (3 characters) has characters other than letters, digits and _.'
    ],
    ['env-name', 'Path', "Input 'env-name' is 'PATH' (in any letter case), a variable"],
    ['keep-fresh', 'always', 'the value given (6 characters) is neither.'],
    ['env-name', 'github_secret', "Input 'env-name' starts with 'GITHUB_' (in any letter case)"]
  ])('describes %s = %s without quoting it', (name, value, described) => {
    const message = failure({ [name]: value });
    expect(message).toContain(described);
    expect(message).not.toContain(`'${value}'`);
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

describe('an invalid input is described, never quoted', () => {
  // A secret pasted into the wrong input: the runner masks only the whole secret, so any part of
  // it in a message would show. The message may hold the value's length (a fact, not a part) and
  // fixed text: the input's name, the rule, the reserved names. So, with the length taken out,
  // every 4-character piece of the value the message holds must be a piece of that fixed text.
  const fixedText = (name: string): string =>
    [
      ...['x', '0', '99999999', '0s', '1', '-', 'PATH', 'GITHUB_X'].map(value =>
        withoutLength(failureOrEmpty(name, value), value)
      ),
      ...RESERVED_ENV.names,
      ...RESERVED_ENV.prefixes
    ].join('\n');
  const withoutLength = (message: string, value: string): string =>
    message.replace(`(${value.length} character`, '(# character');
  const failureOrEmpty = (name: string, value: string): string => {
    try {
      readInputs(source({ [name]: value }).src);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const value = fc
    .oneof(
      fc.string({ minLength: 4, maxLength: 80 }),
      fc.string({ minLength: 4, maxLength: 80, unit: 'binary' }),
      fc.stringMatching(/^[A-Za-z0-9_]{4,80}$/),
      fc.stringMatching(/^[0-9]{4,12}[hms]?$/),
      fc.stringMatching(/^(GITHUB_|PYTHON|path|1)[A-Za-z0-9_]{1,40}$/)
    )
    .map(text => text.trim())
    .filter(text => text.length >= 4);

  it.each(['max-attempts', 'timeout-seconds', 'refresh-interval', 'env-name', 'keep-fresh'])(
    '%s: no 4 characters of an invalid value are in its message, but for fixed text',
    name => {
      const fixed = fixedText(name);
      fc.assert(
        fc.property(value, given => {
          const message = failureOrEmpty(name, given);
          fc.pre(message !== '');
          const shown = withoutLength(message, given);
          for (let i = 0; i + 4 <= given.length; i++) {
            const piece = given.slice(i, i + 4);
            if (shown.includes(piece)) expect(fixed).toContain(piece);
          }
        }),
        { seed: 23, numRuns: 1000 }
      );
    }
  );
});
