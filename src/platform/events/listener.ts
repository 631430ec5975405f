import type pg from 'pg';
import type { Logger } from 'pino';
import { createClient } from '../db/database.ts';
import { outboxChannel } from './outbox.ts';

export interface OutboxListener {
  /** How long the LISTEN connection has been down, 0 while it is up. */
  downForMs(): number;
  stop(): Promise<void>;
}

/** The NOTIFY payload that asks the dispatchers, not the relay step, to look again (after a re-drive). */
export const redriveNotification = 'redrive';

const firstRetryMs = 100;
const maxRetryMs = 5000;

/**
 * Holds a dedicated connection on `LISTEN tenure_outbox` and reconnects when it is lost. Each
 * (re)connection calls `onConnected`, since notifications sent while it was down are gone.
 */
export function listenForOutbox(options: {
  url: string;
  logger: Logger;
  onNotification: (payload: string) => void;
  onConnected: () => void;
}): OutboxListener {
  const { logger } = options;
  let current: pg.Client | undefined;
  let downSince: number | undefined = Date.now();
  let failures = 0;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let connecting: Promise<void> | undefined;

  function scheduleReconnect(): void {
    if (stopped) return;
    const delay = Math.min(maxRetryMs, firstRetryMs * 2 ** failures);
    failures += 1;
    retryTimer = setTimeout(() => {
      connecting = connect();
    }, delay);
  }

  async function connect(): Promise<void> {
    const client = createClient(options.url);
    const connection = { lost: false };
    const onLost = (error?: Error) => {
      if (connection.lost) return;
      connection.lost = true;
      if (current === client) current = undefined;
      downSince ??= Date.now();
      if (!stopped) logger.warn({ err: error }, 'LISTEN connection for the event relay lost; reconnecting');
      client.end().catch(() => undefined);
      scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => options.onNotification(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN ${outboxChannel}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (stopped || connection.lost) {
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
    downSince = undefined;
    failures = 0;
    options.onConnected();
  }

  connecting = connect();
  return {
    downForMs: () => (downSince === undefined ? 0 : Date.now() - downSince),
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await connecting;
      const client = current;
      current = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
