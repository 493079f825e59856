/**
 * Runs `fn` once calls stop for `quietMs`, but no later than `maxWaitMs` after the first call of a burst.
 * The core's store is single-threaded: a refresh per event would sit in front of the moderator's next decision.
 */
export function coalesce(fn: () => void, quietMs: number, maxWaitMs: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let firstAt: number | null = null;
  return () => {
    const now = performance.now();
    firstAt ??= now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = null;
        firstAt = null;
        fn();
      },
      Math.max(0, Math.min(quietMs, firstAt + maxWaitMs - now)),
    );
  };
}
