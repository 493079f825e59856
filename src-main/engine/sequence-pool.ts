// A fixed set of decoding sequences lent to one case at a time. An in-process engine with N sequences audits N cases
// together: each case borrows a sequence for its whole audit and gives it back however the audit ends, so a sequence
// is never shared by two cases and keeps what the last case left in it (the cached system prompt).
import { ConcurrencyLimit } from './openai/concurrency-limit';

export class SequencePool<T> {
  private readonly free: T[];
  private readonly limit: ConcurrencyLimit;

  /** `items` in order of preference: the first is lent first (e.g. the sequence that holds a warmed prefix). */
  constructor(readonly items: readonly T[]) {
    this.free = [...items].reverse();
    this.limit = new ConcurrencyLimit(items.length);
  }

  get size(): number {
    return this.items.length;
  }

  /**
   * Runs `task` with a sequence of its own; waits (FIFO) while all are lent. An abort while waiting rejects with the
   * signal's reason and takes no sequence.
   */
  use<R>(task: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R> {
    return this.limit.run(async () => {
      const item = this.free.pop()!;
      try {
        return await task(item);
      } finally {
        this.free.push(item);
      }
    }, signal);
  }

  /**
   * Resolves once every sequence is back at the same moment: borrowers already running have finished, and those that
   * were waiting have had their turn first (FIFO). Callers mark themselves disposed before, so those turns end at once.
   */
  async drain(): Promise<void> {
    let allHeld!: () => void;
    const gate = new Promise<void>((resolve) => (allHeld = resolve));
    let held = 0;
    await Promise.all(
      this.items.map(() =>
        this.limit.run(async () => {
          if (++held === this.items.length) allHeld();
          await gate;
        }),
      ),
    );
  }
}
