import { Client, Notification } from 'pg';
import { poolNotifications } from './data-source';
import type { DataSource } from 'typeorm';

export interface ChangeListener {
  close(): Promise<void>;
}

/**
 * Delivers every committed change (PostgreSQL NOTIFY on `channel`, from any instance) to
 * `onChange`. A dedicated connection LISTENs and reconnects on failure; after a reconnect
 * `onReset` runs, since notifications may have been missed meanwhile.
 *
 * The embedded database is one PGlite session shared by every connection: it hands a notification
 * to whichever connection ran the COMMIT, so pool connections are watched too.
 */
export async function listenForChanges(
  url: string,
  dataSource: DataSource,
  channel: string,
  handlers: { onChange(payload: string): void; onReset(): void; onError(error: unknown): void },
): Promise<ChangeListener> {
  let closed = false;
  let client: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const onNotification = (message: Notification) => {
    if (message.channel === channel) handlers.onChange(message.payload ?? '');
  };

  const pooled = poolNotifications.get(dataSource);
  pooled?.on('notification', onNotification);

  const connect = async (): Promise<void> => {
    const next = new Client({ connectionString: url });
    next.on('notification', onNotification);
    next.on('error', (error) => {
      handlers.onError(error);
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    client = next;
  };
  const scheduleReconnect = () => {
    if (closed || retry) return;
    client?.end().catch(() => undefined);
    client = undefined;
    retry = setTimeout(async () => {
      retry = undefined;
      try {
        await connect();
        handlers.onReset();
      } catch (error) {
        handlers.onError(error);
        scheduleReconnect();
      }
    }, 500);
  };

  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      pooled?.off('notification', onNotification);
      await client?.end().catch(() => undefined);
    },
  };
}
