// Streamed analysis text per case, outside React state so a token burst re-renders only the panel that shows it.
import { useSyncExternalStore } from 'react';

const textByCase = new Map<string, string>();
/** Cases whose verdict arrived: a stray late token must not bring back a stale "Writing…" panel. */
const finished = new Set<string>();
const listeners = new Set<() => void>();

function notify() {
  for (const l of listeners) l();
}

export const streamStore = {
  append(caseId: string, text: string) {
    if (finished.has(caseId)) return;
    textByCase.set(caseId, (textByCase.get(caseId) ?? '') + text);
    notify();
  },
  finish(caseId: string) {
    finished.add(caseId);
    if (textByCase.delete(caseId)) notify();
  },
  /** The runner started (again) on this case: accept its tokens. */
  started(caseId: string) {
    finished.delete(caseId);
  },
  clear() {
    textByCase.clear();
    notify();
  },
};

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useStreamedText(caseId: string | null): string | null {
  return useSyncExternalStore(subscribe, () => (caseId ? (textByCase.get(caseId) ?? null) : null));
}
