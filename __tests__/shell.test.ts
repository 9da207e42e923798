import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseShell, scriptContents, shellArguments } from '../src/run/shell.ts';

// Mirrors actions/runner 2.336.0 src/Runner.Worker/Handlers/ScriptHandlerHelpers.cs and
// ScriptHandler.cs; each expectation below is a line of those files.

const env = { PATH: process.env.PATH };

describe('parseShell', () => {
  it.each([
    ['bash', '--noprofile --norc -e -o pipefail {0}', '.sh'],
    ['sh', '-e {0}', '.sh']
  ])('%s: the runner template and extension, the program found on PATH', (name, template, ext) => {
    const shell = parseShell(name, env);
    expect(shell).toMatchObject({ template, extension: ext, name });
    expect(shell.program).toMatch(new RegExp(`/${name}$`));
  });

  it('takes an empty value as bash, the default', () => {
    expect(parseShell('', env).template).toBe('--noprofile --norc -e -o pipefail {0}');
  });

  it('takes COMMAND ARGS with {0} as a custom template, split at the first space', () => {
    const shell = parseShell('bash -x {0} --flag', env);
    expect(shell.template).toBe('-x {0} --flag');
    expect(shell.extension).toBe('.sh');
  });

  it('refuses a template without {0}, naming the input', () => {
    expect(() => parseShell('bash -c', env)).toThrow(/^Input 'shell' must be bash, sh, pwsh/);
    expect(() => parseShell('zsh', env)).toThrow(/^Input 'shell' must be bash, sh, pwsh/);
  });

  it('describes a value it refuses by its length, never quoting it', () => {
    // A secret pasted here would show in part past the runner's mask, which hides only the whole.
    expect(() => parseShell('Pasted-Secret-0123456789', env)).toThrow(
      /; the value given \(24 characters\) is none of these\.$/
    );
  });

  it('refuses a shell that is not on PATH, naming the input and the program', () => {
    expect(() => parseShell('pwsh', { PATH: '/nonexistent' })).toThrow(
      /^Input 'shell' names 'pwsh', which is not on this runner's PATH/
    );
    expect(() => parseShell('no-such-shell-here {0}', env)).toThrow(/names 'no-such-shell-here'/);
  });

  it('finds only executable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klear-shell-'));
    try {
      writeFileSync(join(dir, 'myshell'), '#!/bin/sh\n');
      expect(() => parseShell('myshell {0}', { PATH: dir })).toThrow(/not on this runner's PATH/);
      chmodSync(join(dir, 'myshell'), 0o755);
      expect(parseShell('myshell {0}', { PATH: dir }).program).toBe(join(dir, 'myshell'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('looks programs up with PATHEXT on Windows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klear-shell-'));
    try {
      writeFileSync(join(dir, 'pwsh.EXE'), '');
      const shell = parseShell('pwsh', { Path: dir, PATHEXT: '.COM;.EXE' }, 'win32');
      expect(shell).toMatchObject({ template: `-command ". '{0}'"`, extension: '.ps1' });
      expect(shell.program).toBe(join(dir, 'pwsh.EXE'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scriptContents', () => {
  const shell = (name: string) => ({ program: name, template: '{0}', extension: '', name });

  it('leaves a bash script as it is', () => {
    expect(scriptContents(shell('bash'), 'echo hi\necho there', 'linux')).toBe(
      'echo hi\necho there'
    );
  });

  it("gives pwsh and powershell the runner's prologue and exit-code epilogue", () => {
    expect(scriptContents(shell('pwsh'), 'Write-Output hi', 'linux')).toBe(
      "$ErrorActionPreference = 'stop'\nWrite-Output hi\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }"
    );
  });

  it('gives cmd @echo off, and Windows CRLF line ends', () => {
    expect(scriptContents(shell('cmd'), 'echo a\necho b\r\necho c', 'win32')).toBe(
      '@echo off\r\necho a\r\necho b\r\necho c'
    );
  });
});

describe('shellArguments', () => {
  it('splits as .NET splits a command line', () => {
    expect(shellArguments('--noprofile --norc -e -o pipefail {0}', '/t/s.sh')).toEqual([
      '--noprofile',
      '--norc',
      '-e',
      '-o',
      'pipefail',
      '/t/s.sh'
    ]);
    expect(shellArguments(`-command ". '{0}'"`, '/t/s.ps1')).toEqual(['-command', ". '/t/s.ps1'"]);
    expect(shellArguments('/D /E:ON /V:OFF /S /C "CALL "{0}""', 'C:\\t\\s.cmd')).toEqual([
      '/D',
      '/E:ON',
      '/V:OFF',
      '/S',
      '/C',
      'CALL C:\\t\\s.cmd'
    ]);
  });

  it('keeps a path with spaces in one argument', () => {
    expect(shellArguments('"{0}"', '/a b/s.sh')).toEqual(['/a b/s.sh']);
  });
});
