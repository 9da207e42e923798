// What the dev servers people start by hand (`npm run fake-server`, `npm run klearstack`) share:
// reading a whole-number option, and handing over the connection values.
import { appendFileSync } from 'node:fs';

export function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new Error(`--${name} must be a whole number, got "${value}".`);
  }
  return Number(value);
}

/** `NAME=value` lines on stdout, and appended to `writeEnv` (e.g. "$GITHUB_ENV") when given. */
export function handOver(values: Record<string, string>, writeEnv: string | undefined): void {
  const lines = Object.entries(values)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
  // The file first: whoever waits for stdout may read the file as soon as it appears.
  if (writeEnv !== undefined) appendFileSync(writeEnv, `${lines}\n`);
  process.stdout.write(`${lines}\n`);
}
