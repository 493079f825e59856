/** How often streamed text is passed on to the UI at most: smooth to read, and ~20 IPC messages a second per case. */
export const TOKEN_FLUSH_INTERVAL_MS = 50;

/**
 * Joins streamed pieces and passes them on at most every intervalMs, so a fast (or hostile) server sending
 * thousands of tiny pieces a second does not turn each into an IPC message to the renderer.
 * `flush()` passes on what is pending at once (call it before the verdict, and when the case ends); `discard()` drops
 * it (the generation was aborted: its case went back to the queue, and nothing of it may reach the UI after the abort).
 */
export function throttleTokens(
  emit: (text: string) => void,
  intervalMs = TOKEN_FLUSH_INTERVAL_MS,
): { push: (text: string) => void; flush: () => void; discard: () => void } {
  let pending = '';
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!pending) return;
    const text = pending;
    pending = '';
    emit(text);
  };
  return {
    push: (text) => {
      pending += text;
      timer ??= setTimeout(flush, intervalMs);
    },
    flush,
    discard: () => {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = '';
    },
  };
}
