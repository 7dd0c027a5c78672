import net from 'node:net';

/**
 * Resolves when `host:port` can be bound now (it is bound and released at once); rejects with a
 * clear message when another process holds it. Checked before a start creates anything, so a port
 * in use leaves no half-made first start behind. (Another process may still take the port in the
 * moment before the server binds it: the start then fails as before, having created nothing that
 * cannot be recovered.)
 */
export function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${host} is in use by another program: stop it, or set PORT`));
      else if (error.code === 'EACCES')
        reject(new Error(`port ${port} on ${host} needs privileges this process lacks: set PORT above 1023`));
      else reject(error);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
