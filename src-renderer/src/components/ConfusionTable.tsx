// A 3x3 table of counts (rows: the reference side, columns: the side judged), the diagonal green, the rest red.
import { RISK_LEVELS } from '@domain/types';
import { riskLabel } from '../lib/format';

export function ConfusionTable({
  confusion,
  rows,
  columns,
  label,
  testId,
}: {
  confusion: number[][];
  /** Who the rows are (e.g. "Human", "Reference"); columns likewise ("Model", "App"). */
  rows: string;
  columns: string;
  label: string;
  testId: string;
}) {
  const max = Math.max(1, ...confusion.flat());
  return (
    <table className="text-[12px]" aria-label={`${label}: rows ${rows}, columns ${columns}`}>
      <thead>
        <tr>
          <th className="p-1 text-left text-[10.5px] font-normal text-zinc-600 dark:text-zinc-400">
            {rows} ↓ / {columns} →
          </th>
          {RISK_LEVELS.map((r) => (
            <th key={r} className="w-16 p-1 text-center font-medium" scope="col">
              {r}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {RISK_LEVELS.map((rowRisk, i) => (
          <tr key={rowRisk}>
            <th scope="row" className="p-1 text-left font-medium whitespace-nowrap">
              {rowRisk} <span className="font-normal text-zinc-600 dark:text-zinc-400">{riskLabel(rowRisk)}</span>
            </th>
            {RISK_LEVELS.map((colRisk, j) => {
              const n = confusion[i]?.[j] ?? 0;
              // At most half strength: the cell's number stays at 4.5:1 or more on the tint in both themes (at 0.75
              // the light number on a dark-theme green cell fell to 3.1:1).
              const alpha = n === 0 ? 0 : 0.1 + 0.4 * (n / max);
              return (
                <td
                  key={colRisk}
                  className="border border-zinc-200 p-1 text-center tabular-nums dark:border-zinc-800"
                  style={{
                    backgroundColor:
                      n === 0 ? undefined : i === j ? `rgba(16,185,129,${alpha})` : `rgba(244,63,94,${alpha})`,
                  }}
                  data-testid={`${testId}-cell-${i}-${j}`}
                >
                  {n}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
