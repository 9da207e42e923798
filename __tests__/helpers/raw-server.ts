// A server that answers with exactly the bytes it is given, cut where it is told: for answers no
// HTTP library would send (a 101 to a POST, a close in the middle of a status line, a 1xx forever).
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';

/** What the server does once the request has arrived. */
export interface RawAnswer {
  /** Written as they are, after the request's head has arrived. */
  bytes: string;
  /** Only this many bytes of `bytes` are written (all of them when absent). */
  cutAt?: number;
  /** After writing: close cleanly, reset the connection, or leave it open and silent. */
  then: 'end' | 'reset' | 'hang';
}

export interface RawServer {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * Answers connection n with `answers[n]`, the last one for every connection after it. Over TLS when
 * `tls` gives a key and certificate.
 */
export async function startRawServer(
  answers: RawAnswer[],
  tls?: { key: string; cert: string }
): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const onConnection = (socket: Socket) => {
    const answer = answers[Math.min(state.connections, answers.length - 1)];
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume();
      reply(socket, answer);
    };
    socket.on('data', onData);
  };
  const server: Server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, onConnection)
    : createNetServer(onConnection);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
}

function reply(socket: Socket, answer: RawAnswer): void {
  const bytes = Buffer.from(answer.bytes, 'latin1');
  const written = answer.cutAt === undefined ? bytes : bytes.subarray(0, answer.cutAt);
  socket.write(written, () => {
    if (answer.then === 'end') socket.end();
    // A TLS socket cannot send a TCP reset of its own: its close is abrupt enough.
    else if (answer.then === 'reset')
      if ('encrypted' in socket) socket.destroy();
      else socket.resetAndDestroy();
  });
}

/** An HTTP/1.1 answer's bytes, with a Content-Length for the body unless headers name one. */
export function httpAnswer(
  status: string,
  headers: Record<string, string> = {},
  body = ''
): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  if (!Object.keys(headers).some(name => /^(content-length|transfer-encoding)$/i.test(name)))
    lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return `HTTP/1.1 ${status}\r\n${lines.map(line => `${line}\r\n`).join('')}\r\n${body}`;
}
