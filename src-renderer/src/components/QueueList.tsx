import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { CaseSummary } from '@domain/cases';
import { RiskDot } from './badges';
import type { QueueView } from '../lib/use-queue';

const ROW_HEIGHT = 54;

export function QueueList({
  queue,
  selectedIndex,
  selectedIds,
  onSelect,
  onToggleSelected,
}: {
  queue: QueueView;
  selectedIndex: number;
  selectedIds: Set<string>;
  onSelect: (index: number) => void;
  onToggleSelected: (id: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: queue.total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
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

  const activeId = selectedIndex >= 0 ? `queue-row-${selectedIndex}` : undefined;

  return (
    <div
      ref={scrollRef}
      role="listbox"
      aria-label={`Case queue, ${queue.total.toLocaleString()} cases`}
      aria-activedescendant={activeId}
      tabIndex={0}
      data-testid="queue-list"
      className="min-h-0 flex-1 overflow-auto"
    >
      {queue.loaded && queue.total === 0 && (
        <p className="p-4 text-zinc-500" data-testid="queue-empty">
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
              className={`absolute left-0 w-full cursor-pointer border-b border-zinc-200 px-2 py-1.5 dark:border-zinc-800/80 ${
                item.index === selectedIndex
                  ? 'bg-sky-100 dark:bg-sky-950/70'
                  : 'hover:bg-zinc-100 dark:hover:bg-zinc-900'
              }`}
              style={{ top: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
            >
              {row ? (
                <Row row={row} checked={selectedIds.has(row.id)} onToggle={() => onToggleSelected(row.id)} />
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

function Row({ row, checked, onToggle }: { row: CaseSummary; checked: boolean; onToggle: () => void }) {
  return (
    <div className="flex gap-2" data-testid="queue-row">
      <input
        type="checkbox"
        className="mt-0.5 h-3.5 w-3.5 shrink-0 accent-sky-600"
        checked={checked}
        aria-label={`Select case ${row.seq} for bulk accept`}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
        onChange={onToggle}
      />
      <div className="min-w-0 flex-1">
        <div className="flex items-center gap-2.5">
          <span className="font-mono text-[11px] text-zinc-500">#{row.seq}</span>
          {row.modelStatus === 'parse_failure' ? (
            <span className="text-[11px] font-medium text-fuchsia-600 dark:text-fuchsia-400">parse failure</span>
          ) : (
            <RiskDot risk={row.modelRisk} label="model" />
          )}
          <RiskDot risk={row.humanRisk} label="human" />
          {row.gold !== null && <RiskDot risk={row.gold} label="gold" />}
          {row.hasImage && (
            <span className="text-[11px] text-zinc-500" title="Has an image">
              img
            </span>
          )}
          {row.imageMissing && (
            <span
              className="text-[11px] text-amber-600 dark:text-amber-400"
              title="The case names an image that is missing"
            >
              img missing
            </span>
          )}
        </div>
        <div className="truncate text-[12.5px] text-zinc-800 dark:text-zinc-200" data-testid="queue-row-query">
          {row.queryPreview}
        </div>
      </div>
    </div>
  );
}
