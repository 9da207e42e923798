import type { IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import type { SecureContext } from 'node:tls';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ActionError, codeOf } from './errors.ts';
import { proxyFor, type ProxyTarget } from './proxy.ts';
import { USER_AGENT } from './version.ts';

/** A token response is a few hundred bytes; anything near this is not a token response. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface PostOptions {
  /** Bounds the whole exchange, from connecting to the last byte of the answer. */
  timeoutMs: number;
  /** Ends the request at once, e.g. when run mode's command has finished. */
  signal?: AbortSignal;
  maxBodyBytes?: number;
  /** The debug log: which proxy a request goes through, or why none. */
  debug?(message: string): void;
  /** A warning, for a proxy variable that cannot be read. */
  warning?(message: string): void;
  /** What TLS trusts instead of Node's defaults, to the API and an https proxy (trust.ts). */
  secureContext?: SecureContext;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Empty for a redirect, which is never read. */
  body: string;
}

/**
 * One POST of a form on a new connection, through the proxy the runner's environment names.
 * Redirects are never followed: following one would re-send the form, refresh token and password
 * included, to whatever host a `Location` names. Every failure is an ActionError that says what
 * happened and what to do.
 *
 * node:http and node:https directly, rather than @actions/http-client's HttpClient: loading
 * HttpClient loads node:https and TLS on every run, http or not, and its request path is longer.
 * Without it the step took 1.30× the floor instead of 1.39× over http, and 1.15× instead of 1.18×
 * over https (npm run bench, 40 rounds, both builds in the same rounds).
 */
export async function postForm(
  url: URL,
  form: string,
  headers: Record<string, string>,
  options: PostOptions
): Promise<Answer> {
  const { timeoutMs } = options;
  const cutoff = new Cutoff(timeoutMs, options.signal);
  const choice = proxyFor(url);
  options.debug?.(`Proxy for ${url.host}: ${choice.note}.`);
  if (choice.warning) options.warning?.(choice.warning);
  try {
    // Whatever Node leaves unsettled (an upgraded socket, a close it reports to no one), the attempt
    // ends when its deadline does: an exchange that never settled would let the step exit 0 empty.
    return await settledBy(cutoff, exchange(url, form, headers, options, cutoff, choice.proxy));
  } catch (error) {
    throw transportError(error, url, cutoff.timedOut, timeoutMs, choice.proxy);
  } finally {
    cutoff.dispose();
  }
}

/**
 * What ends one exchange early: its deadline, or the caller's signal (run mode's stop). A list of
 * its own rather than an AbortController, AbortSignal.any and the request's `signal` option: those
 * run Node's EventTarget and stream-finishing code, which a plain step needs for nothing else,
 * at about 2% of its start (npm run bench, docs/PERFORMANCE.md). The caller's signal, when there is one, is heard once.
 */
class Cutoff {
  /** Why the exchange was ended; undefined while it may go on. */
  reason: Error | undefined;
  /** Whether it was the deadline that ended it. */
  timedOut = false;
  readonly #listeners = new Set<(reason: Error) => void>();
  readonly #timer: NodeJS.Timeout;
  readonly #unhear: () => void = () => {};

  constructor(timeoutMs: number, signal: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#end(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    if (!signal) return;
    const stop = () => this.#end(reasonOf(signal));
    if (signal.aborted) stop();
    else {
      signal.addEventListener('abort', stop, { once: true });
      this.#unhear = () => signal.removeEventListener('abort', stop);
    }
  }

  /** Calls `listener` once the exchange is ended (at once if it is); returns its removal. */
  onEnd(listener: (reason: Error) => void): () => void {
    if (this.reason) {
      listener(this.reason);
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The exchange is over: neither the timer nor the caller's signal may keep the step alive. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#unhear();
    this.#listeners.clear();
  }

  #end(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    for (const listener of this.#listeners) listener(reason);
  }
}

/** A signal's reason as an Error, which is what destroying a request or socket takes. */
function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

/**
 * `work`, or a rejection with the cutoff's reason once it comes, whichever is first. The
 * rejection waits a turn of the event loop, so that an error the cutoff raises in `work` (a
 * proxy's tunnel timing out) is the one reported when there is one.
 */
function settledBy<T>(cutoff: Cutoff, work: Promise<T>): Promise<T> {
  let unlisten = () => {};
  const ended = new Promise<never>((_, reject) => {
    unlisten = cutoff.onEnd(reason => setImmediate(() => reject(reason)));
  });
  work.catch(() => {});
  return Promise.race([work, ended]).finally(unlisten);
}

async function exchange(
  url: URL,
  form: string,
  headers: Record<string, string>,
  options: PostOptions,
  cutoff: Cutoff,
  proxy: ProxyTarget | undefined
): Promise<Answer> {
  // Only the module the URL needs: a run against http never loads TLS.
  const { request } =
    url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  // Through a proxy, the tunnel is opened under the same deadline as the rest of the exchange.
  const tunnel = proxy ? await openTunnel(url, proxy, cutoff, options.secureContext) : undefined;
  const message = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'user-agent': USER_AGENT,
          'content-length': String(Buffer.byteLength(form))
        },
        // A connection of its own, closed after the answer: the tunnel, or (agent false) a new
        // one. Node honours createConnection only when no agent is given at all.
        ...(tunnel ? { createConnection: () => tunnel as Socket } : { agent: false }),
        ...(options.secureContext ? { secureContext: options.secureContext } : {})
      },
      resolve
    );
    req.on('error', reject);
    // Until the exchange is over (the body read too), the cutoff ends it: the request and its answer.
    cutoff.onEnd(reason => req.destroy(reason));
    // A 101 with Upgrade hands the socket over and emits neither 'response' nor 'error'.
    req.on('upgrade', (answer: IncomingMessage, socket: Duplex) => {
      socket.destroy();
      reject(new Upgraded(answer.statusCode ?? 0));
    });
    // After 'response' this rejects nothing; before it, the connection ended without an answer.
    req.on('close', () => reject(new NoAnswer()));
    req.end(form);
  });
  const status = message.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    message.destroy();
    return { status, headers: message.headers, body: '' };
  }
  const body = await readLimited(message, options.maxBodyBytes ?? MAX_BODY_BYTES, cutoff);
  return { status, headers: message.headers, body };
}

/** The server switched the connection to another protocol instead of answering the POST. */
class Upgraded extends Error {
  readonly status: number;

  constructor(status: number) {
    super('upgraded');
    this.status = status;
  }
}

/** The connection closed with no final answer, and Node reported no error for it. */
class NoAnswer extends Error {}

/** A failure on the way through the proxy, before the tunnel to the API was open. */
class ProxyProblem extends Error {
  readonly problem: unknown;
  readonly status?: number;

  constructor(problem: unknown, status?: number) {
    super('proxy');
    this.problem = problem;
    this.status = status;
  }
}

/**
 * A CONNECT to the proxy (over TLS when it speaks https, named by its own host), then TLS to the API
 * through it for an https URL. Owned here rather than by `tunnel`: that package reported every
 * tunnel failure as ECONNRESET, took no abort signal (a proxy that never answered held the step
 * for minutes), named the API as the proxy's TLS server (koichik/node-tunnel#41), and printed a
 * Buffer() deprecation warning when the proxy URL had credentials.
 */
async function openTunnel(
  url: URL,
  proxy: ProxyTarget,
  cutoff: Cutoff,
  secureContext: SecureContext | undefined
): Promise<Duplex> {
  const { request } = await import('node:http');
  const tls =
    url.protocol === 'https:' || proxy.protocol === 'https:' ? await import('node:tls') : undefined;
  const target = `${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  const headers: Record<string, string> = { Host: target };
  if (proxy.username || proxy.password) {
    const login = Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64');
    headers['Proxy-Authorization'] = `Basic ${login}`;
  }
  const options: RequestOptions = {
    host: proxy.host,
    port: proxy.port,
    method: 'CONNECT',
    path: target,
    headers
  };
  // A connection of its own: TLS to a proxy that speaks https (createConnection counts only
  // without an agent), else a new plain one (agent false).
  if (proxy.protocol !== 'https:') options.agent = false;
  if (proxy.protocol === 'https:' && tls) {
    // An IP address is no TLS name: '' has Node check the certificate against the address.
    options.createConnection = () =>
      tls.connect({
        host: proxy.host,
        port: proxy.port,
        servername: isIP(proxy.host) ? '' : proxy.host,
        ...(secureContext ? { secureContext } : {})
      });
  }
  let unlisten = () => {};
  const socket = await new Promise<Socket>((resolve, reject) => {
    const req = request(options);
    const refused = (status: number | undefined) =>
      reject(new ProxyProblem(undefined, status ?? 0));
    req.on('connect', (response: IncomingMessage, tunnel: Socket, head: Buffer) => {
      if (response.statusCode === 200) {
        if (head.length) tunnel.unshift(head);
        resolve(tunnel);
      } else {
        tunnel.destroy();
        refused(response.statusCode);
      }
    });
    // A proxy that answers the CONNECT as an ordinary request.
    req.on('response', (response: IncomingMessage) => {
      response.destroy();
      refused(response.statusCode);
    });
    req.on('error', error => reject(new ProxyProblem(error)));
    // Before 'connect' or 'response', a close is a proxy that hung up without answering.
    req.on('close', () => reject(new ProxyProblem(undefined)));
    // Until the proxy has answered; the open tunnel is then ended with what runs through it.
    unlisten = cutoff.onEnd(reason => req.destroy(reason));
    req.end();
  }).finally(() => unlisten());
  if (url.protocol !== 'https:' || !tls) return socket;
  return new Promise((resolve, reject) => {
    // The bare host, brackets off an IPv6 address: an address is checked against the certificate's
    // IP entries; only a name is sent as the server name (with a socket given, Node sends none).
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = tls.connect({
      socket,
      host,
      ...(isIP(host) ? {} : { servername: host }),
      ...(secureContext ? { secureContext } : {})
    });
    const unlistenTls = cutoff.onEnd(reason => secure.destroy(reason));
    secure.once('secureConnect', () => {
      unlistenTls();
      resolve(secure);
    });
    secure.once('error', error => {
      unlistenTls();
      reject(error);
    });
  });
}

/**
 * The body, up to `limit` bytes. Read with 'data' and 'end' rather than `for await`: the async
 * iterator loads and compiles stream machinery a plain step otherwise never runs (npm run bench).
 */
function readLimited(message: IncomingMessage, limit: number, cutoff: Cutoff): Promise<string> {
  const declared = Number(message.headers['content-length']);
  if (declared > limit) {
    message.destroy();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        message.destroy();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    message.once('end', () => {
      // A body with neither a length nor chunks ends when the connection closes, and the cutoff
      // closes it: an end after the cutoff may be the cutoff's own, so what came is not the answer.
      if (cutoff.reason) reject(cutoff.reason);
      // 'end' on a body shorter than its headers announced, when the connection closed early.
      else if (message.complete) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new CutShort());
    });
    // Node reports a body the connection cut short as an 'aborted' ECONNRESET.
    message.once('error', error => reject(isCutShort(error) ? new CutShort() : error));
    // Closed with neither 'end' nor 'error' (destroyed without a reason): the body did not all come.
    message.once('close', () => reject(new CutShort()));
  });
}

/** The connection closed before the body its headers announced had all arrived. */
class CutShort extends Error {}

function isCutShort(error: unknown): boolean {
  return textOf(error) === 'aborted';
}

/**
 * An error's message, read by shape: `instanceof Error` fails for errors from another realm (a
 * test's VM context), and what is thrown need not be an Error at all.
 */
function textOf(error: unknown): string {
  return String((error as { message?: unknown } | undefined)?.message ?? '');
}

function tooLarge(limit: number): ActionError {
  return new ActionError(
    `KlearStack's answer was larger than ${limit / 1024} KiB, far more than any token response, so it was abandoned unread. Check that base-url points at the KlearStack API.`
  );
}

/** OpenSSL's words when the other end answered a TLS hello with plain HTTP. */
const PLAIN_HTTP_ANSWER = /wrong version number|packet length too long|http request/i;

/**
 * Node's HTTP parser refused the answer: not HTTP at all (TLS, SSH, a database), or headers larger
 * than any API sends. Not retried: the same address will answer the same way.
 */
function notHttp(url: URL, code: string): ActionError {
  const what =
    code === 'HPE_HEADER_OVERFLOW'
      ? 'with headers larger than Node reads (16 KiB), which no API sends'
      : 'with something that is not HTTP';
  const https = url.protocol === 'http:' ? ` If the port speaks TLS, use https://${url.host}.` : '';
  return new ActionError(
    `${url.host} answered ${what} (${code}). Is base-url pointing at the API's https port? Check the scheme, host and port in base-url.${https}`
  );
}

const TLS_CODES =
  /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;

function transportError(
  error: unknown,
  url: URL,
  timedOut: boolean,
  timeoutMs: number,
  proxy?: ProxyTarget
): ActionError {
  if (error instanceof ActionError) return error;
  if (error instanceof ProxyProblem && proxy)
    return proxyError(error, url, timedOut, timeoutMs, proxy);
  const host = url.host;
  if (timedOut) {
    return new ActionError(
      `No complete answer from ${host} within ${timeoutMs / 1000} s (timeout-seconds). The API may be overloaded or unreachable from this runner; raise timeout-seconds if it is just slow.`,
      { retryable: true }
    );
  }
  if (error instanceof Upgraded) {
    return new ActionError(
      `${host} answered HTTP ${error.status} with an Upgrade, switching the connection to another protocol instead of answering the token request. Check that base-url points at the KlearStack API, not at a WebSocket or HTTP/2-only service; re-run the job if it was a passing fault.`,
      { status: error.status, retryable: true }
    );
  }
  if (error instanceof NoAnswer) {
    return new ActionError(
      `The connection to ${host} closed without an answer. This is usually a network problem between the runner and the API; re-run the job if it persists.`,
      { retryable: true }
    );
  }
  if (error instanceof CutShort) {
    return new ActionError(
      `The answer from ${host} was cut off half-way: the connection closed before the whole body arrived. This is usually a network problem between the runner and the API; re-run the job if it persists.`,
      { retryable: true }
    );
  }
  const code = codeOf(error);
  const detail = textOf(error);
  if (code.startsWith('HPE_')) return notHttp(url, code);
  if (url.protocol === 'https:' && PLAIN_HTTP_ANSWER.test(detail)) {
    return new ActionError(
      `base-url says https://, but ${host} answers in plain HTTP on that port (${code}). Use the port where the API speaks https, or http:// only if the API really is plain HTTP on a private network.`
    );
  }
  if (code === 'ENOTFOUND') {
    return new ActionError(
      `The host ${host} could not be found (DNS). Check base-url for typos; a host on a private network needs a runner that can resolve it.`
    );
  }
  if (code === 'EAI_AGAIN') {
    return new ActionError(
      `Looking up ${host} failed for now (DNS, ${code}). This is usually temporary.`,
      {
        retryable: true
      }
    );
  }
  if (TLS_CODES.test(code)) {
    const peer = {
      who: 'the server',
      owners: "the API's administrators",
      instead: 'use an address of the API that does not require one'
    };
    return new ActionError(
      `The TLS connection to ${host} failed (${code}): ${tlsRefusal(code, detail, peer) ?? 'its certificate is not trusted or does not match the host. If the API uses a private certificate authority, give its PEM certificate in the ca-certificate input; never switch certificate checks off.'}`
    );
  }
  if (code === 'ECONNREFUSED') {
    return new ActionError(
      `${host} refused the connection (ECONNREFUSED). Check the host and port in base-url and that the API is up.`,
      { retryable: true }
    );
  }
  const what = code || (error instanceof Error ? error.name : 'unknown error');
  return new ActionError(
    `The connection to ${host} failed before a complete answer (${what}). This is usually a network problem between the runner and the API; re-run the job if it persists.`,
    { retryable: true }
  );
}

/**
 * OpenSSL's words for a server that wants a client certificate: TLS 1.3 has an alert of its own;
 * TLS 1.2 servers (OpenSSL's, nginx's) send the generic handshake failure.
 */
const CERTIFICATE_REQUIRED = /CERTIFICATE_REQUIRED|alert certificate required/i;
const HANDSHAKE_FAILURE = /ALERT_HANDSHAKE_FAILURE|alert handshake failure/i;
/** ... and for a server that speaks only TLS 1.1 or older, which Node 24 refuses. */
const NO_COMMON_VERSION =
  /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|alert protocol version|unsupported protocol/i;

/** Who ended a TLS handshake, as the sentences about it need. */
interface TlsPeer {
  /** 'the server' or 'the proxy'. */
  who: string;
  /** Who can change it: "the API's administrators". */
  owners: string;
  /** Where to go instead of a peer that wants a client certificate. */
  instead: string;
}

/**
 * Why a TLS handshake failed when no certificate to trust would fix it, told by what OpenSSL said;
 * undefined when it is about trust (an unknown authority, a name that does not match).
 */
function tlsRefusal(code: string, detail: string, peer: TlsPeer): string | undefined {
  const said = `${code} ${detail}`;
  const mutual = `(mutual TLS), which this action does not send. Ask ${peer.owners} to exempt this runner's requests from client certificates, or ${peer.instead}.`;
  if (CERTIFICATE_REQUIRED.test(said)) return `${peer.who} asks for a client certificate ${mutual}`;
  if (HANDSHAKE_FAILURE.test(said)) {
    return `${peer.who} ended the handshake, most often because it asks for a client certificate ${mutual} (Or it shares no cipher with Node 24.)`;
  }
  if (NO_COMMON_VERSION.test(said)) {
    return `${peer.who} offers no TLS version Node 24 accepts (TLS 1.2 or later). Ask ${peer.owners} to enable TLS 1.2 or 1.3; the action cannot use an older version.`;
  }
  return undefined;
}

/** Who failed is the proxy: named by host:port, never by its credentials. */
function proxyError(
  problem: ProxyProblem,
  url: URL,
  timedOut: boolean,
  timeoutMs: number,
  proxy: ProxyTarget
): ActionError {
  const { label, variable } = proxy;
  const status = problem.status;
  if (timedOut) {
    return new ActionError(
      `The proxy ${label} (${variable}) did not open a tunnel to ${url.host} within ${timeoutMs / 1000} s (timeout-seconds). The proxy may be overloaded or unable to reach the API; check it, or raise timeout-seconds if it is just slow.`,
      { retryable: true }
    );
  }
  if (status === 407) {
    return new ActionError(
      `The proxy ${label} (${variable}) wants a login, or refused the one given (HTTP 407). Put its user and password in ${variable} as http://user:password@host:port, percent-encoded. Not retried, so that a wrong password cannot lock the proxy account.`,
      { status }
    );
  }
  if (status === 403) {
    return new ActionError(
      `The proxy ${label} (${variable}) refused to connect to ${url.host} (HTTP 403): its rules deny this host or port. Ask its administrators to allow it, or exempt the host in no_proxy if the runner can reach it directly.`,
      { status }
    );
  }
  if (status !== undefined) {
    return new ActionError(
      `The proxy ${label} (${variable}) could not open a tunnel to ${url.host} (HTTP ${status}).${status >= 500 ? ' It may not reach or resolve the API host; this is often temporary.' : ' Check the proxy settings.'}`,
      { status, retryable: status >= 500 }
    );
  }
  const code = codeOf(problem.problem);
  const detail = textOf(problem.problem);
  if (code.startsWith('HPE_')) {
    return new ActionError(
      `The proxy ${label} (${variable}) answered the CONNECT with something that is not HTTP (${code}). Check the host and port in ${variable}: they should name an HTTP proxy.`
    );
  }
  if (proxy.protocol === 'https:' && PLAIN_HTTP_ANSWER.test(detail)) {
    return new ActionError(
      `${variable} says https://, but the proxy ${label} speaks plain HTTP on that port (${code}). Write it as http://${label}.`
    );
  }
  if (code === 'ENOTFOUND') {
    return new ActionError(
      `The proxy host ${proxy.host} could not be found (DNS). Check ${variable}.`
    );
  }
  if (TLS_CODES.test(code)) {
    const peer = {
      who: 'the proxy',
      owners: "the proxy's administrators",
      instead: `name one that does not require one in ${variable}`
    };
    return new ActionError(
      `The TLS connection to the proxy ${label} (${variable}) failed (${code}): ${tlsRefusal(code, detail, peer) ?? "the proxy's certificate is not trusted or does not match its name. Give its CA's PEM certificate in the ca-certificate input; never switch certificate checks off."}`
    );
  }
  if (code === 'ECONNREFUSED') {
    return new ActionError(
      `The proxy ${label} (${variable}) refused the connection (ECONNREFUSED). Check the host and port in ${variable}, and that the proxy is up.`,
      { retryable: true }
    );
  }
  return new ActionError(
    `The connection to the proxy ${label} (${variable}) failed before a tunnel was open (${code || 'closed'}). This is usually a network problem between the runner and the proxy.`,
    { retryable: true }
  );
}
