import type { ApiEvents, EventName } from './contract';

type Listener<E extends EventName> = (payload: ApiEvents[E]) => void;

/** Typed event bus from the core to whoever listens (Electron's webContents, the CLI, the browser bridge). */
export class CoreEvents {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        // A failing listener (say, a closed window) must not break the job that emitted the event.
        console.error(`[guardtrace] listener for ${event} failed:`, error);
      }
    }
  }
}
