// The reasoning trace cut into steps (docs/step-localization.md): the step the prefix search located, the span
// hints from the model's analysis (marked differently: a hint is never the located step) and the moderator's own
// step mark. Keys: L jump to the located step (or locate it), Alt+↑/Alt+↓ move the mark, Shift+L confirm it,
// Ctrl+L "no single step". Blind review hides the located step and the hints as it hides the verdict.
// All case text is rendered as React text nodes, never as HTML.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { CaseSteps } from '@domain/step-localization';
import type { TraceStep } from '@domain/trace-steps';
import { errorMessage, invoke } from '../api';
import { isTypingTarget } from '../lib/keys';
import { useCaseSteps } from '../lib/use-case-steps';
import { Highlighted, splitFences } from './CaseText';

/** The reviewer recorded with a mark: the Settings name, read once per page. */
let reviewerName: Promise<string> | null = null;
const reviewer = () => (reviewerName ??= invoke('settings.get', undefined).then((s) => s.reviewer));

export function locatedSummary(view: CaseSteps | null): string | null {
  const search = view?.search;
  if (!search) return null;
  switch (search.status) {
    case 'located':
      return `first flagged at step ${search.locatedStep} of ${search.stepCount}`;
    case 'not_monotone':
      return 'no single first step: the prefix verdicts are not monotone';
    case 'not_flagged':
      return 'no prefix of the trace is flagged without the response';
    case 'queued':
    case 'running':
      return 'locating the first flagged step…';
    case 'failed':
      return 'step search failed';
    default:
      return null;
  }
}

/** "first flagged at step k of N", next to the verdict; hidden in blind review. */
export function LocatedStepNote({ caseId, hidden }: { caseId: string; hidden: boolean }) {
  const { view } = useCaseSteps(caseId);
  const text = locatedSummary(view);
  if (hidden || !text) return null;
  return (
    <span className="text-[12px] text-rose-800 dark:text-rose-200" data-testid="located-step-note">
      {text}
    </span>
  );
}

export function TraceSteps({
  caseId,
  trace,
  words,
  modelHidden,
}: {
  caseId: string;
  trace: string;
  words: string[];
  modelHidden: boolean;
}) {
  const { view, error: loadError, setView } = useCaseSteps(caseId);
  const [cursor, setCursor] = useState<number | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const container = useRef<HTMLDivElement>(null);

  const located = !modelHidden && view?.search?.status === 'located' ? view.search.locatedStep : null;
  const labelStep = view?.label?.kind === 'step' ? view.label.stepIndex : null;
  const hintSteps = useMemo(
    () => new Set(modelHidden ? [] : (view?.hints ?? []).map((h) => h.stepIndex)),
    [view, modelHidden],
  );

  // A new case starts with the mark on the moderator's label, else on the located step.
  useEffect(() => {
    setCursor(null);
    setError(null);
  }, [caseId]);
  useEffect(() => {
    if (view && cursor === null) setCursor(labelStep ?? located ?? null);
    // Only when the view first arrives for the case: later moves are the moderator's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view?.caseId]);

  const scrollTo = (index: number) =>
    container.current
      ?.querySelector(`[data-step-index="${index}"]`)
      ?.scrollIntoView({ block: 'center', behavior: 'instant' as ScrollBehavior });

  const run = async (what: string, work: () => Promise<CaseSteps>) => {
    setBusy(what);
    setError(null);
    try {
      setView(await work());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const locate = () =>
    run('Locating the first flagged step…', async () => {
      const fresh = await invoke('steps.locate', { caseId });
      if (fresh.search?.status === 'located' && fresh.search.locatedStep !== null) {
        setCursor(fresh.search.locatedStep);
        requestAnimationFrame(() => scrollTo(fresh.search!.locatedStep!));
      }
      return fresh;
    });

  const confirm = () => {
    if (cursor === null) return setError('Move the mark to a step first (Alt+↓), then confirm it with Shift+L.');
    const step = view?.steps[cursor - 1];
    if (!step) return;
    void run('Saving…', async () =>
      invoke('steps.mark', { caseId, reviewer: await reviewer(), action: 'confirm', stepOffset: step.start }),
    );
  };
  const clear = () =>
    run('Saving…', async () => invoke('steps.mark', { caseId, reviewer: await reviewer(), action: 'clear' }));
  const undo = () => run('Undoing…', async () => invoke('steps.undoMark', { caseId, reviewer: await reviewer() }));

  const move = (delta: number) => {
    if (!view || view.steps.length === 0) return;
    const from = cursor ?? (delta > 0 ? 0 : view.steps.length + 1);
    const next = Math.min(view.steps.length, Math.max(1, from + delta));
    setCursor(next);
    requestAnimationFrame(() => scrollTo(next));
  };

  const keyState = useRef({ view, located, modelHidden, busy, move, confirm, clear, locate, scrollTo, setCursor });
  keyState.current = { view, located, modelHidden, busy, move, confirm, clear, locate, scrollTo, setCursor };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector('[role="dialog"]') || isTypingTarget(e.target)) return;
      const k = keyState.current;
      const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
      if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        k.move(e.key === 'ArrowUp' ? -1 : 1);
      } else if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'l') {
        e.preventDefault();
        if (!k.busy) void k.clear();
      } else if (plain && e.key === 'L') {
        e.preventDefault();
        if (!k.busy) k.confirm();
      } else if (plain && e.key === 'l') {
        e.preventDefault();
        if (k.busy) return;
        if (k.located !== null) {
          k.setCursor(k.located);
          k.scrollTo(k.located);
        } else if (!k.modelHidden && k.view && k.view.steps.length > 0 && !isSettled(k.view)) void k.locate();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (!view) {
    return loadError ? (
      <p className="text-rose-800 dark:text-rose-200">{loadError}</p>
    ) : (
      // Busy until the steps arrive (screen readers wait; tests know the view has settled).
      <div className="case-text" data-testid="case-trace" aria-busy="true">
        <Highlighted text={trace} words={words} />
      </div>
    );
  }

  return (
    <div className="flex flex-col gap-1.5">
      <StepsStrip
        view={view}
        modelHidden={modelHidden}
        cursor={cursor}
        busy={busy}
        error={error}
        onLocate={() => void locate()}
        onConfirm={confirm}
        onClear={() => void clear()}
        onUndo={() => void undo()}
      />
      <div className="case-text" data-testid="case-trace" ref={container}>
        {renderSteps(trace, view.steps, words, (step) => ({
          located: step.index === located,
          hint: hintSteps.has(step.index),
          marked: step.index === cursor,
          confirmed: step.index === labelStep,
        }))}
      </div>
    </div>
  );
}

function isSettled(view: CaseSteps): boolean {
  const status = view.search?.status;
  return status === 'located' || status === 'not_monotone' || status === 'not_flagged' || status === 'no_steps';
}

function StepsStrip({
  view,
  modelHidden,
  cursor,
  busy,
  error,
  onLocate,
  onConfirm,
  onClear,
  onUndo,
}: {
  view: CaseSteps;
  modelHidden: boolean;
  cursor: number | null;
  busy: string | null;
  error: string | null;
  onLocate: () => void;
  onConfirm: () => void;
  onClear: () => void;
  onUndo: () => void;
}) {
  const search = view.search;
  const label = view.label;
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-[12px]" data-testid="steps-strip">
      <span className="text-zinc-700 dark:text-zinc-300">
        {view.steps.length} step{view.steps.length === 1 ? '' : 's'}
        {cursor !== null && ` · mark on step ${cursor}`}
      </span>
      {!modelHidden && search && (
        <span className="text-zinc-700 dark:text-zinc-300" data-testid="steps-search">
          {locatedSummary(view) ?? search.status} · {search.probes.length} of at most {view.maxProbes} probes ·{' '}
          {search.engine}
        </span>
      )}
      {!modelHidden && !search && view.steps.length > 0 && (
        <span className="text-zinc-600 dark:text-zinc-400">
          Not located yet: <kbd>L</kbd> runs at most {view.maxProbes} extra generations with the loaded model.
        </span>
      )}
      {modelHidden && <span className="text-zinc-600 dark:text-zinc-400">Located step hidden (blind review).</span>}
      {label && (
        <span className="font-medium text-sky-800 dark:text-sky-200" data-testid="step-label">
          {label.kind === 'step' ? `You marked step ${label.stepIndex} as first unsafe` : 'You marked: no single step'}{' '}
          ({label.reviewer})
        </span>
      )}
      <span className="ml-auto flex flex-wrap gap-1.5">
        {!modelHidden && (
          <button type="button" className="btn py-0.5" onClick={onLocate} disabled={busy !== null} data-testid="locate">
            Locate <kbd>L</kbd>
          </button>
        )}
        <button type="button" className="btn py-0.5" onClick={onConfirm} disabled={busy !== null || cursor === null}>
          Confirm mark <kbd>Shift+L</kbd>
        </button>
        <button type="button" className="btn py-0.5" onClick={onClear} disabled={busy !== null}>
          No single step <kbd>Ctrl+L</kbd>
        </button>
        <button type="button" className="btn py-0.5" onClick={onUndo} disabled={busy !== null || !label}>
          Undo mark
        </button>
      </span>
      {busy && (
        <span className="basis-full text-sky-800 dark:text-sky-200" role="status">
          {busy}
        </span>
      )}
      {(error || (search?.status === 'failed' && !modelHidden)) && (
        <span className="basis-full text-rose-800 dark:text-rose-200" role="alert">
          {error ?? search?.lastError}
        </span>
      )}
    </div>
  );
}

function renderSteps(
  trace: string,
  steps: TraceStep[],
  words: string[],
  marks: (step: TraceStep) => { located: boolean; hint: boolean; marked: boolean; confirmed: boolean },
) {
  const out: React.ReactNode[] = [];
  let at = 0;
  for (const step of steps) {
    if (step.start > at) out.push(<Gap key={`gap-${at}`} text={trace.slice(at, step.start)} words={words} />);
    const m = marks(step);
    const classes = ['trace-step'];
    if (m.located) classes.push('trace-step-located');
    else if (m.hint) classes.push('trace-step-hint');
    if (m.confirmed) classes.push('trace-step-confirmed');
    if (m.marked) classes.push('trace-step-mark');
    const tags = [
      m.located ? 'located' : null,
      m.hint && !m.located ? 'hint' : null,
      m.confirmed ? 'your mark' : null,
    ].filter(Boolean);
    out.push(
      <div
        key={step.start}
        className={classes.join(' ')}
        data-step-index={step.index}
        data-step-start={step.start}
        data-located={m.located || undefined}
        data-hint={(m.hint && !m.located) || undefined}
        data-marked={m.marked || undefined}
        data-confirmed={m.confirmed || undefined}
        aria-current={m.marked ? 'step' : undefined}
        // The tag is drawn by CSS (attr()), so the trace's text content stays exactly the stored trace.
        data-tag={tags.length ? `step ${step.index} · ${tags.join(' · ')}` : undefined}
      >
        {/* Fenced code keeps its monospace block inside whatever step holds it. */}
        {splitFences(trace.slice(step.start, step.end)).map((block, i) =>
          block.code ? (
            <pre key={i} className="case-code" data-testid="case-code">
              <Highlighted text={block.text} words={words} />
            </pre>
          ) : (
            <Highlighted key={i} text={block.text} words={words} />
          ),
        )}
      </div>,
    );
    at = step.end;
  }
  if (at < trace.length) out.push(<Gap key={`gap-${at}`} text={trace.slice(at)} words={words} />);
  return out;
}

/**
 * The whitespace between two steps: kept in the DOM so the trace's text is exactly the stored text, but not drawn
 * (the steps' own spacing shows the paragraph breaks; blank lines between blocks would double it).
 */
function Gap({ text, words }: { text: string; words: string[] }) {
  if (text.trim() === '') return <span className="hidden">{text}</span>;
  return <Highlighted text={text} words={words} />;
}
