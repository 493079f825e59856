import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EngineState } from '@domain/engine';
import type { ImportSummary } from '@domain/io';
import type { Stats } from '@domain/metrics';
import type { Settings } from '@domain/settings';
import type { MenuCommand } from '@main/api/contract';
import { api, errorMessage, invoke, useApiEvent } from './api';
import { ShortcutOverlay } from './components/ShortcutOverlay';
import { coalesce } from './lib/coalesce';
import { isTypingTarget } from './lib/keys';
import { streamStore } from './lib/stream-store';
import { AuditScreen, useAuditProgress } from './screens/AuditScreen';
import { DataScreen, ImportResult, runImport } from './screens/DataScreen';
import { MetricsScreen } from './screens/MetricsScreen';
import { ReviewScreen, type ReviewScreenHandle } from './screens/ReviewScreen';
import { SettingsScreen } from './screens/SettingsScreen';

type View = 'review' | 'audit' | 'metrics' | 'data' | 'settings';

const TABS: Array<{ view: View; label: string; key: string }> = [
  { view: 'review', label: 'Review', key: 'Ctrl+1' },
  { view: 'audit', label: 'Audit runner', key: 'Ctrl+2' },
  { view: 'metrics', label: 'Metrics', key: 'Ctrl+3' },
  { view: 'data', label: 'Import / Export', key: 'Ctrl+4' },
  { view: 'settings', label: 'Settings', key: 'Ctrl+,' },
];

interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
}

export function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [startupError, setStartupError] = useState<string | null>(null);
  const [view, setView] = useState<View>('review');
  const [showShortcuts, setShowShortcuts] = useState(false);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [engineState, setEngineState] = useState<EngineState>({ state: 'unloaded' });
  const [stats, setStats] = useState<Stats | null>(null);
  const [selectedCaseIds, setSelectedCaseIds] = useState<string[]>([]);
  const [droppedImport, setDroppedImport] = useState<ImportSummary[] | null>(null);
  const [dragging, setDragging] = useState(false);
  const progress = useAuditProgress();
  const reviewRef = useRef<ReviewScreenHandle>(null);
  const toastId = useRef(0);

  const notify = useCallback((message: string, kind: 'info' | 'error' = 'info') => {
    const id = ++toastId.current;
    setToasts((t) => [...t.slice(-3), { id, message, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 12_000 : 4_000);
  }, []);

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

  const runCommand = useCallback(
    async (command: MenuCommand) => {
      switch (command) {
        case 'view.review':
          return setView('review');
        case 'view.audit':
          return setView('audit');
        case 'view.metrics':
          return setView('metrics');
        case 'view.data':
          return setView('data');
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
        case 'modelDir': {
          setView('audit');
          const dir = await api.pickFile({ purpose: 'modelDir' });
          if (dir) await onSettings({ modelDir: dir });
          return;
        }
      }
    },
    [importFiles, onSettings],
  );

  useEffect(() => api.onMenuCommand?.((c) => void runCommand(c)), [runCommand]);

  // In Electron the menu's accelerators deliver these; in a plain browser (tests) the page handles them itself.
  useEffect(() => {
    const menuHandlesAccelerators = typeof api.onMenuCommand === 'function';
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (e.key === '?' && !mod && !isTypingTarget(e.target)) {
        e.preventDefault();
        setShowShortcuts((s) => !s);
        return;
      }
      if (menuHandlesAccelerators || !mod) return;
      const byKey: Record<string, MenuCommand> = {
        '1': 'view.review',
        '2': 'view.audit',
        '3': 'view.metrics',
        '4': 'view.data',
        ',': 'view.settings',
        o: 'import',
        e: 'export',
        m: 'modelDir',
        f: 'focusSearch',
      };
      const command = e.shiftKey && e.key.toLowerCase() === 'z' ? 'undoLast' : byKey[e.key];
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
  if (!settings) return <p className="p-6 text-zinc-500">Opening the case store…</p>;

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
      <header className="flex h-10 shrink-0 items-center gap-3 border-b border-zinc-200 bg-white px-3 dark:border-zinc-800 dark:bg-zinc-900">
        <span className="flex items-center gap-1.5 font-semibold tracking-tight">
          <span aria-hidden className="inline-block h-3 w-3 rounded-sm bg-sky-600" />
          GuardTrace
        </span>
        <nav aria-label="Screens" className="flex h-full items-stretch gap-0.5">
          {TABS.map((tab) => (
            <button
              key={tab.view}
              aria-current={view === tab.view ? 'page' : undefined}
              data-testid={`tab-${tab.view}`}
              title={tab.key}
              className="flex items-center gap-1.5 border-b-2 border-transparent px-2.5 text-[12.5px] text-zinc-600 hover:text-zinc-900 aria-[current=page]:border-sky-600 aria-[current=page]:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100 dark:aria-[current=page]:text-zinc-100"
              onClick={() => setView(tab.view)}
            >
              {tab.label}
              <kbd className="hidden xl:inline">{tab.key}</kbd>
            </button>
          ))}
        </nav>
        <span className="ml-auto flex items-center gap-3 text-[12px] text-zinc-500">
          <EngineChip state={engineState} />
          <span title="Reviewer">{settings.reviewer}</span>
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
            active={view === 'review' && !showShortcuts}
            onSelectionChange={setSelectedCaseIds}
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
        {view === 'data' && <DataScreen notify={notify} reviewer={settings.reviewer} />}
        {view === 'settings' && <SettingsScreen settings={settings} onSettings={onSettings} notify={notify} />}
      </div>

      <footer
        className="flex h-6 shrink-0 items-center gap-4 border-t border-zinc-200 bg-white px-3 text-[11px] text-zinc-500 tabular-nums dark:border-zinc-800 dark:bg-zinc-900"
        data-testid="status-bar"
      >
        {stats ? (
          <>
            <span>{stats.cases.toLocaleString()} cases</span>
            <span>{stats.audited.toLocaleString()} audited</span>
            <span>{stats.reviewed.toLocaleString()} reviewed</span>
            {stats.parseFailures > 0 && <span className="text-fuchsia-600">{stats.parseFailures} parse failures</span>}
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
          <span className="ml-auto text-sky-600 dark:text-sky-400">
            Auditing {progress.done + progress.failed}/{progress.total} ({progress.state})
          </span>
        )}
      </footer>

      {dragging && (
        <div className="pointer-events-none fixed inset-0 z-40 flex items-center justify-center border-4 border-dashed border-sky-600 bg-sky-600/10 text-lg font-semibold">
          Drop to import cases
        </div>
      )}
      {showShortcuts && <ShortcutOverlay onClose={() => setShowShortcuts(false)} />}
      {droppedImport && (
        <div
          className="fixed inset-0 z-50 flex items-center justify-center bg-black/50"
          onClick={() => setDroppedImport(null)}
        >
          <div
            role="dialog"
            aria-modal="true"
            aria-label="Import result"
            className="panel w-[640px] p-4"
            onClick={(e) => e.stopPropagation()}
          >
            <h2 className="mb-2 text-base font-semibold">Import finished</h2>
            {droppedImport.map((s) => (
              <div key={s.file} className="mb-3">
                <p className="font-mono text-[12px]">{s.file}</p>
                <ImportResult summary={s} />
              </div>
            ))}
            <button className="btn" autoFocus onClick={() => setDroppedImport(null)}>
              Close <kbd>Esc</kbd>
            </button>
          </div>
        </div>
      )}
      <div className="fixed right-3 bottom-8 z-50 flex w-[420px] flex-col gap-1.5" aria-live="polite" role="status">
        {toasts.map((t) => (
          <div
            key={t.id}
            data-testid="toast"
            className={`rounded border px-3 py-2 text-[12.5px] shadow-lg ${
              t.kind === 'error'
                ? 'border-rose-600/60 bg-rose-50 text-rose-900 dark:bg-rose-950 dark:text-rose-100'
                : 'border-zinc-300 bg-white dark:border-zinc-700 dark:bg-zinc-800'
            }`}
          >
            {t.message}
          </div>
        ))}
      </div>
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
    <span className="flex items-center gap-1.5" data-testid="engine-chip">
      <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${colour}`} />
      {text}
    </span>
  );
}
