/**
 * Run mode's `shell` input means what a `run:` step's `shell:` means. Mirrors actions/runner 2.336.0,
 * src/Runner.Worker/Handlers/ScriptHandlerHelpers.cs (templates, extensions, prologues) and
 * ScriptHandler.cs (COMMAND [ARGS] split at the first space, a PATH lookup of COMMAND, a template
 * that must contain {0}, the script written to a file as UTF-8 without BOM, CRLF on Windows).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, extname, isAbsolute, join } from 'node:path';
import { ActionError, givenValue } from '../errors.ts';

const TEMPLATES: Record<string, string> = {
  cmd: '/D /E:ON /V:OFF /S /C "CALL "{0}""',
  pwsh: `-command ". '{0}'"`,
  powershell: `-command ". '{0}'"`,
  bash: '--noprofile --norc -e -o pipefail {0}',
  sh: '-e {0}',
  python: '{0}'
};

const EXTENSIONS: Record<string, string> = {
  cmd: '.cmd',
  pwsh: '.ps1',
  powershell: '.ps1',
  bash: '.sh',
  sh: '.sh',
  python: '.py'
};

export interface Shell {
  /** The program, as found on PATH (or as given, when it is a path). */
  program: string;
  /** The argument template with `{0}` where the script file's path goes. */
  template: string;
  /** The script file's extension, from the program's name as the runner keys it. */
  extension: string;
  /** The name the runner keys prologues and extensions on (the first word of the input). */
  name: string;
}

/**
 * Reads the `shell` input: a built-in name, or `COMMAND [ARGS]` whose ARGS contain {0}. The program
 * must be found now, before any token is minted.
 */
export function parseShell(
  value: string,
  env: NodeJS.ProcessEnv,
  platform = process.platform
): Shell {
  const text = value.trim() || 'bash';
  const space = text.indexOf(' ');
  const name = space === -1 ? text : text.slice(0, space);
  const args = space === -1 ? '' : text.slice(space + 1).trim();
  const key = name.toLowerCase();
  const template = args || TEMPLATES[key] || '';
  if (!template.includes('{0}')) {
    throw new ActionError(
      `Input 'shell' must be bash, sh, pwsh, powershell, python, cmd, or a command with '{0}' where the script's path goes (e.g. 'python3 {0}'); ${givenValue(text)} is none of these.`
    );
  }
  const program = findProgram(name, env, platform);
  if (!program) {
    throw new ActionError(
      `Input 'shell' names '${name}', which is not on this runner's PATH, so the command cannot run. Install it in an earlier step, or choose another shell (bash is the default).`
    );
  }
  return { program, template, extension: EXTENSIONS[key] ?? '', name: key };
}

/** The script as the runner writes it: its prologue and epilogue, CRLF line ends on Windows. */
export function scriptContents(shell: Shell, script: string, platform = process.platform): string {
  const eol = platform === 'win32' ? '\r\n' : '\n';
  let contents = script;
  if (shell.name === 'cmd') contents = `@echo off${eol}${contents}`;
  if (shell.name === 'pwsh' || shell.name === 'powershell') {
    contents = `$ErrorActionPreference = 'stop'${eol}${contents}${eol}if ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }`;
  }
  return platform === 'win32' ? contents.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n') : contents;
}

/**
 * The template with the script's path in it, split into arguments as .NET's process start splits a
 * command line: white space separates, double quotes group (and are dropped), `\"` is a quote.
 */
export function shellArguments(template: string, scriptPath: string): string[] {
  const line = template.replaceAll('{0}', scriptPath.replaceAll('"', '\\"'));
  const args: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && line[i + 1] === '"') {
      current += '"';
      i++;
      started = true;
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (/\s/.test(c) && !quoted) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

/** The runner's WhichUtil: a path as given, else the first executable match on PATH (PATHEXT on Windows). */
export function findProgram(
  name: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform
): string {
  const windows = platform === 'win32';
  const extensions =
    windows && !extname(name)
      ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)
      : [''];
  const candidates =
    isAbsolute(name) || name.includes('/') || (windows && name.includes('\\'))
      ? [name]
      : (env.PATH ?? env.Path ?? '')
          .split(windows ? ';' : delimiter)
          .filter(Boolean)
          .map(dir => join(dir, name));
  for (const candidate of candidates) {
    for (const extension of extensions) {
      const path = candidate + extension;
      if (isExecutable(path, windows)) return path;
    }
  }
  return '';
}

function isExecutable(path: string, windows: boolean): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (!windows) accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
