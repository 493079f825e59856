// Team review: the cases whose reviewers disagree, each reviewer's decision beside the model's, and the
// adjudicator's decision, which becomes the decision in force (docs/team-review.md).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaseDetail, CaseSummary } from '@domain/cases';
import type { AdjudicationView, ReviewerDecision } from '@domain/team';
import { CATEGORIES, type Category, type RiskLevel } from '@domain/types';
import { errorMessage, invoke, useApiEvent } from '../api';
import { RiskBadge } from '../components/badges';
import { CaseView } from '../components/CaseView';
import { RISK_BUTTON_STYLES } from '../components/DecisionPanel';
import { isTypingTarget, keyOf, RISK_SHORTCUTS, singleKeyShortcut } from '../lib/keys';
import { dateTime, riskLabel } from '../lib/format';
import { usePageKeys } from '../lib/use-page-keys';

const BASIS_LABEL: Record<string, string> = {
  single_reviewer: 'one reviewer',
  agreeing_reviewers: 'agreeing reviewers',
  adjudication: 'adjudication',
};

export function AdjudicationScreen({
  active,
  reviewer,
  notify,
}: {
  active: boolean;
  reviewer: string;
  notify: (message: string, kind?: 'info' | 'error') => void;
}) {
  const [disputed, setDisputed] = useState<CaseSummary[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadList = useCallback(() => {
    invoke('cases.list', { disputed: true, sort: 'newest', limit: 500 }).then(
      (page) => {
        setDisputed(page.rows);
        setError(null);
        setSelected((current) => current ?? page.rows[0]?.id ?? null);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  }, []);
  useEffect(() => {
    if (active) loadList();
  }, [active, loadList]);
  useApiEvent('cases.changed', () => active && loadList());

  if (error) return <p className="p-4 text-rose-600">Could not list the cases in dispute: {error}</p>;
  if (!disputed) return <p className="p-4 text-zinc-600 dark:text-zinc-400">Loading…</p>;
  return (
    <div className="flex min-h-0 flex-1" data-testid="adjudication-screen">
      <aside
        className="flex w-72 shrink-0 flex-col border-r border-zinc-200 dark:border-zinc-800"
        aria-label="Cases in dispute"
      >
        <h2 className="px-3 py-2 text-[13px] font-semibold">
          In dispute{' '}
          <span className="font-normal text-zinc-600 dark:text-zinc-400" data-testid="adjudication-count">
            {disputed.length}
          </span>
        </h2>
        {disputed.length === 0 && (
          <p className="px-3 text-[12px] text-zinc-600 dark:text-zinc-400">
            No case in dispute. Cases land here when two reviewers disagree on the risk, or on the category of a harmful
            verdict.
          </p>
        )}
        <ul className="min-h-0 flex-1 overflow-auto">
          {disputed.map((row) => (
            <li key={row.id}>
              <button
                className={`w-full border-b border-zinc-100 px-3 py-1.5 text-left text-[12px] dark:border-zinc-800 ${
                  row.id === selected ? 'bg-sky-500/10' : 'hover:bg-zinc-100 dark:hover:bg-zinc-800/60'
                }`}
                aria-current={row.id === selected ? 'true' : undefined}
                onClick={() => setSelected(row.id)}
                data-testid={`adjudication-row-${row.id}`}
              >
                <span className="block font-mono text-[11px] text-zinc-600 dark:text-zinc-400">#{row.seq}</span>
                <span className="line-clamp-2">{row.queryPreview}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      {selected ? (
        <AdjudicationPanel
          key={selected}
          caseId={selected}
          reviewer={reviewer}
          notify={notify}
          onDone={loadList}
          active={active}
        />
      ) : (
        <div className="flex-1" />
      )}
    </div>
  );
}

function AdjudicationPanel({
  caseId,
  reviewer,
  notify,
  onDone,
  active,
}: {
  caseId: string;
  /** The Adjudication screen is showing: its keys (1/2/3, C, E, N, Enter) work. */
  active: boolean;
  reviewer: string;
  notify: (message: string, kind?: 'info' | 'error') => void;
  onDone: () => void;
}) {
  const [view, setView] = useState<AdjudicationView | null>(null);
  const [detail, setDetail] = useState<CaseDetail | null>(null);
  const [risk, setRisk] = useState<RiskLevel | null>(null);
  const [category, setCategory] = useState<Category | ''>('');
  const [note, setNote] = useState('');
  const [analysis, setAnalysis] = useState('');
  const [imageRevealed, setImageRevealed] = useState(false);
  const categoryRef = useRef<HTMLSelectElement>(null);
  const analysisRef = useRef<HTMLTextAreaElement>(null);
  const noteRef = useRef<HTMLInputElement>(null);
  const [saving, setSaving] = useState(false);
  const scroller = useRef<HTMLElement>(null);
  usePageKeys(scroller, active);

  const load = useCallback(() => {
    Promise.all([invoke('adjudication.get', { caseId }), invoke('cases.get', { id: caseId })]).then(
      ([v, d]) => {
        setView(v);
        setDetail(d);
      },
      (e: unknown) => notify(`Could not open case ${caseId}: ${errorMessage(e)}`, 'error'),
    );
  }, [caseId, notify]);
  useEffect(load, [load]);

  const submit = async () => {
    if (risk === null) return;
    setSaving(true);
    try {
      await invoke('adjudication.submit', {
        caseId,
        risk,
        category: category || null,
        note: note.trim() || null,
        analysis: analysis.trim() || null,
        reviewer,
      });
      notify(`Case ${detail ? `#${detail.seq}` : caseId} adjudicated: ${riskLabel(risk)}.`);
      onDone();
      load();
    } catch (e) {
      notify(`Adjudication failed: ${errorMessage(e)}`, 'error');
    } finally {
      setSaving(false);
    }
  };

  // The review screen's keys: 1/2/3 risk, C category, E analysis, N note, Enter adjudicates, V the image.
  const submitRef = useRef(submit);
  submitRef.current = submit;
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      if (document.querySelector('[role="dialog"]')) return;
      if ((e.key === 'Enter' || e.key === ' ') && e.target instanceof HTMLElement && e.target.closest('button')) return;
      const id = singleKeyShortcut(e);
      const chosen = RISK_SHORTCUTS.find((k) => k.id === id);
      const focus = { 'decision.category': categoryRef, 'decision.analysis': analysisRef, 'decision.note': noteRef };
      if (chosen) setRisk(chosen.risk);
      else if (id && id in focus) focus[id as keyof typeof focus].current?.focus();
      else if (id === 'decision.submit') void submitRef.current();
      else if (id === 'image.reveal') setImageRevealed((r) => !r);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active]);

  if (!view || !detail) return <p className="flex-1 p-4 text-zinc-600 dark:text-zinc-400">Loading…</p>;
  return (
    <section
      ref={scroller}
      className="flex min-h-0 flex-1 flex-col gap-3 overflow-auto p-3"
      aria-label={`Adjudicate case #${detail.seq}`}
      data-testid="adjudication-panel"
    >
      <header className="flex flex-wrap items-baseline gap-2">
        <h2 className="text-[14px] font-semibold">Case #{detail.seq}</h2>
        {view.disputed ? (
          <span
            className="rounded bg-amber-500/15 px-1.5 text-[12px] text-amber-700 dark:text-amber-300"
            data-testid="adjudication-dispute"
          >
            In dispute on {view.disagreesOn.join(' and ')}
          </span>
        ) : (
          <span className="text-[12px] text-zinc-600 dark:text-zinc-400" data-testid="adjudication-basis">
            Decision in force from {view.basis ? BASIS_LABEL[view.basis] : 'nobody yet'}
          </span>
        )}
      </header>
      <div
        className="grid gap-2"
        style={{ gridTemplateColumns: `repeat(${view.reviewers.length + 1}, minmax(12rem, 1fr))` }}
        data-testid="adjudication-columns"
      >
        <article className="panel flex flex-col gap-1.5 p-3 text-[12px]" data-testid="adjudication-model">
          <h3 className="font-semibold">Model</h3>
          {view.model ? (
            <>
              <RiskBadge risk={view.model.risk} parseFailure={view.model.status === 'parse_failure'} />
              <p>{view.model.category ?? <span className="text-zinc-600 dark:text-zinc-400">no category</span>}</p>
              <p className="whitespace-pre-wrap text-zinc-600 dark:text-zinc-400">{view.model.analysis ?? '—'}</p>
            </>
          ) : (
            <p className="text-zinc-600 dark:text-zinc-400">Not audited.</p>
          )}
        </article>
        {view.reviewers.map((decision) => (
          <ReviewerColumn key={decision.reviewId} decision={decision} model={view.model?.risk ?? null} />
        ))}
      </div>
      {view.adjudication && (
        <p className="text-[12px]" data-testid="adjudication-current">
          Adjudicated by <strong>{view.adjudication.reviewer}</strong>: {riskLabel(view.adjudication.risk)} (
          {view.adjudication.risk}){view.adjudication.category ? `, ${view.adjudication.category}` : ''}
          {view.adjudication.note ? ` — ${view.adjudication.note}` : ''}
        </p>
      )}
      <form
        className="panel flex flex-col gap-2 p-3"
        aria-label="Adjudication"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h3 className="text-[13px] font-semibold">Your decision, as {reviewer || 'the adjudicator'}</h3>
        <fieldset>
          <legend className="label mb-1">Risk level</legend>
          <div className="flex gap-1.5">
            {RISK_SHORTCUTS.map(({ key, risk: level }) => (
              <button
                key={level}
                type="button"
                aria-pressed={risk === level}
                className={`btn aria-pressed:ring-2 aria-pressed:ring-offset-1 dark:aria-pressed:ring-offset-zinc-900 ${RISK_BUTTON_STYLES[`${level}`]}`}
                onClick={() => setRisk(level)}
                data-testid={`adjudicate-risk-${level}`}
              >
                {risk === level && <span aria-hidden>✓ </span>}
                {riskLabel(level)} ({level}) <kbd>{key}</kbd>
              </button>
            ))}
          </div>
        </fieldset>
        <label className="flex flex-col gap-1">
          <span className="label flex justify-between">
            Category <kbd>{keyOf('decision.category')}</kbd>
          </span>
          <select
            ref={categoryRef}
            onKeyDown={(e) => e.key === 'Escape' && e.currentTarget.blur()}
            className="field"
            value={category}
            onChange={(e) => setCategory(e.target.value as Category | '')}
            data-testid="adjudicate-category"
          >
            <option value="">(none)</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="label flex justify-between">
            Analysis (the training target&apos;s) <kbd>{keyOf('decision.analysis')}</kbd>
          </span>
          <textarea
            ref={analysisRef}
            className="field min-h-[52px]"
            value={analysis}
            onChange={(e) => setAnalysis(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') e.currentTarget.blur();
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
            }}
            data-testid="adjudicate-analysis"
          />
        </label>
        <label className="flex flex-col gap-1">
          <span className="label flex justify-between">
            Note <kbd>{keyOf('decision.note')}</kbd>
          </span>
          <input
            ref={noteRef}
            onKeyDown={(e) => e.key === 'Escape' && e.currentTarget.blur()}
            className="field"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            data-testid="adjudicate-note"
          />
        </label>
        <div>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={risk === null || saving || !reviewer.trim()}
            data-testid="adjudicate-submit"
          >
            {saving ? 'Saving…' : 'Adjudicate'} <kbd>Enter</kbd>
          </button>
          {!reviewer.trim() && <span className="ml-2 text-[12px] text-rose-600">Set your name in Settings first.</span>}
        </div>
      </form>
      {/* The whole case, as the review screen shows it: the dispute may be about the trace or the image. */}
      <CaseView
        detail={detail}
        revealed={imageRevealed}
        onToggleReveal={() => setImageRevealed((r) => !r)}
        blurImages
        grayscaleImages
        searchWords={[]}
        modelHidden={false}
        reaudit={{ run: () => undefined, disabledReason: 'Re-audit from the Review screen (Ctrl+1).' }}
      />
    </section>
  );
}

function ReviewerColumn({ decision, model }: { decision: ReviewerDecision; model: RiskLevel | null }) {
  return (
    <article
      className="panel flex flex-col gap-1.5 p-3 text-[12px]"
      data-testid={`adjudication-reviewer-${decision.reviewer}`}
    >
      <h3 className="font-semibold">
        {decision.reviewer}
        <span className="ml-1 font-normal text-zinc-600 dark:text-zinc-400">{dateTime(decision.at)}</span>
      </h3>
      <RiskBadge risk={decision.risk} />
      <p>{decision.category ?? <span className="text-zinc-600 dark:text-zinc-400">no category</span>}</p>
      {model !== null && (
        <p className="text-zinc-600 dark:text-zinc-400">
          {decision.risk === model ? 'agrees with the model' : 'differs from the model'}
        </p>
      )}
      {decision.note && <p className="italic">“{decision.note}”</p>}
      <p className="whitespace-pre-wrap text-zinc-600 dark:text-zinc-400">{decision.analysis ?? '—'}</p>
      {decision.packId && (
        <p className="font-mono text-[10.5px] text-zinc-600 dark:text-zinc-400">pack {decision.packId.slice(0, 8)}</p>
      )}
    </article>
  );
}
