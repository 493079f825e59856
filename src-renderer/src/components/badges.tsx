import type { RiskLevel } from '@domain/types';
import { riskLabel } from '../lib/format';

const RISK_STYLES: Record<string, string> = {
  // Light text one step darker than the border (-800), so the badge and its prefix stay at 4.5:1 or more.
  '0': 'border-emerald-600/40 bg-emerald-500/10 text-emerald-800 dark:text-emerald-300',
  '0.5': 'border-amber-600/50 bg-amber-500/10 text-amber-800 dark:text-amber-300',
  '1': 'border-rose-600/50 bg-rose-500/15 text-rose-800 dark:text-rose-300',
  none: 'border-zinc-400/40 bg-zinc-500/10 text-zinc-700 dark:text-zinc-400',
  parse: 'border-fuchsia-600/40 bg-fuchsia-500/10 text-fuchsia-800 dark:text-fuchsia-300',
};

export function RiskBadge({
  risk,
  parseFailure = false,
  prefix,
  size = 'sm',
  testId,
}: {
  risk: RiskLevel | null;
  parseFailure?: boolean;
  prefix?: string;
  size?: 'sm' | 'lg';
  testId?: string;
}) {
  const style = parseFailure ? RISK_STYLES.parse : RISK_STYLES[risk === null ? 'none' : `${risk}`];
  const text = parseFailure ? 'Parse failure' : risk === null ? 'Not set' : `${riskLabel(risk)} (${risk})`;
  const sizing = size === 'lg' ? 'px-2.5 py-1 text-[13px]' : 'px-1.5 py-px text-[11px]';
  return (
    <span
      data-testid={testId}
      className={`inline-flex items-center gap-1 rounded border font-medium whitespace-nowrap ${sizing} ${style}`}
    >
      {/* Set apart by weight, not by fading it (a 70% prefix fell to 2.8:1 on the light Gold badge). */}
      {prefix && <span className="font-normal">{prefix}</span>}
      {text}
    </span>
  );
}

/** A compact coloured mark for the dense queue rows. */
export function RiskDot({ risk, label }: { risk: RiskLevel | null; label: string }) {
  const colour =
    risk === null
      ? 'bg-zinc-300 dark:bg-zinc-700'
      : risk === 0
        ? 'bg-emerald-500'
        : risk === 0.5
          ? 'bg-amber-500'
          : 'bg-rose-500';
  return (
    <span
      className="inline-flex items-center gap-1 text-[11px] text-zinc-600 dark:text-zinc-400"
      title={`${label}: ${riskLabel(risk)}`}
    >
      <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${colour}`} />
      <span className="sr-only">
        {label}: {riskLabel(risk)}
      </span>
      <span aria-hidden>
        {label} <span className="tabular-nums text-zinc-700 dark:text-zinc-300">{risk === null ? '–' : risk}</span>
      </span>
    </span>
  );
}

export function Kbd({ children }: { children: string }) {
  return <kbd>{children}</kbd>;
}

export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      className="h-2 w-full overflow-hidden rounded bg-zinc-200 dark:bg-zinc-800"
    >
      <div className="h-full bg-sky-600 transition-[width] duration-300" style={{ width: `${ratio * 100}%` }} />
    </div>
  );
}
