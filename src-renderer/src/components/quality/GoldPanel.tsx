// The lead's view of gold (docs/quality.md): each reviewer and the model scored against the known answers, the
// trend per reviewer week by week, the confusion matrix and the gold cases each got wrong.
import { useCallback, useEffect, useState } from 'react';
import type { GoldReport, GoldScoreDetail } from '@domain/gold';
import { RISK_LEVELS } from '@domain/types';
import { errorMessage, invoke, useApiEvent } from '../../api';
import { ConfusionTable } from '../ConfusionTable';

const pct = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);
const fixed = (value: number | null) => (value === null ? '–' : value.toFixed(2));
/** Distinct in both themes and for the common colour-vision deficiencies (Okabe–Ito). */
const LINE_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

export function GoldPanel({ active }: { active: boolean }) {
  const [report, setReport] = useState<GoldReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    invoke('gold.report', undefined).then(
      (r) => {
        setReport(r);
        setError(null);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  }, []);
  useEffect(() => {
    if (active) load();
  }, [active, load]);
  useApiEvent('cases.changed', () => active && load());

  return (
    <section className="panel flex flex-col gap-3 p-3" aria-label="Accuracy against gold" data-testid="gold-panel">
      <h2 className="text-[14px] font-semibold">Accuracy against gold</h2>
      {error && <p className="text-rose-700 dark:text-rose-300">Could not load gold scores: {error}</p>}
      {report && report.cases === 0 && (
        <p className="text-zinc-700 dark:text-zinc-300" data-testid="gold-empty">
          No gold cases yet. A lead marks known answers with <code>guardtrace gold set CASE_ID --risk R</code>; they are
          then mixed blind into each reviewer’s packs at {pct(report.rate)} and scored here.
        </p>
      )}
      {report && report.cases > 0 && <GoldScores report={report} />}
    </section>
  );
}

function GoldScores({ report }: { report: GoldReport }) {
  const rows: Array<{ who: string; score: GoldScoreDetail }> = [
    ...report.reviewers.map((r) => ({ who: r.reviewer, score: r as GoldScoreDetail })),
    { who: 'Model', score: report.model },
  ];
  return (
    <>
      <p className="text-[12px] text-zinc-700 dark:text-zinc-300">
        {report.cases} gold case(s), mixed into packs at {pct(report.rate)}. Exact: the same level as gold; F1: 0.5 and
        1 counted as harmful; κ: Cohen’s kappa against gold.
      </p>
      <table className="text-[12.5px]" data-testid="gold-table">
        <thead>
          <tr className="text-left">
            <th className="p-1">Who</th>
            <th className="p-1 text-right">Gold answered</th>
            <th className="p-1 text-right">Exact</th>
            <th className="p-1 text-right">F1</th>
            <th className="p-1 text-right">κ</th>
            <th className="p-1">Weakest category</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ who, score }) => {
            const weakest = [...score.byCategory].sort((a, b) => (a.accuracy ?? 1) - (b.accuracy ?? 1))[0];
            return (
              <tr key={who} className="border-t border-zinc-200 dark:border-zinc-800">
                <th scope="row" className="p-1 text-left font-medium">
                  {who}
                </th>
                <td className="p-1 text-right tabular-nums">{score.n}</td>
                <td className="p-1 text-right tabular-nums">{pct(score.accuracy)}</td>
                <td className="p-1 text-right tabular-nums">{fixed(score.f1)}</td>
                <td className="p-1 text-right tabular-nums">{fixed(score.kappa)}</td>
                <td className="p-1">{weakest ? `${weakest.category} (${pct(weakest.accuracy)})` : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <TrendChart rows={rows} />
      <div className="flex flex-wrap gap-4">
        {rows.map(({ who, score }) => (
          <div key={who} className="flex flex-col gap-1">
            <ConfusionTable
              confusion={RISK_LEVELS.map((gold) =>
                RISK_LEVELS.map((given) => score.confusion[String(gold)][String(given)]),
              )}
              rows="Gold"
              columns={who}
              label={`${who} against gold`}
              testId={`gold-confusion-${who}`}
            />
            {score.missed.length > 0 && (
              <details className="text-[12px]">
                <summary className="cursor-pointer">
                  {score.missed.length} gold case(s) {who === 'Model' ? 'the model' : who} got wrong
                </summary>
                <ul className="mt-1 flex flex-col gap-0.5 font-mono text-[11.5px]">
                  {score.missed.map((miss) => (
                    <li key={miss.caseId}>
                      {miss.caseId}: gold {miss.goldRisk}, gave {miss.givenRisk}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </div>
        ))}
      </div>
    </>
  );
}

/** Exact accuracy per ISO week, one line per reviewer and the model (SVG; the table above carries the numbers). */
function TrendChart({ rows }: { rows: Array<{ who: string; score: GoldScoreDetail }> }) {
  const weeks = [...new Set(rows.flatMap((r) => r.score.byWeek.map((w) => w.week)))].sort();
  if (!weeks.length) return null;
  const width = 560;
  const height = 180;
  const pad = { left: 40, right: 12, top: 10, bottom: 28 };
  const x = (i: number) =>
    pad.left +
    (weeks.length === 1
      ? (width - pad.left - pad.right) / 2
      : (i * (width - pad.left - pad.right)) / (weeks.length - 1));
  const y = (share: number) => pad.top + (1 - share) * (height - pad.top - pad.bottom);
  return (
    <figure className="flex flex-col gap-1" data-testid="gold-trend">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        className="w-full max-w-[560px] text-zinc-600 dark:text-zinc-400"
        role="img"
        aria-label={`Exact accuracy against gold per week, ${weeks[0]} to ${weeks[weeks.length - 1]}`}
      >
        {[0, 0.5, 1].map((share) => (
          <g key={share}>
            <line
              x1={pad.left}
              x2={width - pad.right}
              y1={y(share)}
              y2={y(share)}
              stroke="currentColor"
              strokeOpacity="0.25"
            />
            <text x={pad.left - 6} y={y(share) + 4} textAnchor="end" fontSize="11" fill="currentColor">
              {share * 100}%
            </text>
          </g>
        ))}
        {weeks.map((week, i) => (
          <text key={week} x={x(i)} y={height - 8} textAnchor="middle" fontSize="11" fill="currentColor">
            {week.slice(5)}
          </text>
        ))}
        {rows.map(({ who, score }, line) => {
          const points = score.byWeek
            .filter((w) => w.accuracy !== null)
            .map((w) => [x(weeks.indexOf(w.week)), y(w.accuracy!)] as const);
          const colour = LINE_COLOURS[line % LINE_COLOURS.length];
          return (
            <g key={who} data-testid={`gold-trend-${who}`}>
              <polyline
                points={points.map(([px, py]) => `${px},${py}`).join(' ')}
                fill="none"
                stroke={colour}
                strokeWidth="2"
                strokeDasharray={who === 'Model' ? '5 3' : undefined}
              />
              {points.map(([px, py]) => (
                <circle key={`${px}-${py}`} cx={px} cy={py} r="3" fill={colour} />
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption className="flex flex-wrap gap-3 text-[12px]">
        {rows.map(({ who }, line) => (
          <span key={who} className="flex items-center gap-1">
            <span
              aria-hidden
              className="inline-block h-2 w-4 rounded-sm"
              style={{ background: LINE_COLOURS[line % LINE_COLOURS.length] }}
            />
            {who}
            {who === 'Model' ? ' (dashed)' : ''}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
