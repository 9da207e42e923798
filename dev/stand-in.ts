// A local stand-in for KlearStack's token endpoints, faithful to what NOTES.md records about them,
// with scriptable faults so tests, the demo and the benchmark can meet every failure on purpose.
// KlearStack is Django REST framework with SimpleJWT; where their behaviour shows on the wire, the
// stand-in follows Debian's installed sources (Django 3.2, DRF 3.14, SimpleJWT 5.2.2, under
// /usr/lib/python3/dist-packages/) and SimpleJWT's upstream history, each rule citing its file:
// - tokens (rest_framework_simplejwt/tokens.py): an access token refreshed from a refresh token
//   copies its claims but token_type, exp and jti, so it carries the refresh token's iat before 5.5;
// - error words (tokens.py, backends.py): "Token is invalid or expired" before 5.4, "Token is
//   invalid" / "Token is expired" from 5.4, "Token has wrong type" in both;
// - authentication before the view (rest_framework/views.py, initial): a present bearer is checked
//   by JWTAuthentication (authentication.py) before any permission or form field, on AllowAny too;
// - 401 with the first authentication class's challenge, or 403 without one when
//   SessionAuthentication is first (views.py, handle_exception);
// - 415 for a body no parser takes (request.py, _parse; exceptions.py, UnsupportedMediaType);
// - Django's own pages (django/views/defaults.py) for a Host not in ALLOWED_HOSTS and a crash;
// - a Date header on every answer, by the stand-in's clock, as gunicorn sends one (RFC 9110 §6.6.1).
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
  /**
   * The refresh endpoint's permission: IsAuthenticated (true) wants a valid bearer; AllowAny
   * (false, the default) refreshes without one. A bearer that is present is always checked.
   */
  requireBearer?: boolean;
  /** Access tokens carry the refresh token's iat (SimpleJWT < 5.5, the default) or their own (5.5+). */
  copyIat?: boolean;
  /** Whose error words: 5.2 (Debian's, the default) or 5.4 and later. */
  simpleJwt?: '5.2' | '5.4';
  /** SessionAuthentication listed before JWTAuthentication: refusals are 403 without a challenge. */
  sessionAuthenticationFirst?: boolean;
  /** Django's ALLOWED_HOSTS (without ports); any other Host gets Django's 400 page. Default: any. */
  allowedHosts?: string[];
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
  /** Django's own 500 page: an unhandled exception in KlearStack with DEBUG off. */
  | { kind: 'django-error' }
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
type Clock = StandIn['clock'];

const REFRESH_PATH = '/access/klearstack/getaccesstokenfromrefreshtoken';
const LOGIN_PATH = '/access/klearstack/get_access_token';
/** Stands for the rest of KlearStack's API: answers 200 only to a valid access token. */
export const API_PATH = '/api/documents';
// The user_id in the vendor's sample token.
const DEFAULT_USER_ID = 26;
const JWT_HEADER = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
// What DRF's JWTAuthentication sends with every 401 it raises (authentication.py, authenticate_header).
const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="api"' };
// The claims a refresh token does not pass on to its access token (tokens.py, no_copy_claims).
const NO_COPY_CLAIMS = new Set(['token_type', 'exp', 'jti']);
// Django's production 404 page (views/defaults.py, ERROR_PAGE_TEMPLATE, which opens with a newline).
const NOT_FOUND_HTML =
  '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n' +
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
  const accessTtl = options.accessTtlSeconds ?? 900;
  const refreshTtl = options.refreshTtlSeconds ?? 86400;
  const releaseVersion = options.releaseVersion ?? '7.8.9';
  const clock = standInClock();
  const shop = tokenShop(options.secret ?? randomBytes(32).toString('hex'), clock, options);
  const api: KlearStackApi = {
    companyName: options.companyName ?? 'acme-corp',
    username: options.username ?? 'svc-ci',
    password: options.password ?? 'correct-horse-battery-staple',
    accessTtl,
    refreshTtl,
    releaseVersion,
    requireBearer: options.requireBearer ?? false,
    sessionAuthenticationFirst: options.sessionAuthenticationFirst ?? false,
    allowedHosts: options.allowedHosts,
    shop
  };
  const maxConcurrent = options.maxConcurrent ?? Infinity;
  const retryAfter = options.retryAfterSeconds ?? 1;

  const requests: RecordedRequest[] = [];
  const queued: Fault[] = [];
  let always: Fault | undefined;
  let inFlight = 0;
  let inFlightPeak = 0;
  const timers = new Set<NodeJS.Timeout>();
  // Each request's body, read by the view only once DRF's checks have passed.
  const bodies = new WeakMap<RecordedRequest, Buffer>();
  const faults: FaultContext = {
    answer: request => answer(api, request, bodies.get(request) ?? Buffer.alloc(0)),
    timers,
    releaseVersion
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const request = record(req, prefix, clock);
    requests.push(request);
    // gunicorn's clock when it answers; the stand-in's, which tests move.
    res.setHeader('Date', new Date(clock.now() * 1000).toUTCString());
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
    const body = Buffer.concat(chunks);
    bodies.set(request, body);
    const parsed = parseBody(request.contentType, body);
    request.fields = 'fields' in parsed ? parsed.fields : {};

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
    const tokenEndpoint = request.endpoint === 'refresh' || request.endpoint === 'login';
    const fault = tokenEndpoint && queued.length > 0 ? queued.shift() : always;
    deliver(fault, request, res, faults);
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
    companyName: api.companyName,
    username: api.username,
    password: api.password,
    clock,
    requests,
    get inFlightPeak() {
      return inFlightPeak;
    },
    mintRefreshToken: ({ expiresIn = refreshTtl, userId = DEFAULT_USER_ID } = {}) =>
      shop.mint('refresh', expiresIn, { user_id: userId }),
    mintAccessToken: ({ expiresIn = accessTtl, userId = DEFAULT_USER_ID } = {}) =>
      shop.mint('access', expiresIn, { user_id: userId }),
    fault: (...more: Fault[]) => {
      queued.push(...more);
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

/** Whole seconds, ticking with real time so a long demo sees tokens expire; tests move it instead. */
function standInClock(): Clock {
  let offset = 0;
  return {
    now: () => Math.floor(Date.now() / 1000 + offset),
    advance: (seconds: number) => {
      offset += seconds;
    },
    set: (seconds: number) => {
      offset = seconds - Date.now() / 1000;
    }
  };
}

/** A request as it arrived, before its body is read. */
function record(req: IncomingMessage, prefix: string, clock: Clock): RecordedRequest {
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
  const request: RecordedRequest = {
    method: req.method ?? '',
    path,
    endpoint,
    headers: { ...req.headers },
    contentType: req.headers['content-type'] ?? '',
    fields: {},
    status: 0,
    at: clock.now()
  };
  // JWTAuthentication's split: the header type, then exactly one value (authentication.py).
  const bearer = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) request.bearer = bearer;
  return request;
}

/** SimpleJWT's tokens: minting, and checking in PyJWT's then SimpleJWT's order. */
interface TokenShop {
  /** A token of `tokenType` living `ttl` seconds from now, with `claims` copied in. */
  mint(tokenType: 'access' | 'refresh', ttl: number, claims: Record<string, unknown>): string;
  /** An access token refreshed from a verified refresh token's claims (tokens.py, access_token). */
  accessFrom(refresh: Record<string, unknown>, ttl: number): string;
  verify(token: string, tokenType: 'access' | 'refresh'): Verified;
}

function tokenShop(
  secret: string,
  clock: Clock,
  options: Pick<StandInOptions, 'copyIat' | 'simpleJwt'>
): TokenShop {
  const copyIat = options.copyIat ?? true;
  // 5.2's backends.py turns every PyJWT failure, expiry included, into one sentence; 5.4 tells
  // expiry apart (tokens.py: ExpiredTokenError "Token is expired", TokenError "Token is invalid").
  const words =
    (options.simpleJwt ?? '5.2') === '5.2'
      ? { invalid: 'Token is invalid or expired', expired: 'Token is invalid or expired' }
      : { invalid: 'Token is invalid', expired: 'Token is expired' };

  function sign(payload: Record<string, unknown>): string {
    const unsigned = `${JWT_HEADER}.${base64url(JSON.stringify(payload))}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  }

  function mint(tokenType: 'access' | 'refresh', ttl: number, claims: Record<string, unknown>) {
    const now = clock.now();
    // SimpleJWT's claim order: its own claims first, the copied ones overwrite in place or follow.
    return sign({
      token_type: tokenType,
      exp: now + ttl,
      iat: now,
      jti: randomBytes(16).toString('hex'),
      ...claims
    });
  }

  return {
    mint,
    accessFrom: (refresh, ttl) => {
      const copied = Object.entries(refresh).filter(
        ([claim]) => !NO_COPY_CLAIMS.has(claim) && (copyIat || claim !== 'iat')
      );
      return mint('access', ttl, Object.fromEntries(copied));
    },
    verify: (token, tokenType) => {
      const [header, payload, signature, ...rest] = token.split('.');
      if (signature === undefined || rest.length > 0) return { problem: words.invalid };
      const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { problem: words.invalid };
      }
      const claims = decodeJwtPayload(token);
      if (typeof claims.exp !== 'number' || claims.exp <= clock.now()) {
        return { problem: words.expired };
      }
      if (claims.token_type !== tokenType) return { problem: 'Token has wrong type' };
      return { payload: claims };
    }
  };
}

/** KlearStack's settings and tokens: what its views and DRF's checks before them need. */
interface KlearStackApi {
  companyName: string;
  username: string;
  password: string;
  accessTtl: number;
  refreshTtl: number;
  releaseVersion: string;
  requireBearer: boolean;
  sessionAuthenticationFirst: boolean;
  allowedHosts?: string[];
  shop: TokenShop;
}

/**
 * What KlearStack answers: Django's checks (a URL it has no route for, a Host it does not serve),
 * then DRF's (authentication, permission, method), then the view. DRF authenticates in initial(),
 * before the handler is even looked up, so a bad bearer is refused on every endpoint and method.
 */
function answer(api: KlearStackApi, request: RecordedRequest, body: Buffer): Answer {
  const host = String(request.headers.host ?? '').replace(/:\d+$/, '');
  if (api.allowedHosts && !api.allowedHosts.includes(host)) return djangoPage(400);
  if (request.endpoint === 'other') {
    return { status: 404, body: NOT_FOUND_HTML, headers: { 'Content-Type': 'text/html' } };
  }
  const refused = authenticate(api, request);
  if (refused) return refused;
  if (request.method !== 'POST' && request.endpoint !== 'api') {
    return json(405, { detail: `Method "${request.method}" not allowed.` }, { Allow: 'POST' });
  }
  if (request.endpoint === 'api') return json(200, { documents: [] });
  const parsed = parseBody(request.contentType, body);
  if ('refusal' in parsed) return parsed.refusal;
  return request.endpoint === 'refresh'
    ? refresh(api, request, parsed.fields)
    : login(api, request, parsed.fields);
}

/**
 * DRF's authentication and permission checks (views.py, initial): JWTAuthentication refuses a
 * present bearer it cannot validate, with one message per token class it tried
 * (authentication.py, get_validated_token); the API, and the refresh endpoint when it is
 * IsAuthenticated, refuse a request without one (NotAuthenticated). Undefined when it may go on.
 */
function authenticate(api: KlearStackApi, request: RecordedRequest): Answer | undefined {
  if (request.bearer !== undefined) {
    const checked = api.shop.verify(request.bearer, 'access');
    if (!('problem' in checked)) return undefined;
    return authenticationFailed(api, {
      detail: 'Given token not valid for any token type',
      code: 'token_not_valid',
      messages: [{ token_class: 'AccessToken', token_type: 'access', message: checked.problem }]
    });
  }
  if (request.endpoint === 'api' || (request.endpoint === 'refresh' && api.requireBearer)) {
    return authenticationFailed(api, { detail: 'Authentication credentials were not provided.' });
  }
  return undefined;
}

/**
 * DRF's answer to NotAuthenticated and AuthenticationFailed (views.py, handle_exception): 401 with
 * the first authentication class's challenge, or 403 when that class has none (SessionAuthentication).
 */
function authenticationFailed(api: KlearStackApi, body: Record<string, unknown>): Answer {
  return api.sessionAuthenticationFirst ? json(403, body) : json(401, body, WWW_AUTHENTICATE);
}

/**
 * The refresh view, as a SimpleJWT shop writes one: a missing field is the vendor's documented 500
 * `{"error": "<name>"}` (a KeyError), a refresh token SimpleJWT refuses is InvalidToken with its
 * words (views.py of rest_framework_simplejwt, TokenViewBase.post) — an empty one too, which PyJWT
 * cannot decode — and a wrong company the vendor's 401.
 */
function refresh(
  api: KlearStackApi,
  request: RecordedRequest,
  fields: Record<string, string>
): Answer {
  const missing = ['refresh_token', 'company_name'].find(name => fields[name] === undefined);
  if (missing !== undefined) return json(500, { error: missing });
  if (!fields.company_name) return json(500, { error: 'company_name' });
  const checked = api.shop.verify(fields.refresh_token, 'refresh');
  if ('problem' in checked) {
    return authenticationFailed(api, { detail: checked.problem, code: 'token_not_valid' });
  }
  if (fields.company_name !== api.companyName) return json(401, { error: 'Invalid company name.' });
  const accessToken = api.shop.accessFrom(checked.payload, api.accessTtl);
  request.issuedAccessToken = accessToken;
  return json(200, { access_token: accessToken, release_version: api.releaseVersion });
}

/** The login view: the vendor's documented errors; the pair from RefreshToken.for_user. */
function login(
  api: KlearStackApi,
  request: RecordedRequest,
  fields: Record<string, string>
): Answer {
  if (!fields.company_name) return json(500, { error: 'company_name' });
  if (!fields.username) return json(400, { error: 'Please provide username.' });
  if (!fields.password) return json(400, { error: 'Please provide password.' });
  if (fields.username !== api.username || fields.password !== api.password) {
    return json(401, { error: 'Incorrect username or password.' });
  }
  if (fields.company_name !== api.companyName) return json(401, { error: 'Invalid company name.' });
  const refreshToken = api.shop.mint('refresh', api.refreshTtl, { user_id: DEFAULT_USER_ID });
  const accessToken = api.shop.accessFrom(decodeJwtPayload(refreshToken), api.accessTtl);
  request.issuedRefreshToken = refreshToken;
  request.issuedAccessToken = accessToken;
  return json(200, {
    refresh_token: refreshToken,
    access_token: accessToken,
    release_version: api.releaseVersion
  });
}

/** What the faults need of the stand-in. */
interface FaultContext {
  answer(request: RecordedRequest): Answer;
  timers: Set<NodeJS.Timeout>;
  releaseVersion: string;
}

function send(res: ServerResponse, request: RecordedRequest, { status, body, headers }: Answer) {
  request.status = status;
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function later(timers: Set<NodeJS.Timeout>, ms: number, action: () => void) {
  const timer = setTimeout(() => {
    timers.delete(timer);
    action();
  }, ms);
  timers.add(timer);
}

function trickle(
  res: ServerResponse,
  request: RecordedRequest,
  intervalMs: number,
  ctx: FaultContext
) {
  const { status, body, headers } = ctx.answer(request);
  const bytes = Buffer.from(body);
  request.status = status;
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  let sent = 0;
  const timer = setInterval(() => {
    res.write(bytes.subarray(sent, sent + 1));
    sent += 1;
    if (sent >= bytes.length) {
      clearInterval(timer);
      ctx.timers.delete(timer);
      res.end();
    }
  }, intervalMs);
  ctx.timers.add(timer);
  res.on('close', () => {
    clearInterval(timer);
    ctx.timers.delete(timer);
  });
}

function stallBody(res: ServerResponse, request: RecordedRequest, ctx: FaultContext) {
  const { status, body, headers } = ctx.answer(request);
  const bytes = Buffer.from(body);
  request.status = status;
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
}

function oversized(
  res: ServerResponse,
  request: RecordedRequest,
  bytes: number,
  ctx: FaultContext
) {
  request.status = 200;
  // Chunked, so a client learns the size only by counting what arrives.
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // The stream fails when the client gives up or close() destroys the socket: both are expected.
  pipeline(Readable.from(oversizedBody(bytes, ctx.releaseVersion)), res).catch(() => {});
}

/** Answers `request` as KlearStack would, or as the fault says. */
function deliver(
  fault: Fault | undefined,
  request: RecordedRequest,
  res: ServerResponse,
  ctx: FaultContext
) {
  if (fault === undefined) return send(res, request, ctx.answer(request));
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
    case 'django-error':
      return send(res, request, djangoPage(500));
    case 'delay':
      later(ctx.timers, fault.ms, () => send(res, request, ctx.answer(request)));
      return;
    case 'hang':
      return;
    case 'trickle':
      return trickle(res, request, fault.intervalMs, ctx);
    case 'stall-body':
      return stallBody(res, request, ctx);
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
      return oversized(res, request, fault.bytes, ctx);
    case 'bad-token':
      return send(
        res,
        request,
        json(200, {
          access_token: 'eyJhbGciOiJIUzI1NiJ9 "quoted"\nsecond-line',
          release_version: ctx.releaseVersion
        })
      );
    case 'missing-token':
      return send(res, request, json(200, { release_version: ctx.releaseVersion }));
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

/**
 * The form as DRF's default parsers read it (request.py, _parse): nothing from an empty body; form,
 * multipart and JSON by their media type; 415 UnsupportedMediaType, naming the Content-Type as
 * sent, for any other body; 400 for JSON that does not parse (parsers.py, JSONParser: its detail
 * then carries Python's own reason, which only the prefix here matches).
 */
function parseBody(
  contentType: string,
  body: Buffer
): { fields: Record<string, string> } | { refusal: Answer } {
  if (body.length === 0) return { fields: {} };
  const [mediaType = '', ...parameters] = contentType.split(';').map(part => part.trim());
  switch (mediaType.toLowerCase()) {
    case 'application/x-www-form-urlencoded':
      return { fields: Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
    case 'multipart/form-data': {
      const boundary = parameters
        .map(parameter => /^boundary=(?:"([^"]+)"|(.+))$/i.exec(parameter))
        .find(match => match !== null);
      return { fields: boundary ? parseMultipart(body, boundary[1] ?? boundary[2]) : {} };
    }
    case 'application/json': {
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        return { refusal: json(400, { detail: 'JSON parse error - Expecting value' }) };
      }
      const entries = typeof value === 'object' && value !== null ? Object.entries(value) : [];
      return {
        fields: Object.fromEntries(entries.filter(([, field]) => typeof field === 'string'))
      };
    }
    default:
      return {
        refusal: json(415, { detail: `Unsupported media type "${contentType}" in request.` })
      };
  }
}

/**
 * Django's own page for 400 and 500 with DEBUG off and no template of the site's (views/defaults.py:
 * ERROR_PAGE_TEMPLATE, content_type 'text/html').
 */
function djangoPage(status: 400 | 500): Answer {
  const title = status === 400 ? 'Bad Request (400)' : 'Server Error (500)';
  return {
    status,
    body: `\n<!doctype html>\n<html lang="en">\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  <h1>${title}</h1><p></p>\n</body>\n</html>\n`,
    headers: { 'Content-Type': 'text/html' }
  };
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
