// Binding a server, for this repository's apps (operator, collector, demo): internal, not part of the
// SDK's documented API (reached only through the package's catch-all subpath export).
import type { Server } from 'node:net';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

/** True for the loopback interface's names, where a browser on this machine opens `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/** The host as it stands in a URL: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts `server` listening on host:port (port 0: any free port) and resolves with the bound port. A
 * failure to bind (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...) rejects with what `explain` makes of it, so
 * each app can say which of its flags to change; with the error itself when `explain` returns undefined.
 */
export function listen(server: Server, port: number, host: string, explain: (error: NodeJS.ErrnoException) => Error | undefined = () => undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(explain(error) ?? error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
