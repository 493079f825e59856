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

  /** Sequences lent out now. */
  get busy(): number {
    return this.items.length - this.free.length;
  }

  private atStep: Array<() => void> = [];
  private stepTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * A borrower calls this between two generated tokens: it resolves once every borrower has reached its next step
   * (so their next tokens are requested together and land in one batch), or after `maxWaitMs` when one lags (it is
   * evaluating a prompt, or finishing its case). With one borrower it resolves at once.
   */
  nextStep(maxWaitMs: number): Promise<void> {
    if (this.busy <= 1 && this.atStep.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.atStep.push(resolve);
      if (this.atStep.length >= this.busy) this.releaseStep();
      else this.stepTimer ??= setTimeout(() => this.releaseStep(), maxWaitMs);
    });
  }

  private releaseStep(): void {
    if (this.stepTimer) clearTimeout(this.stepTimer);
    this.stepTimer = null;
    const waiting = this.atStep;
    this.atStep = [];
    for (const resolve of waiting) resolve();
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
        // The borrowers still generating may all be waiting for this one at a step.
        if (this.atStep.length > 0 && this.atStep.length >= this.busy) this.releaseStep();
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
