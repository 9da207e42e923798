// The names and prefixes README.md's Security section says env-name refuses: what users are told,
// and so the oracle the tests hold the action to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function listAfter(readme: string, label: string): string[] {
  const line = readme.split('\n').find(text => text.trimStart().startsWith(`- ${label}:`)) ?? '';
  return [...line.matchAll(/`([^`]+)`/g)].map(match => match[1]);
}

export function readmeReservedEnv(): { names: string[]; prefixes: string[] } {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  return {
    names: listAfter(readme, 'Names'),
    prefixes: listAfter(readme, 'Any name that starts with')
  };
}
