/**
 * Which proxy a request goes through. The rules are the ones every action follows
 * (@actions/http-client lib/proxy: https_proxy/HTTPS_PROXY for https, http_proxy/HTTP_PROXY for
 * http, no_proxy/NO_PROXY, loopback never proxied; its checkBypass is used as it is), with the
 * value read as curl reads it: without a scheme it is http:// (`localhost:3128` would otherwise
 * parse as the scheme `localhost:` and be silently ignored), and a user or password that is not
 * valid percent-encoding is taken as written. A value that still cannot be read is a warning naming
 * the variable, never silence.
 */
import { checkBypass } from '@actions/http-client/lib/proxy';

export interface ProxyTarget {
  protocol: 'http:' | 'https:';
  /** Without IPv6 brackets: what a socket wants. */
  host: string;
  port: number;
  username: string;
  password: string;
  /** host:port, for messages: never the credentials. */
  label: string;
  /** The variable it was read from, for messages. */
  variable: string;
}

export interface ProxyChoice {
  proxy?: ProxyTarget;
  /** For the debug log: which proxy, or why none. */
  note: string;
  /** A proxy variable that could not be read. */
  warning?: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): ProxyChoice {
  if (checkBypass(url)) {
    return {
      note: LOOPBACK.test(url.hostname)
        ? `${url.host} is loopback: no proxy`
        : `no_proxy exempts ${url.host}: no proxy`
    };
  }
  const names =
    url.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const variable = names.find(name => env[name]?.trim());
  if (variable === undefined) return { note: `no ${names[0]} set: no proxy` };
  const value = (env[variable] as string).trim();
  const unreadable = {
    note: `${variable} cannot be read: no proxy`,
    warning: `The proxy in ${variable} cannot be read as http://host:port or https://host:port, so requests go without a proxy. Set it as http://user:password@host:port (user and password percent-encoded).`
  };
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    return unreadable;
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    return unreadable;
  }
  const protocol = parsed.protocol;
  const port = Number(parsed.port) || (protocol === 'https:' ? 443 : 80);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const label = `${parsed.hostname}:${port}`;
  return {
    proxy: {
      protocol,
      host,
      port,
      username: decoded(parsed.username),
      password: decoded(parsed.password),
      label,
      variable
    },
    note: `through the proxy ${label} (from ${variable})`
  };
}

/**
 * Percent-decoded once, as http-client does; a '%' that starts no valid escape is kept as written
 * (http-client threw on it and silently dropped the proxy).
 */
function decoded(text: string): string {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, run => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
