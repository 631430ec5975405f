import type { Logger } from 'pino';
import { errorText } from './deliveries.ts';

/** Lets a sleeping loop start early; a wake while the loop is busy makes its next sleep end at once. */
export class Wakeup {
  #pending = false;
  #wake: (() => void) | undefined;

  wake(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async sleep(ms: number): Promise<void> {
    if (!this.#pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
    this.#pending = false;
  }
}

export interface WorkLoop {
  readonly name: string;
  wakeup: Wakeup;
  /** A reason when the loop has been failing for longer than `toleratedMs`, or has crashed. */
  problem(toleratedMs: number): string | undefined;
  /** Resolves once the loop has finished its current step and stopped. */
  done: Promise<void>;
}

/**
 * Runs `step` over and over: at once while it reports more work, otherwise after `intervalMs` or an
 * earlier wake. A failing step is logged and retried after the interval; the loop never dies of it.
 */
export function startWorkLoop(options: {
  name: string;
  intervalMs: number;
  logger: Logger;
  isStopping: () => boolean;
  step: () => Promise<boolean>;
}): WorkLoop {
  const wakeup = new Wakeup();
  let failingSince: number | undefined;
  let lastError: string | undefined;
  let crashed: string | undefined;

  async function run(): Promise<void> {
    while (!options.isStopping()) {
      let more = false;
      try {
        more = await options.step();
        failingSince = undefined;
      } catch (error) {
        failingSince ??= Date.now();
        lastError = errorText(error);
        options.logger.error({ err: error, loop: options.name }, 'event relay step failed');
      }
      if (!more && !options.isStopping()) await wakeup.sleep(options.intervalMs);
    }
  }

  const done = run().catch((error: unknown) => {
    crashed = errorText(error);
    options.logger.fatal({ err: error, loop: options.name }, 'event relay loop crashed');
  });
  return {
    name: options.name,
    wakeup,
    done,
    problem(toleratedMs) {
      if (crashed) return `${options.name} crashed: ${crashed}`;
      if (failingSince !== undefined && Date.now() - failingSince > toleratedMs) {
        return `${options.name} has been failing for ${Date.now() - failingSince} ms: ${lastError ?? 'unknown error'}`;
      }
      return undefined;
    },
  };
}
