import type { Minted } from './mint.ts';
import { expiryIso } from './claims.ts';
import type { RefreshFacts } from './run/refresher.ts';
import { describeSkew, isNotableSkew } from './run/token-time.ts';

export interface RunFacts extends Omit<RefreshFacts, 'latest'> {
  exitCode: number | null;
}

/**
 * The job summary: how the newest token was obtained and when it and the refresh token in use run
 * out (`expiresAt` as token time judged it), and in run mode how the refreshing went. Never a token.
 */
export function renderSummary(
  minted: Minted,
  expiresAt: string,
  run?: RunFacts,
  refreshToken = ''
): string {
  const rows: [string, string][] = [
    ['Obtained by', minted.method === 'login' ? 'login (service account)' : 'refresh token'],
    ['Requests to KlearStack', String(minted.attempts)],
    [
      'KlearStack release',
      minted.releaseVersion ? codeSpan(minted.releaseVersion) : 'not reported'
    ],
    ['Token expires at', expiresAt || 'not stated by the token, or not usable']
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

/**
 * A value KlearStack chose, as a Markdown code span: GitHub turns `www.example.com` in plain text
 * into a link, and other text into markup. The fence is one backtick longer than the longest run
 * inside; a space pads a value that starts or ends with a backtick or space (CommonMark strips one
 * from each side); `|` is escaped, which a table cell needs even inside code.
 */
export function codeSpan(value: string): string {
  const runs = value.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map(run => run.length)) + 1);
  const pad = /^[` ]|[` ]$/.test(value) ? ' ' : '';
  const text = value.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  return `${fence}${pad}${text}${pad}${fence}`;
}
