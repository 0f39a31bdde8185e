/**
 * Wake-ups across processes with LISTEN/NOTIFY. The store sends `NOTIFY <channel>` inside the transaction of every
 * write that makes events due now (an ingest that queued events, an unpause or enable that released held ones,
 * claims given back, a retry due within a second), so a notification arrives exactly when the work is visible to
 * a claim. PostgreSQL folds identical notifications of one transaction into one, so a group commit of a thousand
 * ingests sends one.
 *
 * `listenForDue` is what the dispatcher wiring uses in a worker process: it keeps one dedicated connection (not a
 * pooled one: a LISTEN belongs to its session) and calls `onWake` for each notification. Notifications sent while
 * the connection was down are lost, so after every reconnect it calls `onWake` once: the dispatcher claims, finds
 * whatever became due meanwhile, and sleeps until the next due time as usual. Polling stays as the safety net.
 */
import pg from 'pg';

/** The default channel. Deployments sharing one database in different schemas should each use their own. */
export const DUE_CHANNEL = 'sluice_due';

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** A channel name safe to splice into LISTEN (an identifier); throws otherwise. */
export function checkChannel(channel: string): string {
  if (!CHANNEL.test(channel)) throw new Error(`"${channel}" is not a valid channel name: use lowercase letters, digits and underscores (at most 63).`);
  return channel;
}

export interface ListenOptions {
  /** The channel the store notifies (its `channel` option); default `sluice_due`. */
  channel?: string;
  /** Wait before reconnecting after the connection dropped (default 1000 ms). */
  reconnectMs?: number;
  /** Told about connection errors (the listener reconnects by itself). */
  onError?: (error: unknown) => void;
}

/**
 * Listens for due work on `url` and calls `onWake` on each notification (and after each reconnect). Resolves once
 * the first LISTEN is in place (rejects if the first connection fails); the function it resolves to stops
 * listening and closes the connection.
 */
export async function listenForDue(url: string, onWake: () => void, options: ListenOptions = {}): Promise<() => Promise<void>> {
  const channel = checkChannel(options.channel ?? DUE_CHANNEL);
  const reconnectMs = options.reconnectMs ?? 1000;
  const onError = options.onError ?? (() => undefined);
  let stopped = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<pg.Client> => {
    const next = new pg.Client({ connectionString: url, application_name: 'sluice-listen' });
    next.on('notification', (message) => {
      if (message.channel === channel) onWake();
    });
    next.on('error', (error) => {
      onError(error);
      lost(next);
    });
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      throw error;
    }
    return next;
  };

  const lost = (which: pg.Client): void => {
    if (stopped || client !== which) return;
    client = null;
    which.removeAllListeners('end');
    void which.end().catch(() => undefined);
    retry();
  };

  const retry = (): void => {
    if (stopped || timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      connect().then(
        (next) => {
          if (stopped) {
            void next.end().catch(() => undefined);
            return;
          }
          client = next;
          onWake(); // whatever was notified while the connection was down
        },
        (error: unknown) => {
          onError(error);
          retry();
        },
      );
    }, reconnectMs);
  };

  client = await connect();
  return async () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    const last = client;
    client = null;
    if (last !== null) {
      last.removeAllListeners('end');
      await last.end().catch(() => undefined);
    }
  };
}
