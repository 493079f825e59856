// Paged access to the queue for a virtualized list: rows are fetched with 'cases.list' (offset/limit) only for
// the pages the list actually shows, so 100,000 cases cost the same as 100.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaseSummary, QueueQuery } from '@domain/cases';
import { errorMessage, invoke } from '../api';

export const PAGE_SIZE = 100;

export interface QueueView {
  total: number;
  loaded: boolean;
  error: string | null;
  /** Bumps whenever rows arrive, so the list re-renders. */
  version: number;
  rowAt(index: number): CaseSummary | undefined;
  ensureRange(start: number, end: number): void;
  loadRow(index: number): Promise<CaseSummary | undefined>;
  /** Updates a loaded row in place (e.g. right after a decision) until the next refresh brings the stored one. */
  patchRow(id: string, patch: Partial<CaseSummary>): void;
  /** Refetches the pages on screen (keeping the old rows until the new ones arrive) and drops the rest. */
  refresh(): Promise<void>;
}

export function useQueue(query: QueueQuery): QueueView {
  const [total, setTotal] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const pages = useRef(new Map<number, CaseSummary[]>());
  const inflight = useRef(new Map<number, Promise<CaseSummary[]>>());
  const generation = useRef(0);
  const visible = useRef<[number, number]>([0, 0]);
  const queryRef = useRef(query);
  queryRef.current = query;
  const key = JSON.stringify(query);

  const fetchPage = useCallback((page: number): Promise<CaseSummary[]> => {
    const existing = inflight.current.get(page);
    if (existing) return existing;
    const gen = generation.current;
    const promise = invoke('cases.list', { ...queryRef.current, offset: page * PAGE_SIZE, limit: PAGE_SIZE })
      .then((result) => {
        if (gen !== generation.current) return result.rows;
        pages.current.set(page, result.rows);
        setTotal(result.total);
        setLoaded(true);
        setError(null);
        setVersion((v) => v + 1);
        return result.rows;
      })
      .catch((e: unknown) => {
        if (gen === generation.current) setError(errorMessage(e));
        return [] as CaseSummary[];
      })
      .finally(() => {
        if (inflight.current.get(page) === promise) inflight.current.delete(page);
      });
    inflight.current.set(page, promise);
    return promise;
  }, []);

  useEffect(() => {
    generation.current += 1;
    pages.current = new Map();
    inflight.current = new Map();
    setLoaded(false);
    void fetchPage(0);
  }, [key, fetchPage]);

  const ensureRange = useCallback(
    (start: number, end: number) => {
      visible.current = [start, end];
      for (let page = Math.floor(start / PAGE_SIZE); page <= Math.floor(end / PAGE_SIZE); page++) {
        if (!pages.current.has(page)) void fetchPage(page);
      }
    },
    [fetchPage],
  );

  const refresh = useCallback(async () => {
    generation.current += 1;
    inflight.current = new Map();
    const [start, end] = visible.current;
    const first = Math.floor(start / PAGE_SIZE);
    const last = Math.floor(end / PAGE_SIZE);
    const keep = new Map<number, CaseSummary[]>();
    for (let p = first; p <= last; p++) {
      const rows = pages.current.get(p);
      if (rows) keep.set(p, rows);
    }
    pages.current = keep;
    const wanted = new Set([0, first, last]);
    for (let p = first; p <= last; p++) wanted.add(p);
    await Promise.all([...wanted].map((p) => fetchPage(p)));
  }, [fetchPage]);

  const rowAt = useCallback(
    (index: number) => pages.current.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE],
    [],
  );

  const loadRow = useCallback(
    async (index: number) => {
      if (index < 0) return undefined;
      const page = Math.floor(index / PAGE_SIZE);
      const rows = pages.current.get(page) ?? (await fetchPage(page));
      return rows[index % PAGE_SIZE];
    },
    [fetchPage],
  );

  const patchRow = useCallback((id: string, patch: Partial<CaseSummary>) => {
    for (const rows of pages.current.values()) {
      const index = rows.findIndex((r) => r.id === id);
      if (index >= 0) {
        rows[index] = { ...rows[index], ...patch };
        setVersion((v) => v + 1);
        return;
      }
    }
  }, []);

  return { total, loaded, error, version, rowAt, ensureRange, loadRow, refresh, patchRow };
}
