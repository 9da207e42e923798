// A local stand-in for KlearStack's token endpoints, faithful to what NOTES.md records about them,
// with scriptable faults so tests, the demo and the benchmark can meet every failure on purpose.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StandInOptions {
  host?: string;
  port?: number;
  /** Path before /access/klearstack, e.g. '/api'. */
  prefix?: string;
  companyName?: string;
  username?: string;
  password?: string;
  accessTtlSeconds?: number;
  refreshTtlSeconds?: number;
  releaseVersion?: string;
  /** When false, a refresh without Authorization is accepted; a bearer that is present is always checked. */
  requireBearer?: boolean;
  /** A request arriving while this many are in flight is shed with 429 and Retry-After. */
  maxConcurrent?: number;
  retryAfterSeconds?: number;
  /** HS256 signing key; random by default. */
  secret?: string;
  /** Called once per request when it has been answered, reset or abandoned. */
  onRequest?: (request: RecordedRequest) => void;
  /** Serve https with this key and certificate (PEM), as every real KlearStack does. */
  tls?: { key: string; cert: string };
}

export interface RecordedRequest {
  method: string;
  path: string;
  endpoint: 'refresh' | 'login' | 'api' | 'other';
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  fields: Record<string, string>;
  bearer?: string;
  /** 0 when never answered (hang, reset, client gone). */
  status: number;
  /** Stand-in clock seconds when received. */
  at: number;
  issuedAccessToken?: string;
  issuedRefreshToken?: string;
}

export type Fault =
  /** KlearStack's own error: its JSON for the status unless `body` is given. */
  | { status: number; body?: string; headers?: Record<string, string> }
  /** Something in front of KlearStack (nginx, a load balancer) answering with its own HTML page. */
  | { kind: 'page'; status: number; title?: string; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'trickle'; intervalMs: number }
  | { kind: 'stall-body' }
  | { kind: 'reset' }
  | { kind: 'redirect'; location: string; status?: number }
  | { kind: 'non-json' }
  | { kind: 'oversized'; bytes: number }
  | { kind: 'bad-token' }
  | { kind: 'missing-token' }
  | { kind: 'echo'; status?: number };

export interface StandIn {
  url: string;
  companyName: string;
  username: string;
  password: string;
  clock: { now(): number; advance(seconds: number): void; set(seconds: number): void };
  requests: RecordedRequest[];
  inFlightPeak: number;
  mintRefreshToken(opts?: { expiresIn?: number; userId?: number }): string;
  mintAccessToken(opts?: { expiresIn?: number; userId?: number }): string;
  /** Queued; each applies to the next token-endpoint request, first in first out. */
  fault(...faults: Fault[]): void;
  /** Applies to every request (any path) while no queued fault is pending; undefined clears it. */
  faultAlways(fault: Fault | undefined): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

type Verified = { payload: Record<string, unknown> } | { problem: string };

const REFRESH_PATH = '/access/klearstack/getaccesstokenfromrefreshtoken';
const LOGIN_PATH = '/access/klearstack/get_access_token';
/** Stands for the rest of KlearStack's API: answers 200 only to a valid access token. */
export const API_PATH = '/api/documents';
// The user_id in the vendor's sample token.
const DEFAULT_USER_ID = 26;
const JWT_HEADER = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
// What DRF's JWTAuthentication sends with every 401 it raises.
const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="api"' };
// Django's production 404 page.
const NOT_FOUND_HTML =
  '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n' +
  '  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n';
// A maintenance page or captive portal answering 200 in the API's place.
const MAINTENANCE_HTML =
  '<html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>\n';
const OVERSIZED_CHUNK_BYTES = 64 * 1024;

export function decodeJwtPayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('Not a JWT: expected three dot-separated parts.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  if (prefix !== '' && !prefix.startsWith('/')) {
    throw new Error(`The prefix must start with "/", got "${prefix}".`);
  }
  const companyName = options.companyName ?? 'acme-corp';
  const username = options.username ?? 'svc-ci';
  const password = options.password ?? 'correct-horse-battery-staple';
  const accessTtl = options.accessTtlSeconds ?? 900;
  const refreshTtl = options.refreshTtlSeconds ?? 86400;
  const releaseVersion = options.releaseVersion ?? '7.8.9';
  const requireBearer = options.requireBearer ?? false;
  const maxConcurrent = options.maxConcurrent ?? Infinity;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const secret = options.secret ?? randomBytes(32).toString('hex');

  let offset = 0;
  // Keeps ticking with real time so a long demo sees tokens expire; tests move it instead of waiting.
  const clock = {
    now: () => Math.floor(Date.now() / 1000 + offset),
    advance: (seconds: number) => {
      offset += seconds;
    },
    set: (seconds: number) => {
      offset = seconds - Date.now() / 1000;
    }
  };

  const requests: RecordedRequest[] = [];
  const queued: Fault[] = [];
  let always: Fault | undefined;
  let inFlight = 0;
  let inFlightPeak = 0;
  const timers = new Set<NodeJS.Timeout>();

  function sign(payload: Record<string, unknown>): string {
    const unsigned = `${JWT_HEADER}.${base64url(JSON.stringify(payload))}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  }

  function mint(tokenType: 'access' | 'refresh', ttl: number, userId: number): string {
    const iat = clock.now();
    // SimpleJWT's claim order.
    return sign({
      token_type: tokenType,
      exp: iat + ttl,
      iat,
      jti: randomBytes(16).toString('hex'),
      user_id: userId
    });
  }

  // Checked in PyJWT's then SimpleJWT's order: signature, expiry, token type.
  function verify(token: string, tokenType: 'access' | 'refresh'): Verified {
    const [header, payload, signature, ...rest] = token.split('.');
    if (signature === undefined || rest.length > 0) return { problem: 'Token is invalid' };
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { problem: 'Token is invalid' };
    }
    const claims = decodeJwtPayload(token);
    if (typeof claims.exp !== 'number' || claims.exp <= clock.now()) {
      return { problem: 'Token is expired' };
    }
    if (claims.token_type !== tokenType) return { problem: 'Token has wrong type' };
    return { payload: claims };
  }

  function refresh(request: RecordedRequest): Answer {
    const { fields } = request;
    const missing = ['refresh_token', 'company_name'].find(name => !fields[name]);
    if (missing !== undefined) return json(500, { error: missing });
    if (request.bearer !== undefined) {
      const checked = verify(request.bearer, 'access');
      if ('problem' in checked) {
        return json(
          401,
          {
            detail: 'Given token not valid for any token type',
            code: 'token_not_valid',
            messages: [
              { token_class: 'AccessToken', token_type: 'access', message: checked.problem }
            ]
          },
          WWW_AUTHENTICATE
        );
      }
    } else if (requireBearer) {
      return json(
        401,
        { detail: 'Authentication credentials were not provided.' },
        WWW_AUTHENTICATE
      );
    }
    const checked = verify(fields.refresh_token, 'refresh');
    if ('problem' in checked) {
      return json(401, { detail: 'Token is invalid or expired', code: 'token_not_valid' });
    }
    if (fields.company_name !== companyName) return json(401, { error: 'Invalid company name.' });
    const userId = checked.payload.user_id;
    const accessToken = mint(
      'access',
      accessTtl,
      typeof userId === 'number' ? userId : DEFAULT_USER_ID
    );
    request.issuedAccessToken = accessToken;
    return json(200, { access_token: accessToken, release_version: releaseVersion });
  }

  function login(request: RecordedRequest): Answer {
    const { fields } = request;
    if (!fields.company_name) return json(500, { error: 'company_name' });
    if (!fields.username) return json(400, { error: 'Please provide username.' });
    if (!fields.password) return json(400, { error: 'Please provide password.' });
    if (fields.username !== username || fields.password !== password) {
      return json(401, { error: 'Incorrect username or password.' });
    }
    if (fields.company_name !== companyName) return json(401, { error: 'Invalid company name.' });
    const refreshToken = mint('refresh', refreshTtl, DEFAULT_USER_ID);
    const accessToken = mint('access', accessTtl, DEFAULT_USER_ID);
    request.issuedRefreshToken = refreshToken;
    request.issuedAccessToken = accessToken;
    return json(200, {
      refresh_token: refreshToken,
      access_token: accessToken,
      release_version: releaseVersion
    });
  }

  function api(request: RecordedRequest): Answer {
    const checked = request.bearer === undefined ? undefined : verify(request.bearer, 'access');
    if (checked === undefined || 'problem' in checked) {
      return json(
        401,
        { detail: 'Given token not valid for any token type', code: 'token_not_valid' },
        WWW_AUTHENTICATE
      );
    }
    return json(200, { documents: [] });
  }

  function answer(request: RecordedRequest): Answer {
    if (request.endpoint === 'api') return api(request);
    if (request.endpoint === 'other') {
      return { status: 404, body: NOT_FOUND_HTML, headers: { 'Content-Type': 'text/html' } };
    }
    if (request.method !== 'POST') {
      return json(405, { detail: `Method "${request.method}" not allowed.` }, { Allow: 'POST' });
    }
    return request.endpoint === 'refresh' ? refresh(request) : login(request);
  }

  function send(res: ServerResponse, request: RecordedRequest, { status, body, headers }: Answer) {
    request.status = status;
    res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  function later(ms: number, action: () => void) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  }

  function trickle(res: ServerResponse, request: RecordedRequest, intervalMs: number) {
    const { status, body, headers } = answer(request);
    const bytes = Buffer.from(body);
    request.status = status;
    res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(bytes.subarray(sent, sent + 1));
      sent += 1;
      if (sent >= bytes.length) {
        clearInterval(timer);
        timers.delete(timer);
        res.end();
      }
    }, intervalMs);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  }

  function stallBody(res: ServerResponse, request: RecordedRequest) {
    const { status, body, headers } = answer(request);
    const bytes = Buffer.from(body);
    request.status = status;
    res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  }

  function oversized(res: ServerResponse, request: RecordedRequest, bytes: number) {
    request.status = 200;
    // Chunked, so a client learns the size only by counting what arrives.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    // The stream fails when the client gives up or close() destroys the socket: both are expected.
    pipeline(Readable.from(oversizedBody(bytes, releaseVersion)), res).catch(() => {});
  }

  function deliver(fault: Fault | undefined, request: RecordedRequest, res: ServerResponse) {
    if (fault === undefined) return send(res, request, answer(request));
    if (!('kind' in fault)) {
      if (fault.body === undefined)
        return send(res, request, json(fault.status, klearStackError(fault.status), fault.headers));
      return send(res, request, {
        status: fault.status,
        body: fault.body,
        headers: { 'Content-Type': 'application/json', ...fault.headers }
      });
    }
    switch (fault.kind) {
      case 'page':
        return send(res, request, {
          status: fault.status,
          body: gatewayPage(fault.status, fault.title),
          headers: { 'Content-Type': 'text/html', ...fault.headers }
        });
      case 'delay':
        later(fault.ms, () => send(res, request, answer(request)));
        return;
      case 'hang':
        return;
      case 'trickle':
        return trickle(res, request, fault.intervalMs);
      case 'stall-body':
        return stallBody(res, request);
      case 'reset':
        res.destroy();
        return;
      case 'redirect':
        return send(res, request, {
          status: fault.status ?? 307,
          body: '',
          headers: { Location: fault.location }
        });
      case 'non-json':
        return send(res, request, {
          status: 200,
          body: MAINTENANCE_HTML,
          headers: { 'Content-Type': 'text/html' }
        });
      case 'oversized':
        return oversized(res, request, fault.bytes);
      case 'bad-token':
        return send(
          res,
          request,
          json(200, {
            access_token: 'eyJhbGciOiJIUzI1NiJ9 "quoted"\nsecond-line',
            release_version: releaseVersion
          })
        );
      case 'missing-token':
        return send(res, request, json(200, { release_version: releaseVersion }));
      case 'echo':
        return send(
          res,
          request,
          json(fault.status ?? 500, {
            error: 'echo',
            fields: request.fields,
            headers: request.headers
          })
        );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = req.url ?? '/';
    // Prefixed, not resolved against a base: a base would read a path starting // as a host.
    const pathname = URL.parse(`http://stand-in${path}`)?.pathname ?? path;
    const endpoint =
      pathname === prefix + REFRESH_PATH
        ? 'refresh'
        : pathname === prefix + LOGIN_PATH
          ? 'login'
          : pathname === prefix + API_PATH
            ? 'api'
            : 'other';
    const contentType = req.headers['content-type'] ?? '';
    const request: RecordedRequest = {
      method: req.method ?? '',
      path,
      endpoint,
      headers: { ...req.headers },
      contentType,
      fields: {},
      status: 0,
      at: clock.now()
    };
    const bearer = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined) request.bearer = bearer;
    requests.push(request);
    res.on('close', () => options.onRequest?.(request));

    const shed = inFlight >= maxConcurrent;
    if (!shed) {
      inFlight += 1;
      inFlightPeak = Math.max(inFlightPeak, inFlight);
      res.on('close', () => {
        inFlight -= 1;
      });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    request.fields = parseFields(contentType, Buffer.concat(chunks));

    if (shed) {
      const unit = retryAfter === 1 ? 'second' : 'seconds';
      return send(
        res,
        request,
        json(
          429,
          { detail: `Request was throttled. Expected available in ${retryAfter} ${unit}.` },
          { 'Retry-After': String(retryAfter) }
        )
      );
    }
    const tokenEndpoint = endpoint === 'refresh' || endpoint === 'login';
    const fault = tokenEndpoint && queued.length > 0 ? queued.shift() : always;
    deliver(fault, request, res);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // A client that goes away mid-body makes reading it fail; there is nobody left to answer.
    handle(req, res).catch(() => res.destroy());
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}${prefix}`,
    companyName,
    username,
    password,
    clock,
    requests,
    get inFlightPeak() {
      return inFlightPeak;
    },
    mintRefreshToken: ({ expiresIn = refreshTtl, userId = DEFAULT_USER_ID } = {}) =>
      mint('refresh', expiresIn, userId),
    mintAccessToken: ({ expiresIn = accessTtl, userId = DEFAULT_USER_ID } = {}) =>
      mint('access', expiresIn, userId),
    fault: (...faults: Fault[]) => {
      queued.push(...faults);
    },
    faultAlways: (fault: Fault | undefined) => {
      always = fault;
    },
    close: async () => {
      queued.length = 0;
      always = undefined;
      // clearTimeout also clears Node's interval timers.
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Resolves even when the server was already closed: close() may be called twice.
      const closed = new Promise<void>(resolve => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
  };
}

/**
 * The JSON KlearStack (Django REST framework) gives with a status: DRF's `detail` texts for what its
 * views raise, and the vendor's documented `{"error": "Something went wrong…"}` for a server error.
 */
function klearStackError(status: number): Record<string, string> {
  switch (status) {
    case 401:
      return { detail: 'Given token not valid for any token type', code: 'token_not_valid' };
    case 403:
      return { detail: 'You do not have permission to perform this action.' };
    case 404:
      return { detail: 'Not found.' };
    case 429:
      return { detail: 'Request was throttled.' };
  }
  return status >= 500
    ? { error: 'Something went wrong, please try again later.' }
    : { detail: `HTTP ${status}` };
}

/** nginx's error page: what a reverse proxy in front of an API answers with its own statuses. */
function gatewayPage(status: number, title = 'Error'): string {
  return `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return {
    status,
    body: JSON.stringify(value),
    headers: { 'Content-Type': 'application/json', ...headers }
  };
}

function parseFields(contentType: string, body: Buffer): Record<string, string> {
  const [mediaType = '', ...parameters] = contentType.split(';').map(part => part.trim());
  switch (mediaType.toLowerCase()) {
    case 'application/x-www-form-urlencoded':
      return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    case 'multipart/form-data': {
      const boundary = parameters
        .map(parameter => /^boundary=(?:"([^"]+)"|(.+))$/i.exec(parameter))
        .find(match => match !== null);
      return boundary ? parseMultipart(body, boundary[1] ?? boundary[2]) : {};
    }
    default:
      return {};
  }
}

// Text fields only, which is all a token request carries. Splitting the latin1 view keeps byte
// offsets intact; each value is then decoded as UTF-8.
function parseMultipart(body: Buffer, boundary: string): Record<string, string> {
  const entries: [string, string][] = [];
  for (const part of body.toString('latin1').split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const name = /^content-disposition:.*?;\s*name="([^"]*)"/im.exec(part.slice(0, headerEnd))?.[1];
    if (name === undefined) continue;
    const value = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    entries.push([name, Buffer.from(value, 'latin1').toString('utf8')]);
  }
  // fromEntries, unlike assignment, cannot be steered into the prototype by a field named __proto__.
  return Object.fromEntries(entries);
}

// Complete, valid JSON when there is room for it, so only a size limit can stop a client taking it.
function* oversizedBody(bytes: number, releaseVersion: string): Generator<string> {
  const head = '{"access_token":"';
  const tail = `","release_version":"${releaseVersion}"}`;
  if (bytes < head.length + tail.length) {
    yield head.slice(0, bytes);
    return;
  }
  yield head;
  for (let left = bytes - head.length - tail.length; left > 0; left -= OVERSIZED_CHUNK_BYTES) {
    yield 'A'.repeat(Math.min(left, OVERSIZED_CHUNK_BYTES));
  }
  yield tail;
}
