// Model vs human and model vs gold: confusion matrices as heat tables, scores as bars.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Comparison, Metrics } from '@domain/metrics';
import type { RecipeFilter } from '@domain/fidelity';
import { errorMessage, invoke, useApiEvent } from '../api';
import { ConfusionTable } from '../components/ConfusionTable';
import { FidelityPanels } from '../components/FidelityPanels';
import { TeamAgreementPanel } from '../components/TeamPanels';
import { GoldPanel } from '../components/quality/GoldPanel';
import { percent } from '../lib/format';
import { usePageKeys } from '../lib/use-page-keys';

export function MetricsScreen({ active }: { active: boolean }) {
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [recipe, setRecipe] = useState<RecipeFilter>('all');
  const scroller = useRef<HTMLDivElement>(null);
  usePageKeys(scroller, active);
  const load = useCallback(() => {
    invoke('metrics.get', { recipe }).then(
      (m) => {
        setMetrics(m);
        setError(null);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [recipe]);
  useEffect(() => {
    if (active) load();
  }, [active, load]);
  useApiEvent('cases.changed', () => active && load());

  if (error) return <p className="p-4 text-rose-600">Could not compute metrics: {error}</p>;
  if (!metrics) return <p className="p-4 text-zinc-600 dark:text-zinc-400">Computing…</p>;
  return (
    <div ref={scroller} className="flex min-h-0 flex-1 flex-col gap-3 overflow-auto p-3" data-testid="metrics-screen">
      <div className="grid grid-cols-2 gap-3">
        <ComparisonPanel
          title="Model vs human"
          reference="Human"
          comparison={metrics.modelVsHuman}
          testId="metrics-human"
        />
        <ComparisonPanel
          title="Model vs gold label"
          reference="Gold"
          comparison={metrics.modelVsGold}
          testId="metrics-gold"
        />
      </div>
      <FidelityPanels fidelity={metrics.fidelity} onRecipe={setRecipe} />
      <section className="panel p-3" aria-label="Agreement per category">
        <h2 className="mb-2 text-[14px] font-semibold">
          Agreement with the human decision, per category
          <span className="ml-2 text-[12px] font-normal text-zinc-600 dark:text-zinc-400">
            {metrics.parseFailures} parse failure(s) left out
          </span>
        </h2>
        {metrics.perCategory.length === 0 ? (
          <p className="text-zinc-600 dark:text-zinc-400">No reviewed cases with a model verdict yet.</p>
        ) : (
          <table className="w-full text-[12px]" data-testid="metrics-categories">
            <tbody>
              {metrics.perCategory.map((row) => (
                <tr key={row.category}>
                  <td className="w-56 py-0.5 pr-2">{row.category === 'none' ? '(no category)' : row.category}</td>
                  <td className="py-0.5">
                    <Bar value={row.agreement} />
                  </td>
                  <td className="w-28 py-0.5 text-right tabular-nums">
                    {percent(row.agreement)} <span className="text-zinc-600 dark:text-zinc-400">of {row.n}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <TeamAgreementPanel active={active} />
      <GoldPanel active={active} />
    </div>
  );
}

function Bar({ value }: { value: number }) {
  return (
    <div className="h-2.5 w-full rounded bg-zinc-200 dark:bg-zinc-800" aria-hidden>
      <div className="h-full rounded bg-sky-600" style={{ width: `${Math.max(0, Math.min(1, value)) * 100}%` }} />
    </div>
  );
}

function ComparisonPanel({
  title,
  reference,
  comparison,
  testId,
}: {
  title: string;
  reference: string;
  comparison: Comparison;
  testId: string;
}) {
  const scores: Array<[string, number]> = [
    ['Accuracy', comparison.binary.accuracy],
    ['Precision', comparison.binary.precision],
    ['Recall', comparison.binary.recall],
    ['F1', comparison.binary.f1],
  ];
  return (
    <section className="panel p-3" aria-label={title} data-testid={testId}>
      <h2 className="mb-2 flex items-baseline gap-2 text-[14px] font-semibold">
        {title}
        <span className="text-[12px] font-normal text-zinc-600 dark:text-zinc-400">
          {comparison.n} case(s) · agreement{' '}
          <strong data-testid={`${testId}-agreement`}>{percent(comparison.agreement)}</strong>
        </span>
      </h2>
      {comparison.n === 0 ? (
        <p className="text-zinc-600 dark:text-zinc-400">Nothing to compare yet.</p>
      ) : (
        <div className="flex gap-6">
          <ConfusionTable
            confusion={comparison.confusion}
            rows={reference}
            columns="Model"
            label={`${title}: confusion matrix`}
            testId={testId}
          />
          <div className="flex flex-1 flex-col gap-1.5">
            <p className="label">Binary (0.5 and 1 = harmful), n={comparison.binary.n}</p>
            {scores.map(([name, value]) => (
              <div key={name} className="grid grid-cols-[70px_1fr_52px] items-center gap-2 text-[12px]">
                <span>{name}</span>
                <Bar value={value} />
                <span className="text-right tabular-nums" data-testid={`${testId}-${name.toLowerCase()}`}>
                  {percent(value)}
                </span>
              </div>
            ))}
          </div>
        </div>
      )}
    </section>
  );
}
