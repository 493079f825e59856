// The metrics that cannot flatter: F1 three ways, calibration of the confidence, and agreement with verdicts
// imported from the reference script. Numbers come from the core (store/fidelity-metrics.ts); this only shows them.
import type { BinaryF1ThreeWays, FidelityMetrics, RecipeFilter } from '@domain/fidelity';
import { percent } from '../lib/format';
import { ConfusionTable } from './ConfusionTable';

export function FidelityPanels({
  fidelity,
  onRecipe,
}: {
  fidelity: FidelityMetrics;
  onRecipe: (recipe: RecipeFilter) => void;
}) {
  return (
    <>
      <section className="panel flex flex-col gap-2 p-3" aria-label="Binary F1 three ways" data-testid="metrics-f1">
        <div className="flex items-baseline gap-3">
          <h2 className="text-[14px] font-semibold">Binary F1 (0.5 and 1 = harmful), parse failures three ways</h2>
          <label className="ml-auto flex items-center gap-1.5 text-[12px]">
            Verdicts
            <select
              className="field w-auto"
              value={fidelity.recipe}
              onChange={(e) => onRecipe(e.target.value as RecipeFilter)}
              data-testid="metrics-recipe"
            >
              <option value="all">all</option>
              <option value="reference">made with the reference recipe</option>
              <option value="other">made any other way</option>
            </select>
          </label>
        </div>
        <table className="text-[12px]">
          <thead>
            <tr className="text-left text-zinc-600 dark:text-zinc-400">
              <th className="p-1 font-normal">against</th>
              <th className="p-1 font-normal">cases</th>
              <th className="p-1 font-normal">parse failures</th>
              <th className="p-1 font-normal">F1, failures left out</th>
              <th className="p-1 font-normal">F1, failures counted wrong</th>
              <th className="p-1 font-normal">F1, failures counted safe</th>
            </tr>
          </thead>
          <tbody>
            <F1Row label="gold label" scores={fidelity.vsGold} testId="metrics-f1-gold" />
            <F1Row label="human decision" scores={fidelity.vsHuman} testId="metrics-f1-human" />
          </tbody>
        </table>
      </section>
      <div className="grid grid-cols-2 gap-3">
        <CalibrationPanel fidelity={fidelity} />
        <ReferencePanel fidelity={fidelity} />
      </div>
    </>
  );
}

function F1Row({ label, scores, testId }: { label: string; scores: BinaryF1ThreeWays; testId: string }) {
  return (
    <tr data-testid={testId}>
      <td className="p-1">{label}</td>
      <td className="p-1 tabular-nums">{scores.n}</td>
      <td className="p-1 tabular-nums" data-testid={`${testId}-parse-failures`}>
        {scores.parseFailures}
      </td>
      {[scores.parseFailuresExcluded, scores.parseFailuresWrong, scores.parseFailuresSafe].map((s, i) => (
        <td
          key={i}
          className="p-1 tabular-nums"
          title={`precision ${percent(s.precision)}, recall ${percent(s.recall)}`}
        >
          {percent(s.f1)} <span className="text-zinc-600 dark:text-zinc-400">(n={s.n})</span>
        </td>
      ))}
    </tr>
  );
}

function CalibrationPanel({ fidelity }: { fidelity: FidelityMetrics }) {
  const calibration = fidelity.calibration;
  const size = 160;
  return (
    <section className="panel p-3" aria-label="Calibration" data-testid="metrics-calibration">
      <h2 className="mb-2 text-[14px] font-semibold">
        Confidence vs the human decision
        {calibration && (
          <span className="ml-2 text-[12px] font-normal text-zinc-600 dark:text-zinc-400">
            expected calibration error <strong data-testid="metrics-ece">{calibration.ece.toFixed(3)}</strong> over{' '}
            {calibration.n} verdict(s)
          </span>
        )}
      </h2>
      {fidelity.calibrationNote && (
        <p className="mb-2 text-[12px] text-zinc-600 dark:text-zinc-400">{fidelity.calibrationNote}</p>
      )}
      {calibration && (
        <svg
          width={size + 30}
          height={size + 24}
          role="img"
          aria-label="Reliability chart: share of verdicts the human agreed with, per confidence bin; the diagonal is perfect calibration"
        >
          <g transform="translate(26,4)">
            <rect width={size} height={size} className="fill-none stroke-zinc-300 dark:stroke-zinc-700" />
            <line x1={0} y1={size} x2={size} y2={0} className="stroke-zinc-400" strokeDasharray="3 3" />
            {calibration.bins.map((bin) =>
              bin.n === 0 ? null : (
                <rect
                  key={bin.lower}
                  x={bin.lower * size + 1}
                  y={size - bin.accuracy * size}
                  width={(bin.upper - bin.lower) * size - 2}
                  height={bin.accuracy * size}
                  className="fill-sky-600/70"
                >
                  <title>{`confidence ${bin.lower.toFixed(1)}–${bin.upper.toFixed(1)}: ${bin.n} verdict(s), ${percent(bin.accuracy)} agreed (mean confidence ${percent(bin.meanConfidence)})`}</title>
                </rect>
              ),
            )}
            <text x={-4} y={8} textAnchor="end" className="fill-zinc-500 text-[9px]">
              1
            </text>
            <text x={-4} y={size} textAnchor="end" className="fill-zinc-500 text-[9px]">
              0
            </text>
            <text x={size} y={size + 14} textAnchor="end" className="fill-zinc-500 text-[9px]">
              confidence 1
            </text>
          </g>
        </svg>
      )}
    </section>
  );
}

function ReferencePanel({ fidelity }: { fidelity: FidelityMetrics }) {
  const ref = fidelity.reference;
  return (
    <section className="panel p-3" aria-label="App vs reference script" data-testid="metrics-reference">
      <h2 className="mb-2 text-[14px] font-semibold">
        App vs the reference script
        {ref && (
          <span className="ml-2 text-[12px] font-normal text-zinc-600 dark:text-zinc-400">
            {ref.cases} case(s) with both · agreement{' '}
            <strong data-testid="metrics-reference-agreement">{percent(ref.agreement)}</strong> of {ref.compared} ·
            parse failures: app {ref.parseFailures.app}, reference {ref.parseFailures.reference}
          </span>
        )}
      </h2>
      {!ref ? (
        <p className="text-[12px] text-zinc-600 dark:text-zinc-400">
          No case has both an app verdict and a reference verdict. Import the reference script&apos;s output (Import →
          Reference script results) and audit the same cases.
        </p>
      ) : (
        <div className="flex gap-4">
          <ConfusionTable
            confusion={ref.confusion}
            rows="Reference"
            columns="App"
            label="App vs reference script"
            testId="metrics-reference"
          />
          <div className="min-w-0 flex-1 text-[12px]">
            <p className="label mb-1">Cases that differ ({ref.differingTotal})</p>
            <ul className="max-h-40 overflow-auto font-mono text-[11.5px]" data-testid="metrics-reference-differing">
              {ref.differing.map((d) => (
                <li key={d.caseId}>
                  {d.caseId}: app {String(d.app)}, reference {String(d.reference)}
                </li>
              ))}
            </ul>
            {ref.differingTotal > ref.differing.length && (
              <p className="text-zinc-600 dark:text-zinc-400">
                …and {ref.differingTotal - ref.differing.length} more (guardtrace stats --json)
              </p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
