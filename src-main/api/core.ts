import type { EngineState } from '@domain/engine';
import type { Settings } from '@domain/settings';
import { CoreEvents } from './events';
import { defaultSettings } from './settings';
import { EngineManager } from '../engine/engine-manager';
import { AuditRunner } from '../jobs/audit-runner';
import { CaseStore } from '../store';

export interface CoreOptions {
  dataDir: string;
  /** Secret storage for the OpenAI-compatible server's key: Electron safeStorage in the app, an env var in the CLI. */
  getApiKey?: () => Promise<string | null>;
  setApiKey?: (key: string | null) => Promise<{ stored: boolean; encrypted: boolean }>;
  /** Engine tuning for tests and benchmarks (threads, GPU off, small context). */
  engine?: { threads?: number; gpu?: 'auto' | false; maxPixels?: number };
  /** better-sqlite3 addon for this runtime when node_modules holds one built for another (see openDatabase). */
  sqliteNativeBinding?: string;
}

/** Everything below the UI, wired once: the store, the engine lifecycle, the audit queue and the event bus. */
export interface Core {
  dataDir: string;
  store: CaseStore;
  engines: EngineManager;
  jobs: AuditRunner;
  events: Pick<CoreEvents, 'on' | 'emit'>;
  options: CoreOptions;
  settings(): Settings;
  readImage(sha256: string): Promise<{ bytes: Buffer; mime: string } | null>;
  close(): Promise<void>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const store = CaseStore.open(options.dataDir, { nativeBinding: options.sqliteNativeBinding });
  // Nothing can be running at start-up: whatever a crash left 'running' goes back to the queue.
  store.jobs.requeueInterrupted();
  const events = new CoreEvents();
  const settings = (): Settings => ({ ...defaultSettings(), ...(store.settings.all() as Partial<Settings>) });
  const engines = new EngineManager({
    dataDir: options.dataDir,
    onState: (state: EngineState) => events.emit('engine.state', state),
    liveSettings: () => {
      const { maxPixels, llamaServerPath } = settings();
      // A per-run override (CLI --max-pixels) wins over the stored setting without changing it.
      return { maxPixels: options.engine?.maxPixels ?? maxPixels, llamaServerPath };
    },
    threads: options.engine?.threads,
    gpu: options.engine?.gpu,
    getApiKey: options.getApiKey,
  });
  const jobs = new AuditRunner({ store, events, currentEngine: () => engines.current() });
  let closed = false;
  return {
    dataDir: options.dataDir,
    store,
    engines,
    jobs,
    events,
    options,
    settings,
    readImage: (sha256) => store.images.read(sha256),
    async close() {
      if (closed) return;
      closed = true;
      await jobs.shutdown().catch(() => undefined);
      await engines.dispose();
      store.close();
    },
  };
}
