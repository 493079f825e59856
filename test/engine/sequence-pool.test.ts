// The sequences an in-process engine lends to the cases in flight, and the step the generating cases take together.
import { describe, expect, it } from 'vitest';
import { SequencePool } from '@main/engine/sequence-pool';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Holds a borrowed item until `release` is called; resolves `lent` with the item once it has one. */
function borrow(pool: SequencePool<string>) {
  let release!: () => void;
  let lent!: (item: string) => void;
  const item = new Promise<string>((r) => (lent = r));
  const done = pool.use(async (it) => {
    lent(it);
    await new Promise<void>((r) => (release = r));
    return it;
  });
  return { item, done, release: () => release() };
}

/** `n` borrowers, each holding its item until `finish` returns them all. */
async function inFlight(pool: SequencePool<string>, n: number) {
  const cases = Array.from({ length: n }, () => borrow(pool));
  await Promise.all(cases.map((c) => c.item));
  return {
    pool,
    finish: async () => {
      for (const c of cases) c.release();
      await Promise.all(cases.map((c) => c.done));
    },
  };
}

describe('SequencePool', () => {
  it('lends each item to one borrower at a time, the first item first, and counts what is lent', async () => {
    const pool = new SequencePool(['warm', 'b']);
    const first = borrow(pool);
    const second = borrow(pool);
    const third = borrow(pool);
    expect(await first.item).toBe('warm');
    expect(await second.item).toBe('b');
    expect(pool.busy).toBe(2);
    let thirdGot: string | null = null;
    void third.item.then((it) => (thirdGot = it));
    await tick();
    expect(thirdGot).toBeNull();
    first.release();
    expect(await third.item).toBe('warm');
    second.release();
    third.release();
    await Promise.all([first.done, second.done, third.done]);
    expect(pool.busy).toBe(0);
  });

  it('nextStep: a case alone never waits', async () => {
    const pool = new SequencePool(['a', 'b']);
    const only = borrow(pool);
    await only.item;
    let passed = false;
    void pool.nextStep(10_000).then(() => (passed = true));
    await tick();
    expect(passed).toBe(true);
    only.release();
    await only.done;
  });

  it('nextStep: cases in flight pass together once every one has arrived', async () => {
    const three = await inFlight(new SequencePool(['a', 'b', 'c']), 3);
    const pool = three.pool;
    const passed: number[] = [];
    void pool.nextStep(10_000).then(() => passed.push(0));
    void pool.nextStep(10_000).then(() => passed.push(1));
    await tick();
    expect(passed).toEqual([]);
    void pool.nextStep(10_000).then(() => passed.push(2));
    await tick();
    expect(passed.sort()).toEqual([0, 1, 2]);
    await three.finish();
  });

  it('nextStep: a lagging case holds the others back no longer than the limit', async () => {
    const two = await inFlight(new SequencePool(['a', 'b']), 2);
    const started = performance.now();
    await two.pool.nextStep(40);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    await two.finish();
  });

  it('nextStep: a case that finishes lets the ones waiting for it go at once', async () => {
    const pool = new SequencePool(['a', 'b']);
    const [waiter, finisher] = [borrow(pool), borrow(pool)];
    await Promise.all([waiter.item, finisher.item]);
    let passed = false;
    void pool.nextStep(10_000).then(() => (passed = true));
    await tick();
    expect(passed).toBe(false);
    finisher.release();
    await finisher.done;
    await tick();
    expect(passed).toBe(true);
    waiter.release();
    await waiter.done;
  });
});
