// Team review in the Data screen (packs and decisions files) and in the Metrics screen (reviewer agreement).
import { useCallback, useEffect, useState } from 'react';
import type { PackInfo } from '@domain/team';
import { api, errorMessage, invoke, useApiEvent } from '../api';
import { duration, percent } from '../lib/format';
import { useActiveLoad } from '../lib/use-active-load';

type Notify = (message: string, kind?: 'info' | 'error') => void;

/** Lead: write packs, import decisions. Reviewer: import a pack, export its decisions. */
export function TeamDataPanel({ notify, selectedCaseIds }: { notify: Notify; selectedCaseIds: string[] }) {
  const [packs, setPacks] = useState<PackInfo[]>([]);
  const [reviewers, setReviewers] = useState('');
  const [overlap, setOverlap] = useState('10');
  const [byCategory, setByCategory] = useState(false);
  const [hideModel, setHideModel] = useState(false);
  const [onlyUnreviewed, setOnlyUnreviewed] = useState(true);
  const [onlySelected, setOnlySelected] = useState(selectedCaseIds.length > 0);
  const [outDir, setOutDir] = useState('');
  const [busy, setBusy] = useState(false);
  const [lastResult, setLastResult] = useState<string | null>(null);

  const loadPacks = useCallback(() => {
    invoke('packs.list', undefined).then(setPacks, (e: unknown) => notify(errorMessage(e), 'error'));
  }, [notify]);
  useEffect(loadPacks, [loadPacks]);
  useApiEvent('cases.changed', loadPacks);

  const run = async (label: string, work: () => Promise<string>) => {
    setBusy(true);
    try {
      const message = await work();
      setLastResult(message);
      notify(message);
      loadPacks();
    } catch (e) {
      notify(`${label} failed: ${errorMessage(e)}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const createPacks = () =>
    run('Creating packs', async () => {
      const summary = await invoke('packs.create', {
        reviewers: reviewers
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
        overlap: Number(overlap) / 100,
        split: byCategory ? 'category' : 'round_robin',
        showModelVerdict: !hideModel,
        filter: onlyUnreviewed ? { status: 'unreviewed' } : {},
        caseIds: onlySelected && selectedCaseIds.length ? selectedCaseIds : undefined,
        outDir,
      });
      return `Wrote ${summary.packs.length} pack(s) for ${summary.selected} case(s), ${summary.doubleReviewed} double-reviewed: ${summary.packs
        .map((p) => `${p.reviewer} ${p.cases}`)
        .join(', ')}.`;
    });

  const importPack = () =>
    run('Pack import', async () => {
      const file = await api.pickFile({ purpose: 'packFile' });
      if (!file) return 'No pack chosen.';
      const s = await invoke('packs.import', { file });
      return s.alreadyImported
        ? `Pack for ${s.reviewer} was imported before; nothing added.`
        : `Imported pack for ${s.reviewer}: ${s.cases} case(s), ${s.newCases} new.`;
    });

  const importDecisions = () =>
    run('Decisions import', async () => {
      const file = await api.pickFile({ purpose: 'decisionsFile' });
      if (!file) return 'No file chosen.';
      const s = await invoke('decisions.import', { file });
      return `Imported ${s.imported} decision(s) by ${s.reviewer} (${s.alreadyPresent} already present); ${s.disputed} case(s) of the pack in dispute.`;
    });

  const exportDecisions = (pack: PackInfo) =>
    run('Decisions export', async () => {
      const out = await api.pickFile({
        purpose: 'export',
        defaultName: `decisions-${pack.reviewer}-${pack.packId.slice(0, 8)}.json`,
      });
      if (!out) return 'No file chosen.';
      const s = await invoke('decisions.export', { pack: pack.packId, out });
      return `Wrote ${s.decisions} decision(s) and ${s.undos} undo(s) to ${s.out}.`;
    });

  return (
    <section className="panel col-span-2 flex flex-col gap-3 p-3" aria-label="Team review" data-testid="team-panel">
      <h2 className="text-[14px] font-semibold">
        Team review{' '}
        <span className="text-[12px] font-normal text-zinc-600 dark:text-zinc-400">
          packs and decisions travel as files
        </span>
      </h2>
      <div className="grid grid-cols-2 gap-3">
        <fieldset className="flex flex-col gap-2" aria-label="Create assignment packs">
          <legend className="label">Lead: split cases into packs</legend>
          <label className="flex flex-col gap-1">
            <span className="label">Reviewers (comma-separated)</span>
            <input
              className="field"
              value={reviewers}
              onChange={(e) => setReviewers(e.target.value)}
              placeholder="ann, bob"
              data-testid="pack-reviewers"
            />
          </label>
          <div className="flex flex-wrap items-center gap-3 text-[12px]">
            <label className="flex items-center gap-1">
              Double review
              <input
                className="field w-14"
                type="number"
                min={0}
                max={100}
                value={overlap}
                onChange={(e) => setOverlap(e.target.value)}
                data-testid="pack-overlap"
              />
              %
            </label>
            <label className="flex items-center gap-1">
              <input type="checkbox" checked={byCategory} onChange={(e) => setByCategory(e.target.checked)} /> By
              category
            </label>
            <label className="flex items-center gap-1">
              <input type="checkbox" checked={hideModel} onChange={(e) => setHideModel(e.target.checked)} /> Hide model
              verdict
            </label>
            {selectedCaseIds.length > 0 && (
              <label className="flex items-center gap-1">
                <input type="checkbox" checked={onlySelected} onChange={(e) => setOnlySelected(e.target.checked)} />{' '}
                Only the {selectedCaseIds.length} selected in the queue
              </label>
            )}
            <label className="flex items-center gap-1">
              <input type="checkbox" checked={onlyUnreviewed} onChange={(e) => setOnlyUnreviewed(e.target.checked)} />{' '}
              Unreviewed only
            </label>
          </div>
          <div className="flex gap-1.5">
            <input
              className="field min-w-0 flex-1 font-mono text-[12px]"
              value={outDir}
              onChange={(e) => setOutDir(e.target.value)}
              placeholder="folder for the packs"
              data-testid="pack-out"
            />
            <button
              className="btn"
              onClick={async () => {
                const picked = await api.pickFile({ purpose: 'packDir' });
                if (picked) setOutDir(picked);
              }}
            >
              …
            </button>
            <button
              className="btn btn-primary"
              disabled={busy || !reviewers.trim() || !outDir}
              onClick={() => void createPacks()}
              data-testid="pack-create"
            >
              Create packs
            </button>
          </div>
          <button
            className="btn self-start"
            disabled={busy}
            onClick={() => void importDecisions()}
            data-testid="decisions-import"
          >
            Import decisions…
          </button>
        </fieldset>
        <fieldset className="flex flex-col gap-2" aria-label="Packs">
          <legend className="label">Reviewer: import a pack, then export your decisions</legend>
          <button
            className="btn self-start"
            disabled={busy}
            onClick={() => void importPack()}
            data-testid="pack-import"
          >
            Import pack…
          </button>
          <table className="w-full text-[12px]" data-testid="pack-list">
            <thead>
              <tr className="text-left text-zinc-600 dark:text-zinc-400">
                <th className="font-normal">Pack</th>
                <th className="font-normal">Reviewer</th>
                <th className="font-normal">Cases</th>
                <th className="font-normal">Decided</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {packs.map((pack) => (
                <tr key={pack.packId} className="border-t border-zinc-200 dark:border-zinc-800">
                  <td className="font-mono" title={pack.packId}>
                    {pack.packId.slice(0, 8)} <span className="text-zinc-600 dark:text-zinc-400">{pack.role}</span>
                  </td>
                  <td>{pack.reviewer}</td>
                  <td className="tabular-nums">{pack.cases}</td>
                  <td className="tabular-nums">{pack.decided}</td>
                  <td className="text-right">
                    {pack.role === 'received' && (
                      <button
                        className="btn"
                        disabled={busy}
                        onClick={() => void exportDecisions(pack)}
                        data-testid={`decisions-export-${pack.reviewer}`}
                      >
                        Export decisions…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {packs.length === 0 && (
            <p className="text-[12px] text-zinc-600 dark:text-zinc-400">No pack written or imported here yet.</p>
          )}
        </fieldset>
      </div>
      {lastResult && (
        <p className="text-[12px]" data-testid="team-result">
          {lastResult}
        </p>
      )}
    </section>
  );
}

/** Reading aid: kappa/alpha below 0.4 is poor, 0.4–0.67 tentative, 0.67–0.8 acceptable, above 0.8 good. */
function band(value: number | null): { label: string; color: string } {
  if (value === null) return { label: 'undefined', color: 'bg-zinc-400' };
  if (value >= 0.8) return { label: 'good', color: 'bg-emerald-600' };
  if (value >= 0.667) return { label: 'acceptable', color: 'bg-sky-600' };
  if (value >= 0.4) return { label: 'tentative', color: 'bg-amber-500' };
  return { label: 'poor', color: 'bg-rose-600' };
}

function ScoreBar({ value, testId }: { value: number | null; testId?: string }) {
  const { label, color } = band(value);
  const width = value === null ? 0 : Math.max(0, Math.min(1, value)) * 100;
  return (
    <div className="grid grid-cols-[1fr_130px] items-center gap-2">
      <div className="relative h-2.5 w-full rounded bg-zinc-200 dark:bg-zinc-800" aria-hidden>
        <div className={`h-full rounded ${color}`} style={{ width: `${width}%` }} />
        {[0.4, 0.667, 0.8].map((mark) => (
          <div key={mark} className="absolute top-0 h-full w-px bg-zinc-500/50" style={{ left: `${mark * 100}%` }} />
        ))}
      </div>
      <span className="text-right text-[12px] whitespace-nowrap tabular-nums" data-testid={testId}>
        {value === null ? '—' : value.toFixed(3)} <span className="text-zinc-600 dark:text-zinc-400">{label}</span>
      </span>
    </div>
  );
}

const loadAgreement = () => invoke('team.agreement', undefined);

export function TeamAgreementPanel({ active }: { active: boolean }) {
  const { data, error } = useActiveLoad(loadAgreement, active);
  if (error) return <p className="text-rose-600">Could not compute reviewer agreement: {error}</p>;
  if (!data) return null;
  return (
    <section className="panel flex flex-col gap-3 p-3" aria-label="Reviewer agreement" data-testid="metrics-team">
      <h2 className="flex items-baseline gap-2 text-[14px] font-semibold">
        Reviewer agreement
        <span className="text-[12px] font-normal text-zinc-600 dark:text-zinc-400">
          {data.units} double-reviewed case(s) · <span data-testid="metrics-team-disputed">{data.disputed}</span> in
          dispute
        </span>
      </h2>
      {data.reviewers.length === 0 ? (
        <p className="text-zinc-600 dark:text-zinc-400">No reviewer decisions yet.</p>
      ) : (
        <div className="grid grid-cols-2 gap-6">
          <div className="flex flex-col gap-2 text-[12px]">
            <p className="label">Krippendorff&apos;s alpha (ordinal 0 / 0.5 / 1), whole team</p>
            <ScoreBar value={data.alpha} testId="metrics-team-alpha" />
            <p className="label mt-2">Per category</p>
            {data.perCategory.map((row) => (
              <div key={row.category} className="grid grid-cols-[12rem_1fr] items-center gap-2">
                <span>
                  {row.category === 'none' ? '(no category)' : row.category}{' '}
                  <span className="text-zinc-600 dark:text-zinc-400">n={row.units}</span>
                </span>
                <ScoreBar value={row.alpha} />
              </div>
            ))}
            <p className="label mt-2">Cohen&apos;s kappa per pair of reviewers</p>
            {data.pairs.map((pair) => (
              <div
                key={`${pair.a}/${pair.b}`}
                className="grid grid-cols-[12rem_1fr] items-center gap-2"
                data-testid={`metrics-team-pair-${pair.a}-${pair.b}`}
              >
                <span>
                  {pair.a} / {pair.b} <span className="text-zinc-600 dark:text-zinc-400">n={pair.n}</span>
                </span>
                <ScoreBar value={pair.kappa} testId={`metrics-team-kappa-${pair.a}-${pair.b}`} />
              </div>
            ))}
          </div>
          <table className="self-start text-[12px]" data-testid="metrics-team-reviewers">
            <thead>
              <tr className="text-left text-zinc-600 dark:text-zinc-400">
                <th className="font-normal">Reviewer</th>
                <th className="font-normal">Decided</th>
                <th className="font-normal">Median time</th>
                <th className="w-32 font-normal">Agrees with adjudication</th>
                <th className="w-32 font-normal">Agrees with model</th>
              </tr>
            </thead>
            <tbody>
              {data.reviewers.map((r) => (
                <tr
                  key={r.reviewer}
                  className="border-t border-zinc-200 dark:border-zinc-800"
                  data-testid={`metrics-team-reviewer-${r.reviewer}`}
                >
                  <td className="py-1 font-medium">{r.reviewer}</td>
                  <td className="tabular-nums">{r.casesDecided}</td>
                  <td className="tabular-nums">{duration(r.medianSecondsPerDecision)}</td>
                  <td>
                    <ShareBar value={r.agreementWithAdjudication} n={r.adjudicatedCases} />
                  </td>
                  <td>
                    <ShareBar value={r.agreementWithModel} n={r.modelCases} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ShareBar({ value, n }: { value: number | null; n: number }) {
  return (
    <div className="flex flex-col gap-0.5 pr-2">
      <div className="h-2 w-full rounded bg-zinc-200 dark:bg-zinc-800" aria-hidden>
        <div className="h-full rounded bg-sky-600" style={{ width: `${(value ?? 0) * 100}%` }} />
      </div>
      <span className="tabular-nums">
        {percent(value)} <span className="text-zinc-600 dark:text-zinc-400">of {n}</span>
      </span>
    </div>
  );
}
