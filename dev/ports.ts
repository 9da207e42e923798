// Ports on 127.0.0.1 for the real servers the tests and benchmarks start (squid, tinyproxy, nginx).
import { connect, createServer } from 'node:net';

/** A port nothing listens on just now: the OS picks it, and it is released at once. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise(done => server.close(done));
  return port;
}

/** Whether something accepts connections on `port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise(done => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

/** Waits up to `ms` for `port` to accept connections; `failed()` says why to stop sooner. */
export async function waitForPort(
  port: number,
  ms: number,
  failed: () => string | undefined = () => undefined
): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const problem = failed();
    if (problem) throw new Error(problem);
    if (await isListening(port)) return;
    await new Promise(done => setTimeout(done, 50));
  }
  throw new Error(`Nothing listened on port ${port} within ${ms} ms. ${failed() ?? ''}`.trim());
}
