import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { getProxyUrl } from '@actions/http-client/lib/proxy';
import { ActionError } from './errors.ts';
import { USER_AGENT } from './version.ts';

/** A token response is a few hundred bytes; anything near this is not a token response. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface PostOptions {
  /** Bounds the whole exchange, from connecting to the last byte of the answer. */
  timeoutMs: number;
  /** Ends the request at once, e.g. when run mode's command has finished. */
  signal?: AbortSignal;
  maxBodyBytes?: number;
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
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = options.signal
    ? AbortSignal.any([deadline.signal, options.signal])
    : deadline.signal;
  try {
    // Only the module the URL needs: a run against http never loads TLS.
    const { request } =
      url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const agent = await proxyAgent(url);
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
          // No agent means a connection of its own, closed after the answer.
          agent: agent ?? false,
          signal
        },
        resolve
      );
      req.on('error', reject);
      req.end(form);
    });
    const status = message.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      message.destroy();
      return { status, headers: message.headers, body: '' };
    }
    const body = await readLimited(message, options.maxBodyBytes ?? MAX_BODY_BYTES);
    return { status, headers: message.headers, body };
  } catch (error) {
    throw transportError(error, url, deadline.signal.aborted, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The tunnelling agent for the proxy in https_proxy / HTTPS_PROXY (http_proxy / HTTP_PROXY for an
 * http URL), unless no_proxy exempts the host: @actions/http-client's rules, the same as every
 * other action's. `tunnel` is loaded only when a proxy is set.
 */
async function proxyAgent(url: URL): Promise<Agent | undefined> {
  const proxy = getProxyUrl(url);
  if (!proxy?.hostname) return undefined;
  // "eager": ncc puts tunnel in dist/index.js instead of a chunk file of its own, and still runs it
  // only when this line does.
  const { default: tunnel } = await import(/* webpackMode: "eager" */ 'tunnel');
  const proxyOverHttps = proxy.protocol === 'https:';
  // An IPv6 address comes bracketed from a URL; a socket wants it bare.
  const host = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
  const options = {
    proxy: {
      host,
      port: Number(proxy.port) || (proxyOverHttps ? 443 : 80),
      // tunnel leaves the TLS name of a connection to an https proxy to Node, which takes it from
      // the CONNECT's Host header: the API's host. The proxy's certificate was then checked against
      // the API's name and refused (koichik/node-tunnel#41, still open). Name the proxy itself; an
      // IP address is no TLS name, and '' has Node check the certificate against the address.
      servername: isIP(host) ? '' : host,
      // getProxyUrl's URL gives the user name and password already percent-decoded.
      ...(proxy.username || proxy.password
        ? { proxyAuth: `${proxy.username}:${proxy.password}` }
        : {})
    }
  };
  if (url.protocol === 'https:') {
    return proxyOverHttps ? tunnel.httpsOverHttps(options) : tunnel.httpsOverHttp(options);
  }
  return proxyOverHttps ? tunnel.httpOverHttps(options) : tunnel.httpOverHttp(options);
}

async function readLimited(message: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(message.headers['content-length']);
  if (declared > limit) {
    message.destroy();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      message.destroy();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): ActionError {
  return new ActionError(
    `KlearStack's answer was larger than ${limit / 1024} KiB, far more than any token response, so it was abandoned unread. Check that base-url points at the KlearStack API.`
  );
}

const TLS_CODES =
  /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;

function transportError(
  error: unknown,
  url: URL,
  timedOut: boolean,
  timeoutMs: number
): ActionError {
  if (error instanceof ActionError) return error;
  const host = url.host;
  if (timedOut) {
    return new ActionError(
      `No complete answer from ${host} within ${timeoutMs / 1000} s (timeout-seconds). The API may be overloaded or unreachable from this runner; raise timeout-seconds if it is just slow.`,
      { retryable: true }
    );
  }
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
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
    return new ActionError(
      `The TLS connection to ${host} failed (${code}): its certificate is not trusted or does not match the host. If the API uses a private certificate authority, set NODE_EXTRA_CA_CERTS to that CA's PEM file in the step's env; never switch certificate checks off.`
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
