import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { CaseSummary } from '@domain/cases';
import { RiskDot } from './badges';
import type { QueueView } from '../lib/use-queue';

const ROW_HEIGHT = 56;
const COMPACT_ROW_HEIGHT = 30;

export function QueueList({
  queue,
  selectedIndex,
  selectedIds,
  onSelect,
  onToggleSelected,
  compact,
}: {
  queue: QueueView;
  selectedIndex: number;
  selectedIds: Set<string>;
  onSelect: (index: number) => void;
  onToggleSelected: (id: string) => void;
  /** One line per case (query preview beside the marks), for more rows on a small screen. */
  compact: boolean;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowHeight = compact ? COMPACT_ROW_HEIGHT : ROW_HEIGHT;
  const virtualizer = useVirtualizer({
    count: queue.total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  useEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  const { total, ensureRange } = queue;
  useEffect(() => {
    if (total > 0) ensureRange(first, last);
  }, [first, last, total, ensureRange]);

  useEffect(() => {
    if (selectedIndex >= 0 && selectedIndex < queue.total) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, queue.total, virtualizer]);

  const activeId = selectedIndex >= 0 && selectedIndex < queue.total ? `queue-row-${selectedIndex}` : undefined;

  return (
    <div
      ref={scrollRef}
      // An empty queue has no options, and a listbox without any is invalid (axe aria-required-children).
      role={queue.total > 0 ? 'listbox' : 'region'}
      aria-label={`Case queue, ${queue.total.toLocaleString()} cases`}
      aria-activedescendant={activeId}
      tabIndex={0}
      data-testid="queue-list"
      className="min-h-0 flex-1 overflow-auto"
    >
      {queue.loaded && queue.total === 0 && (
        <p className="p-4 text-zinc-600 dark:text-zinc-400" data-testid="queue-empty">
          No cases match. Import cases (Ctrl+O) or loosen the filters.
        </p>
      )}
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((item) => {
          const row = queue.rowAt(item.index);
          return (
            <div
              key={item.key}
              id={`queue-row-${item.index}`}
              role="option"
              aria-selected={item.index === selectedIndex}
              data-index={item.index}
              data-case-id={row?.id}
              onClick={() => onSelect(item.index)}
              className={`absolute left-0 w-full cursor-pointer overflow-hidden border-b border-zinc-200 px-2 dark:border-zinc-800/80 ${
                compact ? 'py-1' : 'py-1.5'
              } ${
                item.index === selectedIndex
                  ? 'bg-sky-100 dark:bg-sky-950/70'
                  : 'hover:bg-zinc-100 dark:hover:bg-zinc-900'
              }`}
              style={{ top: 0, height: rowHeight, transform: `translateY(${item.start}px)` }}
            >
              {row ? (
                <Row
                  row={row}
                  checked={selectedIds.has(row.id)}
                  onToggle={() => onToggleSelected(row.id)}
                  compact={compact}
                />
              ) : (
                <div className="mt-2 h-3 w-2/3 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800" />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function Row({
  row,
  checked,
  onToggle,
  compact,
}: {
  row: CaseSummary;
  checked: boolean;
  onToggle: () => void;
  compact: boolean;
}) {
  const category = row.humanCategory ?? row.modelCategory;
  const marks = (
    <>
      <span className="font-mono text-[11px] text-zinc-600 dark:text-zinc-400">#{row.seq}</span>
      {row.auditFailure === 'failed' ? (
        // A failed audit is not "not audited" and not an older verdict: the row says what happened.
        <span className="text-[11px] font-medium text-rose-700 dark:text-rose-300" data-testid="queue-row-audit-failed">
          audit failed
        </span>
      ) : row.auditFailure === 'truncated' || row.modelStatus === 'truncated' ? (
        <span className="text-[11px] font-medium text-amber-800 dark:text-amber-300" data-testid="queue-row-cut-off">
          audit cut off
        </span>
      ) : row.modelStatus === 'parse_failure' ? (
        <span className="text-[11px] font-medium text-fuchsia-700 dark:text-fuchsia-300">parse failure</span>
      ) : (
        <RiskDot risk={row.modelRisk} label="model" />
      )}
      <RiskDot risk={row.humanRisk} label="human" />
      {row.gold !== null && <RiskDot risk={row.gold} label="gold" />}
      {row.hasImage && (
        <span className="text-[11px] text-zinc-600 dark:text-zinc-400" title="Has an image">
          img
        </span>
      )}
      {row.imageMissing && (
        <span
          className="text-[11px] text-amber-800 dark:text-amber-300"
          title="The case names an image that is missing"
        >
          img missing
        </span>
      )}
    </>
  );
  // Not an <input>: a control inside a listbox option is nested interactive content that screen readers cannot
  // reach. The mark is visual (a click toggles it); the option's text says whether it is selected; X toggles it.
  const checkbox = (
    <>
      <span
        aria-hidden
        data-testid="queue-row-select"
        data-checked={checked}
        className={`mt-0.5 flex h-3.5 w-3.5 shrink-0 items-center justify-center rounded-sm border text-[10px] leading-none ${
          checked ? 'border-sky-700 bg-sky-700 text-white' : 'border-zinc-500 dark:border-zinc-400'
        }`}
        title={`Select case ${row.seq} for bulk accept (X)`}
        onClick={(e) => {
          e.stopPropagation();
          onToggle();
        }}
      >
        {checked ? '✓' : ''}
      </span>
      {checked && <span className="sr-only">Selected for bulk accept.</span>}
    </>
  );
  if (compact) {
    return (
      <div className="flex min-w-0 items-center gap-2" data-testid="queue-row">
        {checkbox}
        {marks}
        <span
          className="min-w-0 flex-1 truncate text-[12.5px] text-zinc-900 dark:text-zinc-100"
          data-testid="queue-row-query"
        >
          {row.queryPreview}
        </span>
      </div>
    );
  }
  return (
    <div className="flex gap-2" data-testid="queue-row">
      {checkbox}
      <div className="min-w-0 flex-1">
        <div className="flex min-w-0 items-center gap-2 overflow-hidden whitespace-nowrap">
          {marks}
          {category && (
            <span
              className="min-w-0 truncate text-[11px] text-zinc-700 dark:text-zinc-300"
              data-testid="queue-row-category"
              title={category}
            >
              {category}
            </span>
          )}
          {row.reviewedBy && (
            <span
              className="ml-auto shrink-0 text-[11px] text-zinc-600 dark:text-zinc-400"
              data-testid="queue-row-reviewer"
              title="Reviewed by"
            >
              {row.reviewedBy}
            </span>
          )}
        </div>
        <div className="truncate text-[12.5px] text-zinc-900 dark:text-zinc-100" data-testid="queue-row-query">
          {row.queryPreview}
        </div>
      </div>
    </div>
  );
}
