// The bottom line: store totals, the audit batch, and the latest messages (toasts live here so they never
// cover the case or the decision panel).
import type { AuditProgress } from '@domain/audits';
import type { Stats } from '@domain/metrics';
import type { Toast } from '../lib/use-toasts';

export function StatusBar({
  stats,
  progress,
  toasts,
  onDismiss,
  children,
}: {
  stats: Stats | null;
  progress: AuditProgress | null;
  toasts: Toast[];
  onDismiss: (id: number) => void;
  /** The moderator's own indicators (the exposure counter), after the store totals. */
  children?: React.ReactNode;
}) {
  return (
    <footer
      className="flex min-h-7 shrink-0 flex-wrap items-center gap-x-4 border-t border-zinc-200 bg-white px-3 py-0.5 text-[11.5px] text-zinc-600 tabular-nums dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400"
      data-testid="status-bar"
    >
      {stats ? (
        <>
          <span>{stats.cases.toLocaleString()} cases</span>
          <span>{stats.audited.toLocaleString()} audited</span>
          <span>{stats.reviewed.toLocaleString()} reviewed</span>
          {stats.parseFailures > 0 && (
            <span className="text-fuchsia-700 dark:text-fuchsia-300">{stats.parseFailures} parse failures</span>
          )}
          {stats.modelVsGold && (
            <span>
              model vs gold {(stats.modelVsGold.agreement * 100).toFixed(1)}% of {stats.modelVsGold.compared}
            </span>
          )}
        </>
      ) : (
        <span>…</span>
      )}
      {progress && progress.state !== 'idle' && progress.state !== 'done' && (
        <span className="text-sky-700 dark:text-sky-300">
          Auditing {progress.done + progress.failed}/{progress.total} ({progress.state})
        </span>
      )}
      {children}
      <span className="ml-auto flex min-w-0 items-center gap-2" role="status" aria-live="polite">
        {toasts.map((t) => (
          <span
            key={t.id}
            data-testid="toast"
            title={t.message}
            className={`flex max-w-[560px] min-w-0 items-center gap-1 rounded border px-2 py-px text-[12px] ${
              t.kind === 'error'
                ? 'border-rose-600/60 bg-rose-50 text-rose-900 dark:bg-rose-950 dark:text-rose-100'
                : 'border-zinc-300 bg-zinc-50 text-zinc-900 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-100'
            }`}
          >
            <span className="truncate">{t.message}</span>
            <button
              type="button"
              className="shrink-0 px-1 text-[11px]"
              aria-label="Dismiss message"
              onClick={() => onDismiss(t.id)}
            >
              ×
            </button>
          </span>
        ))}
      </span>
    </footer>
  );
}
