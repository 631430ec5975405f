export interface WaitOptions {
  /** Give up after this long; 10 s unless set. */
  timeoutMs?: number;
  /** Look again after this long; 10 ms unless set. */
  intervalMs?: number;
  /** What was awaited, for the error when it never happens. */
  message?: string;
}

/**
 * Polls `probe` until it returns a truthy value and returns that value; fails after the deadline
 * with the last value or error seen. Tests wait for conditions this way, never with fixed sleeps.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 10, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
