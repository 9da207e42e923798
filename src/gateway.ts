import type { IncomingHttpHeaders } from 'node:http';
import { ActionError } from './errors.ts';
import { parseRetryAfter } from './retry.ts';

/**
 * Tells the pages of whatever stands in front of KlearStack (a reverse proxy, load balancer, API
 * gateway, WAF) apart from KlearStack's own answers. KlearStack is Django REST framework: every error it gives is a
 * JSON object, and its 401 challenges with `Bearer`. A failure status whose body is not a JSON
 * object, or a 401 that asks for a login of another kind, came from something else, and KlearStack's
 * advice (check the refresh token, company-name) would send the user the wrong way.
 *
 * Returns undefined when the answer is KlearStack's: the caller then reads it as such.
 */
export function gatewayError(
  status: number,
  url: URL,
  headers: IncomingHttpHeaders,
  body: string,
  json: unknown
): ActionError | undefined {
  const challenges = challengesOf(headers);
  const said = /\b(Basic|Negotiate|NTLM|Digest)\b/i.exec(challenges)?.[1];
  // Named in our own spelling: the server's is its text, not ours to repeat.
  const scheme = LOGIN_SCHEMES.find(name => name.toLowerCase() === said?.toLowerCase());
  if (status === 401 && scheme) return ownLogin(url, scheme);
  const isKlearStackJson = typeof json === 'object' && json !== null && !Array.isArray(json);
  if (isKlearStackJson) return undefined;
  // A bare 401 that challenges for a bearer is KlearStack's even without a body.
  if (status === 401 && /^\s*Bearer\b/i.test(challenges)) return undefined;
  const django = djangoPage(status, url, body);
  if (django) return django;
  const [why, retryable] = explain(status, url, body);
  // A wrong path gets a page from whatever serves it: a gateway, another site, or Django's own
  // 404 outside KlearStack's API. The other statuses are a gateway's own.
  const who =
    status === 404
      ? `${url.host} answered HTTP 404 with a web page, not KlearStack's JSON`
      : `Something in front of KlearStack at ${url.host} (a proxy, load balancer or gateway) answered HTTP ${status} with its own page, not KlearStack's JSON`;
  return new ActionError(`${who}: ${why}`, {
    status,
    retryable,
    fromGateway: true,
    retryAfterSeconds: retryable ? parseRetryAfter(headers['retry-after']) : undefined
  });
}

/** Logins of other kinds than KlearStack's bearer, as their RFCs spell them. */
const LOGIN_SCHEMES = ['Basic', 'Negotiate', 'NTLM', 'Digest'];

/**
 * Django's own pages, which KlearStack's web framework answers with before its API (Django REST
 * framework) can: with DEBUG off and no 400.html/500.html template, views/defaults.py renders
 * ERROR_PAGE_TEMPLATE as text/html with the title "Bad Request (400)" or "Server Error (500)". Its
 * 400 is mostly a Host not in ALLOWED_HOSTS (http/request.py, get_host: DisallowedHost, turned into
 * that page by core/handlers/exception.py); its 500 an unhandled exception. Only the fixed titles are
 * looked for; nothing of the body is repeated.
 */
function djangoPage(status: number, url: URL, body: string): ActionError | undefined {
  const title = /<title>\s*(Bad Request \(400\)|Server Error \(500\))\s*<\/title>/.exec(body)?.[1];
  if (status === 400 && title === 'Bad Request (400)') {
    return new ActionError(
      `KlearStack's web framework (Django) refused the request with its own "Bad Request (400)" page (HTTP 400), most likely because the host it was sent, ${url.host} from base-url, is not in its ALLOWED_HOSTS setting. Use the host name KlearStack is served under in base-url, or ask KlearStack's administrators to add ${url.hostname} to ALLOWED_HOSTS.`,
      { status }
    );
  }
  if (status === 500 && title === 'Server Error (500)') {
    return new ActionError(
      `KlearStack failed with an unhandled error: its web framework (Django) answered HTTP 500 with its own "Server Error (500)" page, not the API's JSON. This may pass on a retry; if it persists, report it to KlearStack support with the time it happened.`,
      { status, retryable: true }
    );
  }
  return undefined;
}

/** Every WWW-Authenticate challenge, in one line: a login the action cannot give is named there. */
function challengesOf(headers: IncomingHttpHeaders): string {
  const header = headers['www-authenticate'];
  return Array.isArray(header) ? header.join(', ') : (header ?? '');
}

function ownLogin(url: URL, scheme: string): ActionError {
  return new ActionError(
    `Something in front of KlearStack at ${url.host} (a proxy, load balancer or gateway) wants its own login (HTTP 401, WWW-Authenticate: ${scheme}), which this action does not send. Ask its administrators to let the token endpoints through, or point base-url at an address without it. The service account was not tried, so that its password is never sent to that login.`,
    { status: 401, fromGateway: true }
  );
}

/** What a gateway's status means, and whether a later attempt could pass. */
function explain(status: number, url: URL, body: string): [string, boolean] {
  switch (status) {
    case 400:
      return [badRequest(url, body), false];
    case 401:
      return [
        'it refused the request without saying how to log in. Check that base-url points at the KlearStack API and not at a login page.',
        false
      ];
    case 403:
      return [
        'it refused access: a firewall, IP allow-list or WAF rule blocks this runner or this path. Ask its administrators to allow it, or use a runner inside the allowed network.',
        false
      ];
    case 404:
      return [
        `there is no KlearStack token endpoint at ${url.origin}${url.pathname}. Check base-url: it should be the API root, with any path prefix a gateway routes by, e.g. https://gateway.example.com/klear.`,
        false
      ];
    case 413:
      return [
        'it refused the request as too large, though a token request is a few hundred bytes: its body-size limit is set too low, or base-url points at another service. Tell its administrators.',
        false
      ];
    case 429:
      return [
        'it is limiting the rate of requests. Try again later, or run fewer jobs at once.',
        true
      ];
    case 502:
      return [
        'it could not reach KlearStack behind it (bad gateway). This is usually temporary; if it persists, tell whoever runs the gateway.',
        true
      ];
    case 503:
      return [
        'it is unavailable, overloaded or limiting requests. This is usually temporary; if it persists, tell whoever runs the gateway.',
        true
      ];
    case 504:
      return [
        'KlearStack behind it did not answer in time (gateway timeout). This is usually temporary; if it persists, tell whoever runs the gateway.',
        true
      ];
  }
  if (status >= 500) {
    return [
      'it failed, or KlearStack failed before its API could answer. This is usually temporary: re-run the job later.',
      true
    ];
  }
  return ['check that base-url points at the KlearStack API.', false];
}

/**
 * nginx's own 400 pages name their cause in a fixed title; only those fixed phrases are looked for,
 * and nothing of the body is ever repeated (it could echo a header).
 */
function badRequest(url: URL, body: string): string {
  if (/plain HTTP request was sent to HTTPS port/i.test(body))
    return `the port speaks https, but base-url says http://. Use https://${url.host} in base-url.`;
  if (/No required SSL certificate was sent|SSL certificate error/i.test(body))
    return 'it requires a client certificate (mutual TLS), which this action does not send. Ask its administrators to exempt the token endpoints, or use an address that does not require one.';
  if (/Header Or Cookie Too Large|Header Fields Too Large/i.test(body))
    return "it found the request's headers too large. The largest is the access-token input, sent as a bearer: leave it empty, or ask its administrators to raise the header limit.";
  return 'it refused the request as malformed. Check that base-url points at the KlearStack API.';
}
