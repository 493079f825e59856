import { afterEach, describe, expect, it, vi } from 'vitest';
import { throttleTokens } from '@main/jobs/token-throttle';

afterEach(() => vi.useRealTimers());

describe('throttleTokens', () => {
  it('joins a burst of pieces into one message per interval, losing and reordering nothing', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const tokens = throttleTokens((text) => sent.push(text), 50);
    for (let i = 0; i < 1000; i++) tokens.push(`${i},`);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(sent).toHaveLength(1);
    tokens.push('late,');
    tokens.flush(); // before the verdict: at once
    expect(sent).toHaveLength(2);
    tokens.flush(); // nothing pending: nothing sent
    vi.advanceTimersByTime(500);
    expect(sent.join('')).toBe(Array.from({ length: 1000 }, (_, i) => `${i},`).join('') + 'late,');
    expect(sent).toHaveLength(2);
  });

  it('discard drops what is pending, and the pending timer sends nothing later (an aborted generation)', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const tokens = throttleTokens((text) => sent.push(text), 50);
    tokens.push('before the interval,');
    vi.advanceTimersByTime(50);
    tokens.push('pending at the abort,');
    tokens.discard();
    vi.advanceTimersByTime(500);
    tokens.flush();
    expect(sent).toEqual(['before the interval,']);
  });
});
