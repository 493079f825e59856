// The review queue: filters and a virtualized list on the left, the case in the middle, the decision on the right.
import { forwardRef, useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import type { CaseDetail, CaseStatusFilter, FilterCounts, QueueFilter, QueueSort } from '@domain/cases';
import type { Settings } from '@domain/settings';
import { CATEGORIES, type Category, type RiskLevel } from '@domain/types';
import { errorMessage, invoke, useApiEvent } from '../api';
import { CaseView } from '../components/CaseView';
import { DecisionPanel, draftFor, type DecisionPanelHandle, type Draft } from '../components/DecisionPanel';
import { QueueList } from '../components/QueueList';
import { coalesce } from '../lib/coalesce';
import { isTypingTarget, RISK_KEYS } from '../lib/keys';
import { streamStore } from '../lib/stream-store';
import { useQueue } from '../lib/use-queue';

const STATUS_FILTERS: Array<{ value: CaseStatusFilter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'not_audited', label: 'Not audited' },
  { value: 'audited', label: 'Audited' },
  { value: 'unreviewed', label: 'Not reviewed' },
  { value: 'reviewed', label: 'Reviewed' },
  { value: 'disagree', label: 'Disagree' },
  { value: 'parse_failure', label: 'Parse failure' },
];

const SORTS: Array<{ value: QueueSort; label: string }> = [
  { value: 'uncertainty', label: 'Uncertainty (parse failures, 0.5, gold disagreement first)' },
  { value: 'model_risk', label: 'Model risk (harmful first)' },
  { value: 'newest', label: 'Newest' },
];

export interface ReviewScreenHandle {
  focusSearch(): void;
  undoLast(): void;
  selectedCaseIds(): string[];
}

function riskFromSelect(value: string): RiskLevel | undefined {
  return value === '' ? undefined : (Number(value) as RiskLevel);
}

export const ReviewScreen = forwardRef<
  ReviewScreenHandle,
  {
    settings: Settings;
    notify: (message: string, kind?: 'info' | 'error') => void;
    active: boolean;
    onSelectionChange: (ids: string[]) => void;
  }
>(function ReviewScreen({ settings, notify, active, onSelectionChange }, ref) {
  const [filter, setFilter] = useState<QueueFilter>({ status: 'all' });
  const [sort, setSort] = useState<QueueSort>('uncertainty');
  const [searchText, setSearchText] = useState('');
  const [counts, setCounts] = useState<FilterCounts | null>(null);
  const [selectedIndex, setSelectedIndex] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [revealed, setRevealed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [selectedIds, setSelectedIds] = useState<Set<string>>(new Set());
  const searchRef = useRef<HTMLInputElement>(null);
  const decisionRef = useRef<DecisionPanelHandle>(null);
  const detailCache = useRef(new Map<string, CaseDetail>());

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

  // New filter or sort: start at the top of the new list.
  useEffect(() => {
    setSelectedIndex(0);
    setSelectedId(null);
  }, [filterKey, sort]);

  // Keep the selected id in step with the selected row once its page is loaded.
  useEffect(() => {
    const row = queue.rowAt(selectedIndex);
    if (row && selectedId === null) setSelectedId(row.id);
    if (!row && queue.loaded && queue.total > 0 && selectedIndex >= queue.total) setSelectedIndex(queue.total - 1);
  }, [queue.version, queue.loaded, queue.total, selectedIndex, selectedId, queue]);

  const loadDetail = useCallback(async (id: string, useCache: boolean) => {
    const cached = useCache ? detailCache.current.get(id) : undefined;
    if (cached) return cached;
    const fresh = await invoke('cases.get', { id });
    detailCache.current.set(id, fresh);
    if (detailCache.current.size > 50) detailCache.current.delete(detailCache.current.keys().next().value!);
    return fresh;
  }, []);

  // Bumped to refetch the open case; moving to another case uses the prefetched copy when there is one.
  const [detailVersion, setDetailVersion] = useState(0);
  const lastDetailVersion = useRef(0);
  useEffect(() => {
    if (!selectedId) {
      setDetail(null);
      return;
    }
    let cancelled = false;
    const forceFresh = lastDetailVersion.current !== detailVersion;
    lastDetailVersion.current = detailVersion;
    loadDetail(selectedId, !forceFresh)
      .then((d) => {
        if (cancelled) return;
        setDetail((prev) => {
          if (prev?.id !== d.id) {
            setDraft(draftFor(d));
            setRevealed(false);
          } else if (prev.latestAudit?.id !== d.latestAudit?.id || prev.currentReview?.id !== d.currentReview?.id) {
            setDraft(draftFor(d));
          }
          return d;
        });
      })
      .catch((e: unknown) => !cancelled && notify(`Could not open case ${selectedId}: ${errorMessage(e)}`, 'error'));
    return () => {
      cancelled = true;
    };
  }, [selectedId, detailVersion, loadDetail, notify]);

  // Prefetch the neighbours, so j/k and submit & next show the next case without waiting for the core.
  useEffect(() => {
    if (!detail) return;
    for (const index of [selectedIndex + 1, selectedIndex - 1]) {
      const row = queue.rowAt(index);
      if (row && !detailCache.current.has(row.id)) void loadDetail(row.id, true).catch(() => undefined);
    }
  }, [detail, selectedIndex, queue, queue.version, loadDetail]);

  const refreshAll = useCallback(async () => {
    await queue.refresh();
    refreshCounts();
    setDetailVersion((v) => v + 1);
  }, [queue, refreshCounts]);

  // Changes arrive in bursts (a run of decisions, a batch audit): refresh once they settle, at least every 3 s.
  const refreshAllRef = useRef(refreshAll);
  refreshAllRef.current = refreshAll;
  const scheduleRefresh = useMemo(() => coalesce(() => void refreshAllRef.current(), 350, 3000), []);

  // After a refresh the open case may have moved by a row (a decided case left the filtered list): follow it.
  useEffect(() => {
    if (!selectedId || queue.rowAt(selectedIndex)?.id === selectedId) return;
    for (const candidate of [selectedIndex - 1, selectedIndex + 1, selectedIndex - 2, selectedIndex + 2]) {
      if (queue.rowAt(candidate)?.id === selectedId) {
        setSelectedIndex(candidate);
        return;
      }
    }
  }, [queue.version, queue, selectedId, selectedIndex]);
  useApiEvent('cases.changed', ({ caseIds }) => {
    if (caseIds === 'all') detailCache.current.clear();
    else for (const id of caseIds) detailCache.current.delete(id);
    scheduleRefresh();
  });
  useApiEvent('audit.verdict', ({ caseId }) => {
    streamStore.finish(caseId);
    detailCache.current.delete(caseId);
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
            ? { risk: draft.risk, category: draft.category, analysis: draft.analysis || null }
            : null;
      if (!input) {
        notify(
          source === 'accept_model'
            ? 'The model has no verdict to accept for this case.'
            : 'Pick a risk level first (1, 2 or 3).',
        );
        return;
      }
      setBusy(true);
      const index = selectedIndex;
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
      detailCache.current.delete(detail.id);
      if (next) {
        setSelectedIndex(index + 1);
        setSelectedId(next.id);
      } else {
        setDetailVersion((v) => v + 1);
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
    [detail, draft, busy, selectedIndex, queue, settings.reviewer, notify, scheduleRefresh],
  );

  const undoLast = useCallback(async () => {
    try {
      const undone = await invoke('reviews.undoLast', { reviewer: settings.reviewer });
      notify(undone ? `Undid your last decision on case ${undone.caseId}.` : 'You have no decision to undo.');
      if (undone) detailCache.current.delete(undone.caseId);
      await refreshAll();
    } catch (e) {
      notify(`Undo failed: ${errorMessage(e)}`, 'error');
    }
  }, [settings.reviewer, notify, refreshAll]);

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
      for (const id of ids) detailCache.current.delete(id);
      await refreshAll();
    } catch (e) {
      notify(`Bulk accept failed: ${errorMessage(e)}`, 'error');
    }
  }, [selectedIds, settings.reviewer, notify, refreshAll]);

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
      // Enter on a focused button (reached with Tab) activates that button, not submit & next.
      if (
        key === 'Enter' &&
        e.target instanceof HTMLElement &&
        e.target.closest('button, a, [role="radio"], [role="checkbox"]')
      )
        return;
      const risk = RISK_KEYS.find((k) => k.key === key);
      const handled = () => e.preventDefault();
      if (risk && draft) {
        handled();
        setDraft({ ...draft, risk: risk.risk });
      } else if (key === 'j' || key === 'ArrowDown') {
        handled();
        void select(selectedIndex + 1);
      } else if (key === 'k' || key === 'ArrowUp') {
        handled();
        void select(selectedIndex - 1);
      } else if (key === 'Enter') {
        handled();
        void submit('manual');
      } else if (key === 'a') {
        handled();
        void submit('accept_model');
      } else if (key === 'A') {
        handled();
        void bulkAccept();
      } else if (key === 'c' || key === 'e' || key === 'n') {
        handled();
        decisionRef.current?.focus(key === 'c' ? 'category' : key === 'e' ? 'analysis' : 'note');
      } else if (key === 'v') {
        handled();
        setRevealed((r) => !r);
      } else if (key === 'x') {
        handled();
        if (selectedId) toggleSelected(selectedId);
      } else if (key === 'u') {
        handled();
        void undoLast();
      } else if (key === '/') {
        handled();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, draft, selectedIndex, selectedId, select, submit, bulkAccept, undoLast, toggleSelected]);

  const setField = <K extends keyof QueueFilter>(key: K, value: QueueFilter[K]) =>
    setFilter((f) => ({ ...f, [key]: value }));

  return (
    <div className="flex min-h-0 flex-1">
      <aside
        className="flex w-[390px] shrink-0 flex-col border-r border-zinc-200 dark:border-zinc-800"
        aria-label="Queue"
      >
        <div className="flex flex-col gap-2 border-b border-zinc-200 p-2 dark:border-zinc-800">
          <label className="relative block">
            <span className="sr-only">Search query, trace and response</span>
            <input
              ref={searchRef}
              type="search"
              className="field w-full pr-8"
              placeholder="Search query, trace, response…"
              value={searchText}
              data-testid="search-input"
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape' || e.key === 'Enter') {
                  e.preventDefault();
                  e.currentTarget.blur();
                }
              }}
            />
            <kbd className="absolute top-1.5 right-2">/</kbd>
          </label>
          <div role="radiogroup" aria-label="Status" className="flex flex-wrap gap-1">
            {STATUS_FILTERS.map(({ value, label }) => (
              <button
                key={value}
                role="radio"
                aria-checked={(filter.status ?? 'all') === value}
                data-testid={`status-${value}`}
                className="rounded border border-zinc-300 px-1.5 py-0.5 text-[11.5px] aria-checked:border-sky-600 aria-checked:bg-sky-600 aria-checked:text-white dark:border-zinc-700"
                onClick={() => setField('status', value)}
              >
                {label} <span className="tabular-nums opacity-70">{counts ? counts[value].toLocaleString() : '…'}</span>
              </button>
            ))}
          </div>
          <div className="grid grid-cols-2 gap-1.5">
            <RiskSelect
              label="Model risk"
              value={filter.modelRisk}
              onChange={(v) => setField('modelRisk', v)}
              testId="filter-model-risk"
            />
            <RiskSelect
              label="Human risk"
              value={filter.humanRisk}
              onChange={(v) => setField('humanRisk', v)}
              testId="filter-human-risk"
            />
            <RiskSelect
              label="Gold label"
              value={filter.gold}
              onChange={(v) => setField('gold', v)}
              testId="filter-gold"
            />
            <label className="flex flex-col gap-0.5">
              <span className="label">Category</span>
              <select
                className="field py-0.5"
                value={filter.category ?? ''}
                data-testid="filter-category"
                onChange={(e) => setField('category', (e.target.value || undefined) as Category | undefined)}
              >
                <option value="">Any</option>
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <label className="col-span-2 flex flex-col gap-0.5">
              <span className="label">Sort</span>
              <select
                className="field py-0.5"
                value={sort}
                data-testid="sort-select"
                onChange={(e) => setSort(e.target.value as QueueSort)}
              >
                {SORTS.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="flex items-center justify-between text-[11.5px] text-zinc-500">
            <span data-testid="queue-total">
              {queue.total.toLocaleString()} case{queue.total === 1 ? '' : 's'}
              {selectedIds.size > 0 && ` · ${selectedIds.size} selected`}
            </span>
            <span>
              <kbd>J</kbd>/<kbd>K</kbd> move · <kbd>X</kbd> select
            </span>
          </div>
          {queue.error && <p className="text-[12px] text-rose-600">Could not load the queue: {queue.error}</p>}
        </div>
        <QueueList
          queue={queue}
          selectedIndex={selectedIndex}
          selectedIds={selectedIds}
          onSelect={(i) => void select(i)}
          onToggleSelected={toggleSelected}
        />
      </aside>

      <main className="min-w-0 flex-1 overflow-auto" aria-label="Case">
        {detail ? (
          <CaseView
            detail={detail}
            revealed={revealed}
            onToggleReveal={() => setRevealed((r) => !r)}
            blurImages={settings.blurImages}
            grayscaleImages={settings.grayscaleImages}
          />
        ) : (
          <p className="p-6 text-zinc-500">{queue.total === 0 ? 'No case to show.' : 'Select a case.'}</p>
        )}
      </main>

      <aside
        className="w-[320px] shrink-0 overflow-auto border-l border-zinc-200 dark:border-zinc-800"
        aria-label="Decision"
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
          />
        )}
      </aside>
    </div>
  );
});

function RiskSelect({
  label,
  value,
  onChange,
  testId,
}: {
  label: string;
  value: RiskLevel | undefined;
  onChange: (value: RiskLevel | undefined) => void;
  testId: string;
}) {
  return (
    <label className="flex flex-col gap-0.5">
      <span className="label">{label}</span>
      <select
        className="field py-0.5"
        value={value ?? ''}
        data-testid={testId}
        onChange={(e) => onChange(riskFromSelect(e.target.value))}
      >
        <option value="">Any</option>
        <option value="0">Safe (0)</option>
        <option value="0.5">Potentially harmful (0.5)</option>
        <option value="1">Harmful (1)</option>
      </select>
    </label>
  );
}
