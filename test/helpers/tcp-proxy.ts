import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can cut: `down()` drops every connection and
 * refuses new ones (the database "is down" for whoever goes through the proxy), `up()` accepts
 * again on the same port. `url(databaseUrl)` is that database's URL through the proxy.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** The proxy's connections to the database: their local ports are pg_stat_activity's client_port. */
  private readonly upstreams = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static for(databaseUrl: string): TcpProxy {
    const url = new URL(databaseUrl);
    return new TcpProxy(url.hostname, Number(url.port || 5432));
  }

  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.upstreams.add(upstream);
      upstream.on('close', () => this.upstreams.delete(upstream));
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** The client ports of the database sessions opened through the proxy (to find them in pg_stat_activity). */
  clientPorts(): number[] {
    return [...this.upstreams].map((socket) => socket.localPort).filter((port): port is number => port !== undefined);
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
