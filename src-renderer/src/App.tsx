import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EngineState } from '@domain/engine';
import type { ExposureStatus } from '@domain/exposure';
import type { PracticeFeedback, PracticeSummary } from '@domain/practice';
import type { ImportSummary } from '@domain/io';
import type { Stats } from '@domain/metrics';
import type { Settings } from '@domain/settings';
import type { MenuCommand } from '@domain/shortcuts';
import { api, errorMessage, invoke, useApiEvent } from './api';
import { DIALOG_BLOCKED_EVENT } from './components/Dialog';
import { ImportResultDialog } from './components/ImportResultDialog';
import { BreakDialog } from './components/quality/BreakDialog';
import { EmptyWorkspace } from './components/quality/EmptyWorkspace';
import { ExposureMeter } from './components/quality/ExposureMeter';
import { PracticeFeedbackDialog, PracticeSummaryDialog } from './components/quality/PracticeDialogs';
import { setImageCare } from './components/quality/image-care';
import { ShortcutOverlay } from './components/ShortcutOverlay';
import { StatusBar } from './components/StatusBar';
import { coalesce } from './lib/coalesce';
import { acceleratorShortcut, isTypingTarget, keyOf, singleKeyShortcut } from './lib/keys';
import { streamStore } from './lib/stream-store';
import { useToasts } from './lib/use-toasts';
import { AdjudicationScreen } from './screens/AdjudicationScreen';
import { AuditScreen, useAuditProgress } from './screens/AuditScreen';
import { DataScreen, runImport } from './screens/DataScreen';
import { MetricsScreen } from './screens/MetricsScreen';
import { ReviewScreen, type ReviewScreenHandle } from './screens/ReviewScreen';
import { SettingsScreen } from './screens/SettingsScreen';

type View = 'review' | 'audit' | 'metrics' | 'data' | 'adjudication' | 'settings';

const TABS: Array<{ view: View; label: string; key: string }> = [
  { view: 'review', label: 'Review', key: keyOf('app.review') },
  { view: 'audit', label: 'Audit runner', key: keyOf('app.audit') },
  { view: 'metrics', label: 'Metrics', key: keyOf('app.metrics') },
  { view: 'data', label: 'Import / Export', key: keyOf('app.data') },
  { view: 'adjudication', label: 'Adjudication', key: keyOf('app.adjudication') },
  { view: 'settings', label: 'Settings', key: keyOf('app.settings') },
];

export function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [startupError, setStartupError] = useState<string | null>(null);
  const [view, setView] = useState<View>('review');
  const [showShortcuts, setShowShortcuts] = useState(false);
  const [engineState, setEngineState] = useState<EngineState>({ state: 'unloaded' });
  const [stats, setStats] = useState<Stats | null>(null);
  const [selectedCaseIds, setSelectedCaseIds] = useState<string[]>([]);
  const [droppedImport, setDroppedImport] = useState<ImportSummary[] | null>(null);
  const [dragging, setDragging] = useState(false);
  const progress = useAuditProgress();
  const reviewRef = useRef<ReviewScreenHandle>(null);
  const { toasts, notify, dismiss } = useToasts();
  const [exposure, setExposure] = useState<ExposureStatus | null>(null);
  const [breakOpen, setBreakOpen] = useState(false);
  const [practiceFeedback, setPracticeFeedback] = useState<PracticeFeedback | null>(null);
  const [practiceSummary, setPracticeSummary] = useState<PracticeSummary | null>(null);

  useEffect(() => {
    invoke('settings.get', undefined).then(setSettings, (e: unknown) => setStartupError(errorMessage(e)));
    invoke('engine.state', undefined).then(setEngineState, () => undefined);
  }, []);

  const onSettings = useCallback(
    async (patch: Partial<Settings>) => {
      try {
        setSettings(await invoke('settings.set', patch));
      } catch (e) {
        notify(`Setting not saved: ${errorMessage(e)}`, 'error');
      }
    },
    [notify],
  );

  // Theme 'system' (the default) follows the OS, also when it switches while the app is open; dark/light override it.
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      const dark = settings?.theme === 'dark' || ((settings?.theme ?? 'system') === 'system' && media.matches);
      document.documentElement.classList.toggle('dark', dark);
      document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [settings?.theme]);

  // The moderator's exposure (docs/quality.md): the core counts, the window shows and obeys the hard limit.
  useEffect(() => {
    if (settings?.reviewer) invoke('exposure.status', undefined).then(setExposure, () => undefined);
  }, [settings?.reviewer]);
  useApiEvent('exposure.changed', setExposure);
  const onImageRevealed = useCallback((caseId: string) => {
    invoke('exposure.imageRevealed', { caseId }).then(setExposure, () => undefined);
  }, []);
  const imageDisplay = settings?.imageDisplay;
  const mustBreak = exposure?.mustBreak ?? false;
  useEffect(() => {
    if (imageDisplay) setImageCare({ display: imageDisplay, mustBreak, onRevealed: onImageRevealed });
  }, [imageDisplay, mustBreak, onImageRevealed]);
  const startBreak = async () => {
    try {
      setExposure(await invoke('exposure.startBreak', undefined));
      setBreakOpen(true);
    } catch (e) {
      notify(`Could not start the break: ${errorMessage(e)}`, 'error');
    }
  };
  const endBreak = async () => {
    try {
      setExposure(await invoke('exposure.endBreak', undefined));
      setBreakOpen(false);
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };

  // Practice workspace: after each decision, the gold answer; after the last one, the summary.
  const practice = settings?.practice ?? null;
  useEffect(() => {
    document.title = practice ? 'GuardTrace — PRACTICE' : 'GuardTrace';
  }, [practice]);
  useApiEvent('cases.changed', ({ caseIds }) => {
    if (!practice || caseIds === 'all' || caseIds.length !== 1) return;
    invoke('practice.feedback', { caseId: caseIds[0] }).then(
      (feedback) => feedback.given && setPracticeFeedback(feedback),
      () => undefined,
    );
  });
  const closePracticeFeedback = () => {
    setPracticeFeedback(null);
    invoke('practice.summary', undefined).then(
      (summary) => summary.decided === summary.total && setPracticeSummary(summary),
      () => undefined,
    );
  };

  const refreshStats = useCallback(() => {
    invoke('stats.get', undefined).then(setStats, () => undefined);
  }, []);
  useEffect(refreshStats, [refreshStats]);
  // stats.get scans the store (tens of ms at 100k cases), so it waits for a pause between decisions rather than
  // running on each one; the cap keeps it from falling visibly behind the queue's own counts during a batch.
  const refreshStatsRef = useRef(refreshStats);
  refreshStatsRef.current = refreshStats;
  const scheduleStats = useMemo(() => coalesce(() => refreshStatsRef.current(), 400, 3000), []);
  useApiEvent('cases.changed', scheduleStats);
  useApiEvent('audit.verdict', scheduleStats);
  useApiEvent('engine.state', setEngineState);
  useApiEvent('audit.token', ({ caseId, text }) => streamStore.append(caseId, text));
  useApiEvent('audit.progress', ({ currentCaseId, state }) => {
    if (currentCaseId) streamStore.started(currentCaseId);
    // Paused, cancelled or finished: whatever was half-written (or failed) is not being written any more.
    if (state !== 'running') streamStore.clear();
  });

  const importFiles = useCallback(
    async (files: string[]) => {
      const summaries: ImportSummary[] = [];
      for (const file of files) {
        try {
          summaries.push(await runImport(file, { actor: settings?.reviewer }));
        } catch (e) {
          notify(`Import of ${file} failed: ${errorMessage(e)}`, 'error');
        }
      }
      if (summaries.length > 0) setDroppedImport(summaries);
    },
    [notify, settings?.reviewer],
  );

  const modalOpen = showShortcuts || droppedImport !== null;
  const runCommand = useCallback(
    async (command: MenuCommand) => {
      // A modal dialog pauses the page: a menu command other than the shortcut list's own toggle is refused, and
      // the dialog says so (the page's keys are stopped by the dialog itself).
      if (modalOpen && command !== 'shortcuts') {
        window.dispatchEvent(new CustomEvent(DIALOG_BLOCKED_EVENT, { detail: `Menu: ${command}` }));
        return;
      }
      switch (command) {
        case 'view.review':
          return setView('review');
        case 'view.audit':
          return setView('audit');
        case 'view.metrics':
          return setView('metrics');
        case 'view.data':
          return setView('data');
        case 'view.adjudication':
          return setView('adjudication');
        case 'view.settings':
          return setView('settings');
        case 'shortcuts':
          return setShowShortcuts((s) => !s);
        case 'undoLast':
          return reviewRef.current?.undoLast();
        case 'focusSearch':
          setView('review');
          return setTimeout(() => reviewRef.current?.focusSearch(), 0);
        case 'import': {
          const file = await api.pickFile({ purpose: 'import' });
          if (file) await importFiles([file]);
          return;
        }
        case 'export':
          return setView('data');
        case 'sample': {
          setView('review');
          try {
            const sample = await invoke('demo.create', undefined);
            notify(
              sample.imported
                ? `Sample workspace added: ${sample.imported} synthetic cases with demo verdicts (written by hand, not a model).`
                : 'The sample workspace is already here.',
            );
          } catch (e) {
            notify(`Could not add the sample workspace: ${errorMessage(e)}`, 'error');
          }
          return;
        }
        case 'modelDir': {
          setView('audit');
          const dir = await api.pickFile({ purpose: 'modelDir' });
          if (dir) await onSettings({ modelDir: dir });
          return;
        }
      }
    },
    [importFiles, onSettings, notify, modalOpen],
  );

  useEffect(() => api.onMenuCommand?.((c) => void runCommand(c)), [runCommand]);

  // In Electron the menu's accelerators deliver these; in a plain browser (tests) the page handles them itself.
  useEffect(() => {
    const menuHandlesAccelerators = typeof api.onMenuCommand === 'function';
    const onKey = (e: KeyboardEvent) => {
      if (!isTypingTarget(e.target) && singleKeyShortcut(e) === 'app.shortcuts') {
        e.preventDefault();
        setShowShortcuts((s) => !s);
        return;
      }
      if (menuHandlesAccelerators) return;
      const command = acceleratorShortcut(e)?.command;
      if (command) {
        e.preventDefault();
        void runCommand(command);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [runCommand]);

  const onDrop = async (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const paths = [...e.dataTransfer.files].map((f) => api.pathForFile?.(f) ?? null);
    const usable = paths.filter((p): p is string => !!p);
    if (usable.length === 0) {
      notify('Could not read the dropped file’s location. Use Import (Ctrl+O) instead.', 'error');
      return;
    }
    await importFiles(usable);
  };

  if (startupError) {
    return (
      <div className="p-6">
        <h1 className="text-lg font-semibold text-rose-600">GuardTrace could not open its case store</h1>
        <p className="mt-2 whitespace-pre-wrap">{startupError}</p>
      </div>
    );
  }
  if (!settings) return <p className="p-6 text-zinc-600 dark:text-zinc-400">Opening the case store…</p>;

  return (
    <div
      className="flex h-full flex-col"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => void onDrop(e)}
    >
      <header className="flex h-10 min-w-0 shrink-0 items-center gap-3 overflow-hidden border-b border-zinc-200 bg-white px-3 dark:border-zinc-800 dark:bg-zinc-900">
        <span className="flex shrink-0 items-center gap-1.5 font-semibold tracking-tight">
          <span aria-hidden className="inline-block h-3 w-3 rounded-sm bg-sky-600" />
          GuardTrace
          {practice && (
            <span
              className="rounded bg-violet-700 px-1.5 py-px text-[11px] font-semibold text-white"
              data-testid="practice-badge"
            >
              PRACTICE
            </span>
          )}
        </span>
        <nav aria-label="Screens" className="flex h-full shrink-0 items-stretch gap-0.5">
          {TABS.map((tab) => (
            <button
              key={tab.view}
              aria-current={view === tab.view ? 'page' : undefined}
              data-testid={`tab-${tab.view}`}
              title={tab.key}
              className="flex items-center gap-1.5 border-b-2 border-transparent px-2.5 text-[12.5px] whitespace-nowrap text-zinc-600 hover:text-zinc-900 aria-[current=page]:border-sky-600 aria-[current=page]:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100 dark:aria-[current=page]:text-zinc-100"
              onClick={() => setView(tab.view)}
            >
              {tab.label}
              <kbd className="hidden xl:inline">{tab.key}</kbd>
            </button>
          ))}
        </nav>
        <span className="ml-auto flex min-w-0 items-center gap-3 text-[12px] whitespace-nowrap text-zinc-600 dark:text-zinc-400">
          <EngineChip state={engineState} />
          <span title="Reviewer" className="max-w-[10rem] truncate">
            {settings.reviewer}
          </span>
          <button
            className="btn py-0.5"
            onClick={() => setShowShortcuts(true)}
            aria-label="Keyboard shortcuts"
            data-testid="shortcuts-button"
          >
            Shortcuts <kbd>?</kbd>
          </button>
        </span>
      </header>

      <div className="flex min-h-0 flex-1 flex-col">
        <div className={view === 'review' ? 'flex min-h-0 flex-1' : 'hidden'}>
          <ReviewScreen
            ref={reviewRef}
            settings={settings}
            notify={notify}
            active={view === 'review' && !showShortcuts && !practiceFeedback && !practiceSummary}
            onSelectionChange={setSelectedCaseIds}
            engineState={engineState}
            auditProgress={progress}
            emptyWorkspace={
              stats?.cases === 0 ? <EmptyWorkspace onCommand={(command) => void runCommand(command)} /> : undefined
            }
          />
        </div>
        {view === 'audit' && (
          <AuditScreen
            settings={settings}
            onSettings={onSettings}
            notify={notify}
            selectedCaseIds={selectedCaseIds}
            engineState={engineState}
            progress={progress}
          />
        )}
        {view === 'metrics' && <MetricsScreen active />}
        {view === 'data' && (
          <DataScreen notify={notify} reviewer={settings.reviewer} selectedCaseIds={selectedCaseIds} />
        )}
        {view === 'adjudication' && <AdjudicationScreen active reviewer={settings.reviewer} notify={notify} />}
        {view === 'settings' && <SettingsScreen settings={settings} onSettings={onSettings} notify={notify} />}
      </div>

      <StatusBar stats={stats} progress={progress} toasts={toasts} onDismiss={dismiss}>
        {practice && (
          <span className="font-semibold text-violet-800 dark:text-violet-200" data-testid="practice-status">
            Practice workspace: answers are not labels
          </span>
        )}
        {exposure && (
          <ExposureMeter
            status={exposure}
            onTakeBreak={() => (exposure.onBreak ? setBreakOpen(true) : void startBreak())}
          />
        )}
      </StatusBar>

      {dragging && (
        <div className="pointer-events-none fixed inset-0 z-40 flex items-center justify-center border-4 border-dashed border-sky-600 bg-sky-600/10 text-lg font-semibold">
          Drop to import cases
        </div>
      )}
      {showShortcuts && <ShortcutOverlay onClose={() => setShowShortcuts(false)} />}
      {droppedImport && <ImportResultDialog summaries={droppedImport} onClose={() => setDroppedImport(null)} />}
      {practiceFeedback && <PracticeFeedbackDialog feedback={practiceFeedback} onClose={closePracticeFeedback} />}
      {practiceSummary && <PracticeSummaryDialog summary={practiceSummary} onClose={() => setPracticeSummary(null)} />}
      {breakOpen && exposure?.onBreak && (
        <BreakDialog
          status={{ ...exposure, onBreak: exposure.onBreak }}
          onEnd={() => void endBreak()}
          onClose={() => setBreakOpen(false)}
        />
      )}
    </div>
  );
}

function EngineChip({ state }: { state: EngineState }) {
  const text =
    state.state === 'loaded'
      ? `${state.info.modelName} · ${state.info.gpu.backend.toUpperCase()}${state.info.dataLeavesMachine ? ` · sends data to ${state.info.dataLeavesMachine.host}` : ' · local'}`
      : state.state === 'loading'
        ? 'Loading model…'
        : state.state === 'error'
          ? 'Model error'
          : 'No model loaded';
  const colour =
    state.state === 'loaded'
      ? state.info.dataLeavesMachine
        ? 'bg-amber-500'
        : 'bg-emerald-500'
      : state.state === 'error'
        ? 'bg-rose-500'
        : 'bg-zinc-400';
  return (
    <span className="flex min-w-0 items-center gap-1.5 truncate" data-testid="engine-chip" title={text}>
      <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${colour}`} />
      {text}
    </span>
  );
}
