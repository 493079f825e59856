// Search, status chips with counts, and the model / human / gold / category / sort filters, folded into one row.
import { forwardRef } from 'react';
import type { CaseStatusFilter, QueueCounts, QueueFilter, QueueSort } from '@domain/cases';
import { TeamFilter } from './TeamFilter';
import { CATEGORIES, RISK_LABELS, RISK_LEVELS, type Category, type RiskLevel } from '@domain/types';

export const STATUS_FILTERS: Array<{ value: CaseStatusFilter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'not_audited', label: 'Not audited' },
  { value: 'audited', label: 'Audited' },
  { value: 'unreviewed', label: 'Not reviewed' },
  { value: 'reviewed', label: 'Reviewed' },
  { value: 'disagree', label: 'Disagree' },
  { value: 'parse_failure', label: 'Parse failure' },
  { value: 'truncated', label: 'Truncated' },
  { value: 'audit_failed', label: 'Audit failed' },
];

const SORTS: Array<{ value: QueueSort; label: string }> = [
  { value: 'uncertainty', label: 'Uncertainty (parse failures, 0.5, gold disagreement first)' },
  { value: 'model_risk', label: 'Model risk (harmful first)' },
  { value: 'least_confident', label: 'Least confident first' },
  { value: 'newest', label: 'Newest' },
];

export const QueueFilters = forwardRef<
  HTMLInputElement,
  {
    filter: QueueFilter;
    onFilter: <K extends keyof QueueFilter>(key: K, value: QueueFilter[K]) => void;
    sort: QueueSort;
    onSort: (sort: QueueSort) => void;
    searchText: string;
    onSearchText: (text: string) => void;
    /** null: not counted yet; a null count: withheld by the core (blind review). */
    counts: QueueCounts | null;
    /** Blind review: no filter or order that depends on the model's verdict or the gold label. */
    blind: boolean;
  }
>(function QueueFilters({ filter, onFilter, sort, onSort, searchText, onSearchText, counts, blind }, searchRef) {
  const statusFilters = blind ? STATUS_FILTERS.filter((s) => s.value !== 'disagree') : STATUS_FILTERS;
  return (
    <>
      <label className="relative block">
        <span className="sr-only">Search query, trace and response</span>
        <input
          ref={searchRef}
          type="search"
          className="field w-full pr-8"
          placeholder="Search query, trace, response…"
          value={searchText}
          data-testid="search-input"
          onChange={(e) => onSearchText(e.target.value)}
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
        {statusFilters.map(({ value, label }) => (
          <button
            key={value}
            role="radio"
            aria-checked={(filter.status ?? 'all') === value}
            data-testid={`status-${value}`}
            className="rounded border border-zinc-300 px-1.5 py-px text-[11.5px] text-zinc-800 aria-checked:border-sky-700 aria-checked:bg-sky-700 aria-checked:text-white dark:border-zinc-700 dark:text-zinc-200"
            onClick={() => onFilter('status', value)}
          >
            {label} <StatusCount count={counts ? counts[value] : undefined} />
          </button>
        ))}
        {!blind && (
          // The overrides the training exports leave out for want of an analysis: fix them in one pass.
          <button
            type="button"
            aria-pressed={!!filter.needsRationale}
            data-testid="filter-needs-rationale"
            className="rounded border border-amber-700 px-1.5 py-px text-[11.5px] text-amber-900 aria-pressed:bg-amber-700 aria-pressed:text-white dark:border-amber-400 dark:text-amber-200 dark:aria-pressed:bg-amber-400 dark:aria-pressed:text-black"
            onClick={() => onFilter('needsRationale', filter.needsRationale ? undefined : true)}
          >
            Corrections without a rationale
          </button>
        )}
      </div>
      <div className="grid grid-cols-6 gap-1" aria-label="Filters" role="group">
        {!blind && (
          <RiskSelect
            label="Model"
            value={filter.modelRisk}
            onChange={(v) => onFilter('modelRisk', v)}
            testId="filter-model-risk"
          />
        )}
        <RiskSelect
          label="Human"
          value={filter.humanRisk}
          onChange={(v) => onFilter('humanRisk', v)}
          testId="filter-human-risk"
        />
        {!blind && (
          <RiskSelect label="Gold" value={filter.gold} onChange={(v) => onFilter('gold', v)} testId="filter-gold" />
        )}
        {blind && (
          <p
            className="col-span-4 self-center text-[11.5px] text-zinc-600 dark:text-zinc-400"
            data-testid="blind-queue-note"
          >
            Blind review: newest first; no model or gold filters.
          </p>
        )}
        {!blind && (
          <select
            className="field compact-select col-span-3"
            aria-label="Category"
            value={filter.category ?? ''}
            data-testid="filter-category"
            onChange={(e) => onFilter('category', (e.target.value || undefined) as Category | undefined)}
          >
            <option value="">Category</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        )}
        {!blind && (
          <select
            className="field compact-select col-span-3"
            aria-label="Sort"
            value={sort}
            data-testid="sort-select"
            onChange={(e) => onSort(e.target.value as QueueSort)}
          >
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                Sort: {s.label}
              </option>
            ))}
          </select>
        )}
        <div className="col-span-6">
          <TeamFilter
            filter={filter}
            onChange={(patch) => {
              onFilter('pack', patch.pack);
              onFilter('disputed', patch.disputed);
            }}
          />
        </div>
      </div>
    </>
  );
});

/** A status chip's count: '…' while counting; nothing when the core withheld it (blind review). */
function StatusCount({ count }: { count: number | null | undefined }) {
  if (count === null) return null;
  return <span className="tabular-nums">{count === undefined ? '…' : count.toLocaleString()}</span>;
}

function riskFromSelect(value: string): RiskLevel | undefined {
  return RISK_LEVELS.find((level) => `${level}` === value);
}

/** A risk filter: "any" or one of the shared risk levels, labelled as everywhere else in the app. */
export function RiskSelect({
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
    <select
      className="field compact-select col-span-2"
      aria-label={`${label} risk`}
      value={value ?? ''}
      data-testid={testId}
      onChange={(e) => onChange(riskFromSelect(e.target.value))}
    >
      <option value="">{label}</option>
      {RISK_LEVELS.map((level) => (
        <option key={level} value={`${level}`}>
          {label}: {RISK_LABELS[`${level}`]} ({level})
        </option>
      ))}
    </select>
  );
}
