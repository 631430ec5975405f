import { connect } from 'node:net';

/** Whether a server accepts TCP connections at the URL's host and port, within the time given. */
export function serverAnswers(url: string, defaultPort: number, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || defaultPort), timeout: timeoutMs });
    const settle = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => settle(true));
    socket.once('timeout', () => settle(false));
    socket.once('error', () => settle(false));
  });
}
