import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Metrics } from '../metrics.ts';
import type { EventSubscriber } from './subscriber.ts';

export interface EventRelayOptions {
  db: Database;
  url: string;
  logger: Logger;
  metrics: Metrics;
  config: Pick<Config, 'OUTBOX_POLL_INTERVAL_MS' | 'OUTBOX_MAX_ATTEMPTS' | 'OUTBOX_RETRY_BASE_MS' | 'NATS_URL' | 'NATS_STREAM'>;
  subscribers: EventSubscriber[];
}

export interface EventRelay {
  problem(): string | undefined;
  stop(): Promise<void>;
}

export async function startEventRelay(options: EventRelayOptions): Promise<EventRelay> {
  void options;
  return { problem: () => undefined, stop: async () => undefined };
}
