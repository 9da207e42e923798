// The names and prefixes SECURITY.md says env-name refuses (the README points there): what users
// are told, and so the oracle the tests hold the action to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function listAfter(text: string, label: string): string[] {
  const line = text.split('\n').find(text => text.trimStart().startsWith(`- ${label}:`)) ?? '';
  return [...line.matchAll(/`([^`]+)`/g)].map(match => match[1]);
}

export function listedReservedEnv(): { names: string[]; prefixes: string[] } {
  const policy = readFileSync(join(import.meta.dirname, '..', '..', 'SECURITY.md'), 'utf8');
  return {
    names: listAfter(policy, 'Names'),
    prefixes: listAfter(policy, 'Any name that starts with')
  };
}
