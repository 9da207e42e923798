// A forward proxy for the tests: it accepts CONNECTs and records each one. With `forwardTo` it
// connects every tunnel to that port on 127.0.0.1, whatever host was asked for, so a client can
// name a host that resolves nowhere and still be answered through the proxy. Without it, it keeps
// the first bytes sent through the tunnel and drops the connection: nothing is behind it, but the
// client's side of the path is all there to see. With `tls` the proxy itself speaks https, as
// some corporate proxies do.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface ProxySeen {
  /** The CONNECT line and headers, up to the blank line. */
  head: string;
  /** Without `forwardTo`: the first bytes the client sent through the tunnel once it was open. */
  tunnelled: Buffer;
}

export interface Proxy {
  url: string;
  seen: ProxySeen[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  forwardTo?: number;
  tls?: { key: string; cert: string };
}

export async function startProxy(options: ProxyOptions = {}): Promise<Proxy> {
  const seen: ProxySeen[] = [];
  const sockets = new Set<Socket>();
  const serve = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    let head: string | undefined;
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (head === undefined) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        head = buffered.subarray(0, end).toString('latin1');
        buffered = buffered.subarray(end + 4);
        socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (options.forwardTo !== undefined) {
          seen.push({ head, tunnelled: buffered });
          socket.off('data', onData);
          const upstream = connect(options.forwardTo, '127.0.0.1', () => {
            upstream.write(buffered);
            socket.pipe(upstream).pipe(socket);
          });
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
          upstream.on('error', () => socket.destroy());
          return;
        }
      }
      if (buffered.length > 0) {
        seen.push({ head, tunnelled: buffered });
        socket.destroy();
      }
    };
    socket.on('data', onData);
  };
  const server = options.tls ? createTlsServer(options.tls, serve) : createServer(serve);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const scheme = options.tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
}
