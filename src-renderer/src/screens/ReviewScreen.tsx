// The review queue: filters and a virtualized list on the left, the case in the middle, the decision on the right.
import { forwardRef, useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import type { AuditProgress } from '@domain/audits';
import type { QueueCounts, QueueFilter, QueueSort } from '@domain/cases';
import type { EngineState } from '@domain/engine';
import type { Settings } from '@domain/settings';
import { errorMessage, invoke, useApiEvent } from '../api';
import { CASE_SECTIONS, CaseView } from '../components/CaseView';
import { searchWords } from '../components/CaseText';
import { analysisToStore, DecisionPanel, type DecisionPanelHandle } from '../components/DecisionPanel';
import { QueueFilters } from '../components/QueueFilters';
import { QueueList } from '../components/QueueList';
import { auditButtonBlockedReason } from '../lib/audit-button';
import { coalesce } from '../lib/coalesce';
import { isTypingTarget, RISK_SHORTCUTS, singleKeyShortcut } from '../lib/keys';
import { riskLabel as riskName } from '../lib/format';
import { streamStore } from '../lib/stream-store';
import { useCaseDetail } from '../lib/use-case-detail';
import { scrollByPage } from '../lib/use-page-keys';
import { useQueue } from '../lib/use-queue';
import type { Notify } from '../lib/use-toasts';

export interface ReviewScreenHandle {
  focusSearch(): void;
  undoLast(): void;
  selectedCaseIds(): string[];
}

export const ReviewScreen = forwardRef<
  ReviewScreenHandle,
  {
    settings: Settings;
    notify: Notify;
    active: boolean;
    onSelectionChange: (ids: string[]) => void;
    engineState: EngineState;
    auditProgress: AuditProgress | null;
    /** Shown in the case pane while the workspace holds no case at all (what to do next). */
    emptyWorkspace?: React.ReactNode;
  }
>(function ReviewScreen(
  { settings, notify, active, onSelectionChange, engineState, auditProgress, emptyWorkspace },
  ref,
) {
  const [filter, setFilter] = useState<QueueFilter>({ status: 'all' });
  const [sort, setSort] = useState<QueueSort>('uncertainty');
  const [searchText, setSearchText] = useState('');
  const [counts, setCounts] = useState<QueueCounts | null>(null);
  const [selectedIndex, setSelectedIndex] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [selectedIds, setSelectedIds] = useState<Set<string>>(new Set());
  const [queueCollapsed, setQueueCollapsed] = useState(false);
  const [compactRows, setCompactRows] = useState(false);
  // F: the case gets the whole window (queue and decision panel out of the way); the decision keys keep working.
  const [caseOnly, setCaseOnly] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const decisionRef = useRef<DecisionPanelHandle>(null);
  const casePaneRef = useRef<HTMLElement>(null);
  const matchIndex = useRef(-1);
  const blind = settings.blindReviewers.includes(settings.reviewer);

  const query = { ...filter, sort };
  const queue = useQueue(query);
  const filterKey = JSON.stringify(filter);

  // Debounced search: the store runs FTS on every change, so wait for a pause in typing.
  useEffect(() => {
    const t = setTimeout(() => {
      setFilter((f) => ((f.search ?? '') === searchText.trim() ? f : { ...f, search: searchText.trim() || undefined }));
    }, 220);
    return () => clearTimeout(t);
  }, [searchText]);

  const loadCounts = useCallback(() => {
    const { status: _status, ...rest } = JSON.parse(filterKey) as QueueFilter;
    invoke('cases.counts', rest)
      .then(setCounts)
      .catch((e: unknown) => notify(`Could not count cases: ${errorMessage(e)}`, 'error'));
  }, [filterKey, notify]);
  useEffect(loadCounts, [loadCounts]);
  // Counting scans the filtered set: during a run of decisions, count once after the run, not per keypress.
  const countsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refreshCounts = useCallback(() => {
    if (countsTimer.current) clearTimeout(countsTimer.current);
    countsTimer.current = setTimeout(() => {
      countsTimer.current = null;
      loadCounts();
    }, 400);
  }, [loadCounts]);

  // New filter or sort: start at the top of the new list. A bulk selection made under the old filter would act
  // on cases out of sight, so it is cleared (and the moderator told).
  const selectionSize = useRef(0);
  selectionSize.current = selectedIds.size;
  useEffect(() => {
    setSelectedIndex(0);
    setSelectedId(null);
    if (selectionSize.current > 0) {
      notify(`Cleared the selection of ${selectionSize.current} case(s): the filter changed.`);
      setSelectedIds(new Set());
    }
  }, [filterKey, sort, notify]);

  // Keep the selected id in step with the selected row once its page is loaded.
  useEffect(() => {
    const row = queue.rowAt(selectedIndex);
    if (row && selectedId === null) setSelectedId(row.id);
    if (!row && queue.loaded && queue.total > 0 && selectedIndex >= queue.total) setSelectedIndex(queue.total - 1);
  }, [queue.version, queue.loaded, queue.total, selectedIndex, selectedId, queue]);

  const neighbourIds = [queue.rowAt(selectedIndex + 1)?.id, queue.rowAt(selectedIndex - 1)?.id].filter(
    (id): id is string => !!id,
  );
  const { detail, draft, setDraft, revealed, toggleRevealed, reload, forget, reveal } = useCaseDetail(
    selectedId,
    neighbourIds,
    notify,
    blind,
  );
  // Audit on open: on a CPU a case takes about a minute, so the case the moderator opens jumps the batch queue (or is
  // audited alone when no batch runs) and its analysis streams into the view. Moving on hands the slot back. The
  // runner ignores a case that already has a verdict, so opening audited cases costs one cheap call.
  const engineLoaded = engineState.state === 'loaded';
  useEffect(() => {
    if (!active || !engineLoaded || !selectedId) return;
    invoke('audit.prioritize', { caseId: selectedId }).catch(() => undefined);
    return () => {
      invoke('audit.prioritize', { caseId: null }).catch(() => undefined);
    };
  }, [active, engineLoaded, selectedId]);
  // Blind review: the core withholds the model's verdict and the gold label (api/blind-review.ts) until the
  // moderator's first choice, which asks for them.
  const modelHidden = !!detail?.blindWithheld && draft?.risk === null;
  const firstChoice = detail?.blindWithheld ? (draft?.risk ?? null) : null;
  useEffect(() => {
    if (firstChoice !== null) reveal(firstChoice);
  }, [firstChoice, reveal]);
  // A blind reviewer's queue has a neutral order and no model or gold filters (the core refuses them).
  useEffect(() => {
    setSort(blind ? 'newest' : 'uncertainty');
    if (!blind) return;
    setFilter(({ modelRisk: _m, gold: _g, category: _c, needsRationale: _n, ...rest }) =>
      rest.status === 'disagree' ? { ...rest, status: 'all' } : rest,
    );
  }, [blind]);

  /** Where a case sits among the rows loaded around the open one (-1 when it is not there). */
  const loadedIndexOf = useCallback(
    (id: string, around: number) => {
      for (let d = 0; d <= 300; d++) {
        if (queue.rowAt(around - d)?.id === id) return around - d;
        if (queue.rowAt(around + d)?.id === id) return around + d;
      }
      return -1;
    },
    [queue],
  );

  const refreshAll = useCallback(async () => {
    await queue.refresh();
    refreshCounts();
    reload();
  }, [queue, refreshCounts, reload]);

  // Changes arrive in bursts (a run of decisions, a batch audit): refresh once they settle, at least every 3 s.
  const refreshAllRef = useRef(refreshAll);
  refreshAllRef.current = refreshAll;
  const scheduleRefresh = useMemo(() => coalesce(() => void refreshAllRef.current(), 350, 3000), []);

  // After a refresh the open case may have moved (a decided case left the filtered list, a re-sort): follow it, so
  // the highlighted row is always the open case. If it left the loaded rows, no row is highlighted.
  useEffect(() => {
    if (!selectedId || queue.rowAt(selectedIndex)?.id === selectedId) return;
    if (selectedIndex >= 0 && !queue.rowAt(selectedIndex)) return; // its page is still loading
    setSelectedIndex(loadedIndexOf(selectedId, Math.max(selectedIndex, 0)));
  }, [queue.version, queue, selectedId, selectedIndex, loadedIndexOf]);
  useApiEvent('cases.changed', ({ caseIds }) => {
    forget(caseIds);
    scheduleRefresh();
  });
  useApiEvent('audit.verdict', ({ caseId }) => {
    streamStore.finish(caseId);
    forget([caseId]);
    scheduleRefresh();
  });

  const select = useCallback(
    async (index: number) => {
      if (index < 0 || (queue.total > 0 && index >= queue.total)) return;
      setSelectedIndex(index);
      const row = queue.rowAt(index) ?? (await queue.loadRow(index));
      if (row) setSelectedId(row.id);
    },
    [queue],
  );

  const toggleSelected = useCallback((id: string) => {
    setSelectedIds((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  useEffect(() => onSelectionChange([...selectedIds]), [selectedIds, onSelectionChange]);
  // A selection belongs to the visit to this screen that made it: coming back (after an audit of the selection,
  // say) starts with none, so a later Shift+A cannot act on cases picked long before.
  const wasActive = useRef(active);
  useEffect(() => {
    const returned = active && !wasActive.current;
    wasActive.current = active;
    if (returned && selectionSize.current > 0) {
      notify(`Cleared the selection of ${selectionSize.current} case(s) made before you left the Review screen.`);
      setSelectedIds(new Set());
    }
  }, [active, notify]);

  /** Records a decision, then moves to the case that followed it in the list as it was before the decision. */
  const submit = useCallback(
    async (source: 'manual' | 'accept_model') => {
      if (!detail || !draft || busy) return;
      const audit = detail.latestAudit;
      const input =
        source === 'accept_model'
          ? audit && audit.status === 'ok' && audit.risk !== null
            ? { risk: audit.risk, category: audit.category, analysis: audit.analysis }
            : null
          : draft.risk !== null
            ? { risk: draft.risk, category: draft.category, analysis: analysisToStore(draft) }
            : null;
      if (!input) {
        notify(
          source === 'accept_model'
            ? detail.blindWithheld
              ? 'Blind review: make your own choice first (1, 2 or 3); the model’s verdict shows after it.'
              : 'The model has no verdict to accept for this case.'
            : 'Pick a risk level first (1, 2 or 3).',
        );
        return;
      }
      setBusy(true);
      // Where the open case is in the list as it is now: a refresh since it was opened (a filter the decisions leave,
      // "Corrections without a rationale") may have moved it, and the case after the old index may not exist.
      const found = loadedIndexOf(detail.id, selectedIndex);
      const index = found >= 0 ? found : selectedIndex;
      const next = queue.rowAt(index + 1) ?? (await queue.loadRow(index + 1));
      try {
        await invoke('reviews.submit', {
          caseId: detail.id,
          ...input,
          note: draft.note || null,
          reviewer: settings.reviewer,
          source,
        });
      } catch (e) {
        notify(`Decision not saved: ${errorMessage(e)}`, 'error');
        setBusy(false);
        return;
      }
      forget([detail.id]);
      if (next) {
        setSelectedIndex(index + 1);
        setSelectedId(next.id);
      } else {
        reload();
      }
      setBusy(false);
      // Show the decision in the list now; the stored rows (and counts) follow once the moderator pauses.
      queue.patchRow(detail.id, {
        humanRisk: input.risk,
        humanCategory: input.category ?? null,
        reviewedBy: settings.reviewer,
      });
      scheduleRefresh();
    },
    [
      detail,
      draft,
      busy,
      selectedIndex,
      queue,
      settings.reviewer,
      notify,
      scheduleRefresh,
      forget,
      reload,
      loadedIndexOf,
    ],
  );

  const undoLast = useCallback(async () => {
    try {
      const undone = await invoke('reviews.undoLast', { reviewer: settings.reviewer });
      notify(undone ? 'Undid your last decision; that case is open again.' : 'You have no decision to undo.');
      if (!undone) return;
      forget([undone.caseId]);
      await refreshAll();
      // Back to the case whose decision was taken back (highlighted when it is in the list as filtered).
      setSelectedIndex((index) => loadedIndexOf(undone.caseId, Math.max(index, 0)));
      setSelectedId(undone.caseId);
    } catch (e) {
      notify(`Undo failed: ${errorMessage(e)}`, 'error');
    }
  }, [settings.reviewer, notify, refreshAll, forget, loadedIndexOf]);

  const reauditReason = auditButtonBlockedReason({
    engineLoaded: engineState.state === 'loaded',
    progress: auditProgress,
    openCaseId: detail?.id,
    seqOf: (caseId) => queue.rowAt(loadedIndexOf(caseId, selectedIndex))?.seq,
  });
  const reaudit = useCallback(async () => {
    if (!detail) return;
    try {
      await invoke('audit.start', { caseIds: [detail.id] });
      notify(`Auditing case #${detail.seq} again.`);
    } catch (e) {
      notify(`Could not start the audit: ${errorMessage(e)}`, 'error');
    }
  }, [detail, notify]);

  const scrollCase = useCallback((how: 'down' | 'up' | 'top' | 'bottom') => {
    const pane = casePaneRef.current;
    if (!pane) return;
    if (how === 'top') pane.scrollTop = 0;
    else if (how === 'bottom') pane.scrollTop = pane.scrollHeight;
    else scrollByPage(pane, how === 'down' ? 1 : -1);
  }, []);
  const jumpTo = useCallback((section: keyof typeof CASE_SECTIONS) => {
    const target = document.getElementById(CASE_SECTIONS[section]);
    target?.scrollIntoView({ block: 'start' });
  }, []);
  const moveMatch = useCallback(
    (step: 1 | -1) => {
      const hits = [...(casePaneRef.current?.querySelectorAll<HTMLElement>('mark[data-search-hit]') ?? [])];
      if (hits.length === 0) {
        notify(filter.search ? 'No search match in this case.' : 'Search first (/), then move between matches.');
        return;
      }
      for (const hit of hits) hit.removeAttribute('data-current');
      matchIndex.current = (matchIndex.current + step + hits.length) % hits.length;
      const hit = hits[matchIndex.current];
      hit.setAttribute('data-current', 'true');
      hit.scrollIntoView({ block: 'center' });
    },
    [filter.search, notify],
  );
  useEffect(() => {
    matchIndex.current = -1;
  }, [detail?.id, filter.search]);

  const bulkAccept = useCallback(async () => {
    const ids = [...selectedIds];
    if (ids.length === 0) {
      notify('Select cases first (X, or the row checkboxes).');
      return;
    }
    try {
      const r = await invoke('reviews.bulkAccept', { caseIds: ids, reviewer: settings.reviewer });
      notify(`Accepted the model's verdict on ${r.accepted} case(s); ${r.skipped} skipped (no verdict).`);
      setSelectedIds(new Set());
      forget(ids);
      await refreshAll();
    } catch (e) {
      notify(`Bulk accept failed: ${errorMessage(e)}`, 'error');
    }
  }, [selectedIds, settings.reviewer, notify, refreshAll, forget]);

  useImperativeHandle(ref, () => ({
    focusSearch: () => searchRef.current?.focus(),
    undoLast: () => void undoLast(),
    selectedCaseIds: () => [...selectedIds],
  }));

  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (document.querySelector('[role="dialog"]')) return;
      if (isTypingTarget(e.target)) return;
      const key = e.key;
      // Enter or Space on a focused button (reached with Tab) activates that button, not submit or scroll.
      if (
        (key === 'Enter' || key === ' ') &&
        e.target instanceof HTMLElement &&
        e.target.closest('button, a, [role="radio"], [role="checkbox"]')
      )
        return;
      const id = singleKeyShortcut(e);
      if (!id) return;
      const risk = RISK_SHORTCUTS.find((k) => k.id === id);
      const handled = () => e.preventDefault();
      if (risk) {
        if (!draft) return;
        handled();
        setDraft({ ...draft, risk: risk.risk });
        return;
      }
      switch (id) {
        case 'queue.next':
          handled();
          return void select(selectedIndex + 1);
        case 'queue.prev':
          handled();
          return void select(selectedIndex - 1);
        case 'decision.submit':
          handled();
          return void submit('manual');
        case 'decision.accept':
          handled();
          return void submit('accept_model');
        case 'queue.bulkAccept':
          handled();
          return void bulkAccept();
        case 'queue.clearSelection':
          handled();
          return setSelectedIds(new Set());
        case 'decision.category':
        case 'decision.analysis':
        case 'decision.note':
          handled();
          return decisionRef.current?.focus(
            id === 'decision.category' ? 'category' : id === 'decision.analysis' ? 'analysis' : 'note',
          );
        case 'image.reveal':
          handled();
          return toggleRevealed();
        case 'queue.select':
          handled();
          if (selectedId) toggleSelected(selectedId);
          return;
        case 'decision.undo':
          handled();
          return void undoLast();
        case 'queue.search':
          handled();
          return searchRef.current?.focus();
        case 'queue.toggle':
          handled();
          return setQueueCollapsed((c) => !c);
        case 'case.focus':
          handled();
          return setCaseOnly((on) => !on);
        case 'case.scrollDown':
          handled();
          return scrollCase('down');
        case 'case.scrollUp':
          handled();
          return scrollCase('up');
        case 'case.top':
          handled();
          return scrollCase('top');
        case 'case.bottom':
          handled();
          return scrollCase('bottom');
        case 'case.query':
          handled();
          return jumpTo('query');
        case 'case.trace':
          handled();
          return jumpTo('trace');
        case 'case.response':
          handled();
          return jumpTo('response');
        case 'case.analysis':
          handled();
          return jumpTo('analysis');
        case 'case.nextMatch':
          handled();
          return moveMatch(1);
        case 'case.prevMatch':
          handled();
          return moveMatch(-1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [
    active,
    draft,
    setDraft,
    selectedIndex,
    selectedId,
    select,
    submit,
    bulkAccept,
    undoLast,
    toggleSelected,
    toggleRevealed,
    scrollCase,
    jumpTo,
    moveMatch,
  ]);

  const setField = <K extends keyof QueueFilter>(key: K, value: QueueFilter[K]) =>
    setFilter((f) => ({ ...f, [key]: value }));

  const words = useMemo(() => searchWords(filter.search), [filter.search]);

  return (
    <div className="flex min-h-0 min-w-0 flex-1">
      <aside
        className={
          queueCollapsed || caseOnly
            ? 'hidden'
            : 'flex w-[300px] shrink-0 flex-col border-r border-zinc-200 xl:w-[360px] dark:border-zinc-800'
        }
        aria-label="Queue"
        data-testid="queue-column"
      >
        <div className="flex flex-col gap-1.5 border-b border-zinc-200 p-2 dark:border-zinc-800">
          <QueueFilters
            ref={searchRef}
            filter={filter}
            onFilter={setField}
            sort={sort}
            onSort={setSort}
            searchText={searchText}
            onSearchText={setSearchText}
            counts={counts}
            blind={blind}
          />
          <div className="flex flex-wrap items-center justify-between gap-x-2 text-[11.5px] text-zinc-600 dark:text-zinc-400">
            <span data-testid="queue-total">
              {queue.total.toLocaleString()} case{queue.total === 1 ? '' : 's'}
              {selectedIds.size > 0 && (
                <>
                  {` · ${selectedIds.size} selected `}
                  <button
                    type="button"
                    className="underline"
                    onClick={() => setSelectedIds(new Set())}
                    data-testid="queue-clear-selection"
                  >
                    clear <kbd>⇧X</kbd>
                  </button>
                </>
              )}
            </span>
            <span className="flex items-center gap-2">
              <label className="flex items-center gap-1">
                <input
                  type="checkbox"
                  checked={compactRows}
                  onChange={(e) => setCompactRows(e.target.checked)}
                  data-testid="compact-rows"
                />
                compact
              </label>
              <span>
                <kbd>J</kbd>/<kbd>K</kbd> move · <kbd>X</kbd> select · <kbd>B</kbd> hide
              </span>
            </span>
          </div>
          {queue.error && (
            <p className="text-[12px] text-rose-700 dark:text-rose-300">Could not load the queue: {queue.error}</p>
          )}
        </div>
        <QueueList
          queue={queue}
          selectedIndex={selectedIndex}
          selectedIds={selectedIds}
          onSelect={(i) => void select(i)}
          onToggleSelected={toggleSelected}
          compact={compactRows}
        />
      </aside>

      <div className={`flex min-h-0 min-w-0 flex-1 flex-col ${caseOnly ? '' : 'min-[1200px]:flex-row'}`}>
        <main
          ref={casePaneRef}
          className="min-h-0 min-w-0 flex-1 overflow-auto focus-visible:outline-offset-[-2px]"
          aria-label="Case"
          tabIndex={0}
          data-testid="case-pane"
        >
          {queueCollapsed && !caseOnly && (
            <button
              type="button"
              className="btn m-2 mb-0"
              onClick={() => setQueueCollapsed(false)}
              data-testid="show-queue"
            >
              Show queue <kbd>B</kbd>
            </button>
          )}
          {detail ? (
            <CaseView
              detail={detail}
              revealed={revealed}
              onToggleReveal={toggleRevealed}
              blurImages={settings.blurImages}
              grayscaleImages={settings.grayscaleImages}
              searchWords={words}
              modelHidden={modelHidden}
              reaudit={{ run: () => void reaudit(), disabledReason: reauditReason }}
            />
          ) : queue.total === 0 && emptyWorkspace ? (
            emptyWorkspace
          ) : (
            <p className="p-6 text-zinc-600 dark:text-zinc-400">
              {queue.total === 0 ? 'No case to show.' : 'Select a case.'}
            </p>
          )}
        </main>

        {caseOnly && (
          <p
            className="flex shrink-0 flex-wrap items-center gap-x-3 border-t border-zinc-200 px-3 py-1 text-[12.5px] text-zinc-700 dark:border-zinc-800 dark:text-zinc-300"
            data-testid="case-only-bar"
            aria-live="polite"
          >
            <span className="font-semibold text-zinc-900 dark:text-zinc-100">
              {draft?.risk == null ? 'Your decision: not made yet' : `Your decision: ${riskName(draft.risk)}`}
            </span>
            <span>
              <kbd>1</kbd> <kbd>2</kbd> <kbd>3</kbd> risk · <kbd>Enter</kbd> submit &amp; next · <kbd>F</kbd> queue and
              decision panel back
            </span>
          </p>
        )}
        <aside
          hidden={caseOnly}
          className="max-h-[48%] shrink-0 overflow-auto border-t border-zinc-200 min-[1200px]:max-h-none min-[1200px]:w-[330px] min-[1200px]:border-t-0 min-[1200px]:border-l dark:border-zinc-800"
          aria-label="Decision"
          data-testid="decision-column"
        >
          {detail && draft && (
            <DecisionPanel
              ref={decisionRef}
              detail={detail}
              draft={draft}
              onChange={setDraft}
              onSubmit={() => void submit('manual')}
              onAccept={() => void submit('accept_model')}
              onUndo={() => void undoLast()}
              busy={busy}
              reviewer={settings.reviewer}
              selectedCount={selectedIds.size}
              onBulkAccept={() => void bulkAccept()}
              onClearSelection={() => setSelectedIds(new Set())}
              modelHidden={modelHidden}
            />
          )}
        </aside>
      </div>
    </div>
  );
});
