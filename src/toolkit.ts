/**
 * The step's side of the runner's protocol: inputs from `INPUT_*`, workflow commands on stdout
 * (`::add-mask::`, `::warning::`…), outputs and variables appended to the files GITHUB_OUTPUT and
 * GITHUB_ENV name. It writes what @actions/core 3 writes (lib/core.js, command.js,
 * file-command.js; __tests__/toolkit.test.ts holds it to that). It is our own because importing
 * @actions/core loads all of node:crypto, for one random delimiter per output, and
 * node:fs/promises, for the job summary, into every step: about 6 ms of a start that every job pays
 * (npm run bench). The delimiter's randomness comes from /dev/urandom instead.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { delimiter } from 'node:path';

/**
 * os.EOL, without loading node:os: a plain step loads no built-in module that a bare Node request
 * does not (__tests__/bundle.test.ts), each one being a cost of every start (npm run bench).
 */
const EOL = process.platform === 'win32' ? '\r\n' : '\n';

/**
 * Where the toolkit's lines go. At first straight to fd 1, each written whole before the call
 * returns: creating process.stdout on the runner's pipe (a net.Socket) is up to 5% of a plain step
 * (npm run bench), which writes only a few lines, and a line on its way before the next is written
 * keeps every mask ahead of what it hides. Once the action hands process.stdout to something else
 * (run mode's relay), every later line goes through the stream, for good: a line written at once
 * could overtake what the stream still holds.
 */
let writeOut: (text: string) => void = writeAtOnce;

/** From now on the toolkit writes through process.stdout (run mode: its relay reads it there). */
export function writeThroughStdout(): void {
  writeOut = text => void process.stdout.write(text);
}

function writeAtOnce(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes, done);
    } catch (error) {
      // A full pipe that the runner (or whatever reads the step) made non-blocking: the stream
      // waits for room where a write at once cannot, and keeps the order from here on.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      writeThroughStdout();
      process.stdout.write(bytes.subarray(done));
      return;
    }
  }
}

/** A command's message as the runner unescapes it. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command's property (`name=…`) as the runner unescapes it. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function issue(command: string, message: string, name?: string): void {
  const properties = name ? ` name=${escapeProperty(name)}` : '';
  writeOut(`::${command}${properties}::${escapeData(message)}${EOL}`);
}

/** 122 random bits as a version-4 UUID, without loading node:crypto where the kernel has them. */
function randomUuid(): string {
  if (process.platform === 'win32') return process.getBuiltinModule('node:crypto').randomUUID();
  const bytes = Buffer.alloc(16);
  const fd = openSync('/dev/urandom', 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, null);
  } finally {
    closeSync(fd);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Appends `name<<delimiter … delimiter` to the file `variable` names; false when the runner names
 * none (a runner older than file commands).
 */
function appendKeyValue(
  variable: 'GITHUB_OUTPUT' | 'GITHUB_ENV' | 'GITHUB_STATE',
  name: string,
  value: string
) {
  const path = process.env[variable];
  if (!path) return false;
  if (!existsSync(path)) throw new Error(`Missing file at path: ${path}`);
  const delimiter = `ghadelimiter_${randomUuid()}`;
  // A value holding the delimiter could end its entry early and add others: never written.
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`Unexpected input: ${name} or its value contains the delimiter`);
  }
  appendFileSync(path, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
  return true;
}

export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
}

export function setSecret(value: string): void {
  issue('add-mask', value);
}

export function info(message: string): void {
  writeOut(`${message}${EOL}`);
}

export function debug(message: string): void {
  issue('debug', message);
}

export function warning(message: string): void {
  issue('warning', message);
}

export function error(message: string): void {
  issue('error', message);
}

export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

export function setOutput(name: string, value: string): void {
  if (appendKeyValue('GITHUB_OUTPUT', name, value)) return;
  writeOut(EOL);
  issue('set-output', value, name);
}

export function exportVariable(name: string, value: string): void {
  process.env[name] = value;
  if (!appendKeyValue('GITHUB_ENV', name, value)) issue('set-env', value, name);
}

/** A value for this action's post step, which gets it as STATE_<name>. */
export function saveState(name: string, value: string): void {
  if (!appendKeyValue('GITHUB_STATE', name, value)) issue('save-state', value, name);
}

/** Puts a folder in front of PATH, for later steps (GITHUB_PATH) and for this process. */
export function addPath(path: string): void {
  const file = process.env.GITHUB_PATH;
  if (file) appendFileSync(file, `${path}${EOL}`, 'utf8');
  else issue('add-path', path);
  process.env.PATH = `${path}${delimiter}${process.env.PATH}`;
}
