/**
 * The worker process of the outbox scenario (`node --import tsx bench/relay-worker.ts`): Tenure's
 * event relay with one subscriber that records, per event id, when it was handled. The bench
 * process publishes; this one handles, as an API process and a worker process would.
 */
import { startEventRelay } from '../src/platform/events/relay.ts';
import type { EventSubscriber } from '../src/platform/events/subscriber.ts';
import { createLogger } from '../src/platform/logging.ts';
import { createMetrics } from '../src/platform/metrics.ts';
import { childDatabase, onParentMessage, tellParent } from './child.ts';
import { benchEventType } from './outbox-events.ts';
import { epochMs } from './stats.ts';

async function start() {
  const { url, config, db } = childDatabase('tenure-bench-relay');
  // The last time each event was handled: a handler whose transaction failed is handled again.
  const handled = new Map<string, number>();
  const recorder: EventSubscriber = {
    name: 'bench.recorder',
    eventTypes: [benchEventType],
    handle: async (_tx, event) => {
      handled.set(event.id, epochMs());
    },
  };
  const relay = await startEventRelay({ db, url, logger: createLogger(config), metrics: createMetrics(), config, subscribers: [recorder] });
  const progress = setInterval(() => void tellParent({ type: 'progress', handled: handled.size }), 100);
  onParentMessage({
    report: () => void tellParent({ type: 'report', handled: [...handled], relayProblem: relay.problem() ?? null }),
    stop: async () => {
      clearInterval(progress);
      await relay.stop();
      await db.destroy();
    },
  });
}

try {
  await start();
  await tellParent({ type: 'ready' });
} catch (error) {
  await tellParent({ type: 'failed', message: (error as Error).message });
  process.exit(1);
}
