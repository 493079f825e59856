// The renderer's only door to the core: window.api (the preload in Electron, the test bridge in Chromium).
import { useEffect, useRef } from 'react';
import type { ApiEvents, ArgOf, Channel, EventName, GuardTraceApi, ResultOf } from '@main/api/contract';

declare global {
  interface Window {
    api: GuardTraceApi;
  }
}

export const api: GuardTraceApi = window.api;

export function invoke<C extends Channel>(channel: C, arg: ArgOf<C>): Promise<ResultOf<C>> {
  return api.invoke(channel, arg);
}

/** Subscribes for the component's lifetime; the latest callback is always used without resubscribing. */
export function useApiEvent<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => api.on(event, (payload) => latest.current(payload)), [event]);
}

export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    // Electron prefixes rejected invokes with "Error invoking remote method '…': "; the rest is the core's text.
    return String((error as { message: unknown }).message).replace(
      /^Error invoking remote method '[^']+': (Error: )?/,
      '',
    );
  }
  return String(error);
}
