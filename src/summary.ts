import type { Minted } from './mint.ts';
import { expiryIso } from './claims.ts';
import type { RefreshFacts } from './run/refresher.ts';
import { describeSkew, isNotableSkew } from './run/token-time.ts';

export interface RunFacts extends Omit<RefreshFacts, 'latest'> {
  exitCode: number | null;
}

/**
 * The job summary: how the newest token was obtained and when it and the refresh token in use run
 * out, and in run mode how the refreshing went. Never a token.
 */
export function renderSummary(minted: Minted, run?: RunFacts, refreshToken = ''): string {
  const rows: [string, string][] = [
    ['Obtained by', minted.method === 'login' ? 'login (service account)' : 'refresh token'],
    ['Attempts', String(minted.attempts)],
    ['KlearStack release', minted.releaseVersion || 'not reported'],
    ['Token expires at', expiryIso(minted.accessToken) || 'not stated by the token']
  ];
  const refreshExpiry = expiryIso(refreshToken);
  if (refreshExpiry) rows.push(['Refresh token expires at', refreshExpiry]);
  if (run) {
    rows.push(['Refreshes during `run`', String(run.refreshes)]);
    if (run.failedRefreshes) rows.push(['Failed refreshes', String(run.failedRefreshes)]);
    if (run.expiries) rows.push(['Expired before a refresh', String(run.expiries)]);
    if (isNotableSkew(run.skewMs)) {
      rows.push(["Runner's clock", describeSkew(run.skewMs)]);
    }
    rows.push([
      'Command exit code',
      run.exitCode === null ? 'killed by a signal' : String(run.exitCode)
    ]);
  }
  const table = rows.map(([name, value]) => `| ${name} | ${value} |`).join('\n');
  return `### KlearStack access token\n\n| | |\n|---|---|\n${table}\n`;
}
