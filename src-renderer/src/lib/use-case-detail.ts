// The open case: its detail (from a small cache, prefetched for the neighbours so j/k and submit & next do not
// wait for the core), the moderator's draft decision for it and whether its image is revealed.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaseDetail } from '@domain/cases';
import type { RiskLevel } from '@domain/types';
import { errorMessage, invoke } from '../api';
import { draftFor, type Draft } from '../components/DecisionPanel';
import type { Notify } from './use-toasts';

const CACHE_SIZE = 50;

export interface CaseDetailView {
  detail: CaseDetail | null;
  draft: Draft | null;
  setDraft: (draft: Draft) => void;
  revealed: boolean;
  toggleRevealed: () => void;
  /** Refetches the open case (bypassing the cache). */
  reload: () => void;
  /** Drops cached copies: after a change to those cases, or 'all'. */
  forget: (ids: string[] | 'all') => void;
  /** Blind review: fetches what the core withheld from the open case, once the moderator has made a choice. */
  reveal: (choice: RiskLevel) => void;
}

export function useCaseDetail(
  selectedId: string | null,
  neighbourIds: string[],
  notify: Notify,
  blind = false,
): CaseDetailView {
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [revealed, setRevealed] = useState(false);
  const cache = useRef(new Map<string, CaseDetail>());
  // Blind review: the cases whose verdict the moderator has unlocked with a first choice (and that choice), so a
  // refetch keeps showing it instead of hiding it again until the decision is stored.
  const revealedChoices = useRef(new Map<string, RiskLevel>());

  const load = useCallback(async (id: string, useCache: boolean) => {
    const cached = useCache ? cache.current.get(id) : undefined;
    if (cached) return cached;
    const choice = revealedChoices.current.get(id);
    const fresh = await (choice === undefined ? invoke('cases.get', { id }) : invoke('cases.reveal', { id, choice }));
    cache.current.set(id, fresh);
    if (cache.current.size > CACHE_SIZE) cache.current.delete(cache.current.keys().next().value!);
    return fresh;
  }, []);

  // Bumped to refetch the open case; moving to another case uses the prefetched copy when there is one.
  const [version, setVersion] = useState(0);
  const lastVersion = useRef(0);
  useEffect(() => {
    if (!selectedId) {
      setDetail(null);
      return;
    }
    let cancelled = false;
    const forceFresh = lastVersion.current !== version;
    lastVersion.current = version;
    load(selectedId, !forceFresh)
      .then((d) => {
        if (cancelled) return;
        setDetail((prev) => {
          if (prev?.id !== d.id) {
            setDraft(draftFor(d, blind));
            setRevealed(false);
          } else if (prev.latestAudit?.id !== d.latestAudit?.id || prev.currentReview?.id !== d.currentReview?.id) {
            setDraft(draftFor(d, blind));
          }
          return d;
        });
      })
      .catch((e: unknown) => !cancelled && notify(`Could not open the case: ${errorMessage(e)}`, 'error'));
    return () => {
      cancelled = true;
    };
  }, [selectedId, version, load, notify, blind]);

  // Blind review turned on or off: what the core sends for each case changed, so nothing cached is still right.
  const blindBefore = useRef(blind);
  useEffect(() => {
    if (blindBefore.current === blind) return;
    blindBefore.current = blind;
    cache.current.clear();
    revealedChoices.current.clear();
    setVersion((v) => v + 1);
  }, [blind]);

  const neighbourKey = neighbourIds.join('\n');
  useEffect(() => {
    if (!detail) return;
    for (const id of neighbourKey.split('\n')) {
      if (id && !cache.current.has(id)) void load(id, true).catch(() => undefined);
    }
  }, [detail, neighbourKey, load]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const forget = useCallback((ids: string[] | 'all') => {
    if (ids === 'all') cache.current.clear();
    else for (const id of ids) cache.current.delete(id);
  }, []);
  const toggleRevealed = useCallback(() => setRevealed((r) => !r), []);
  const reveal = useCallback(
    (choice: RiskLevel) => {
      const id = detail?.id;
      if (!id || !detail.blindWithheld || revealedChoices.current.has(id)) return;
      revealedChoices.current.set(id, choice);
      invoke('cases.reveal', { id, choice })
        .then((full) => {
          cache.current.set(id, full);
          // The moderator's draft stays as it is: the verdict is shown beside their choice, not put in its place.
          setDetail((prev) => (prev?.id === id ? full : prev));
        })
        .catch((e: unknown) => notify(`Could not show the model's verdict: ${errorMessage(e)}`, 'error'));
    },
    [detail, notify],
  );
  return { detail, draft, setDraft, revealed, toggleRevealed, reload, forget, reveal };
}
