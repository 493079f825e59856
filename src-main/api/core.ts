import type { EngineState } from '@domain/engine';
import type { Settings } from '@domain/settings';
import { CoreEvents } from './events';
import { defaultSettings } from './settings';
import { EngineManager } from '../engine/engine-manager';
import { imageDecoder, installImageDecoderHost, type DecoderProcessHost } from '../engine/image-decoding';
import { shippedLevelSchemes } from '../engine/profiles';
import { AuditRunner } from '../jobs/audit-runner';
import { locateFlaggedAfterBatches, StepLocator } from '../jobs/step-locator';
import type { BackupSummary, Store } from '../store/contract';
import { openStore } from '../store/open-store';
import {
  fileKeyStorage,
  loadIdentity,
  type IdentityKeyStorage,
  type WorkspaceIdentity,
} from '../io/identity/workspace-identity';

export interface CoreOptions {
  /** This computer's folder: the workspace itself, or with `storeUrl` the cache of team images and engine files. */
  dataDir: string;
  /** A team database (postgres:// URL) instead of the data folder's own store. */
  storeUrl?: string;
  /** Secret storage for the OpenAI-compatible server's key: Electron safeStorage in the app, an env var in the CLI. */
  /** Given the server address the key is for: a stored key is only handed out for the address it was saved for. */
  getApiKey?: (baseUrl: string) => Promise<string | null>;
  setApiKey?: (key: string | null) => Promise<{ stored: boolean; encrypted: boolean }>;
  /**
   * Where the workspace's Ed25519 private key is kept (it signs packs and decisions files). Default: a 0600 file in
   * the data folder (io/identity/workspace-identity.ts, fileKeyStorage); the Electron main process may pass storage
   * backed by safeStorage instead. Not wired in the app yet: it uses the default too (docs/security.md).
   */
  identityKeys?: IdentityKeyStorage;
  /** Engine tuning for tests and benchmarks (threads, GPU off, small context). */
  engine?: { threads?: number; gpu?: 'auto' | false; maxPixels?: number };
  /** better-sqlite3 addon for this runtime when node_modules holds one built for another (see openDatabase). */
  sqliteNativeBinding?: string;
  /** The CLI's reading commands (stats, export): the database is opened read-only. */
  readOnly?: boolean;
  /**
   * How this process starts its image-decoding process: the app passes an Electron utilityProcess host; without
   * one a Node child process is used (engine/image-decoding). Installed for the whole process; close() stops it.
   */
  imageDecoderHost?: DecoderProcessHost;
}

export type { DecoderProcess, DecoderProcessHost } from '../engine/image-decoding';

/** Everything below the UI, wired once: the store, the engine lifecycle, the audit queue and the event bus. */
export interface Core {
  dataDir: string;
  store: Store;
  /**
   * This moderator's own records that stay on this computer (the exposure counter): the data folder's store. With a
   * team database it is a second store, opened on first use; otherwise the same one.
   */
  personal(): Promise<Store>;
  engines: EngineManager;
  jobs: AuditRunner;
  /** Step localization: prefix searches through the loaded engine (docs/step-localization.md). */
  steps: StepLocator;
  events: Pick<CoreEvents, 'on' | 'emit'>;
  options: CoreOptions;
  settings(): Promise<Settings>;
  /** This workspace's key pair (made on first use): signs the packs and decisions files it writes. */
  identity(): Promise<WorkspaceIdentity>;
  readImage(sha256: string): Promise<{ bytes: Buffer; mime: string } | null>;
  /** A consistent copy of the case database at `out`, taken while others write (the store's backup method). */
  backup(out: string): Promise<BackupSummary>;
  /** Today's backup in <dataDir>/backups unless there is one; keeps the newest `keep`. Null when nothing was due. */
  dailyBackup(keep?: number): Promise<BackupSummary | null>;
  close(): Promise<void>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  if (options.imageDecoderHost) await installImageDecoderHost(options.imageDecoderHost);
  const store = await openStore(
    options.storeUrl ? { kind: 'url', url: options.storeUrl } : { kind: 'folder', dataDir: options.dataDir },
    {
      cacheDir: options.dataDir,
      sqliteNativeBinding: options.sqliteNativeBinding,
      readOnly: options.readOnly,
      // Decisions, adjudications and scores use the vocabulary of the profile that judged each case.
      levelSchemes: shippedLevelSchemes(),
    },
  );
  // Jobs a crash left 'running' are not re-queued here: another live process (the app, a second
  // `guardtrace audit`) may be working them. The audit runner re-queues only orphans, when it starts a batch.
  const events = new CoreEvents();
  const settings = async (): Promise<Settings> => ({
    ...defaultSettings(),
    ...((await store.settings.all()) as Partial<Settings>),
  });
  const engines = new EngineManager({
    dataDir: options.dataDir,
    onState: (state: EngineState) => events.emit('engine.state', state),
    liveSettings: async () => {
      const { maxPixels, llamaServerPath } = await settings();
      // A per-run override (CLI --max-pixels) wins over the stored setting without changing it.
      return { maxPixels: options.engine?.maxPixels ?? maxPixels, llamaServerPath };
    },
    threads: options.engine?.threads,
    gpu: options.engine?.gpu,
    getApiKey: options.getApiKey,
  });
  const jobs = new AuditRunner({ store, events, currentEngine: () => engines.current() });
  const steps = new StepLocator({ store, events, currentEngine: () => engines.current() });
  const stopLocatingAfterBatches = locateFlaggedAfterBatches(steps, events, settings);
  let closed = false;
  let identity: Promise<WorkspaceIdentity> | null = null;
  let personal: Promise<Store> | null = options.storeUrl ? null : Promise.resolve(store);
  return {
    dataDir: options.dataDir,
    store,
    personal: () =>
      (personal ??= openStore({ kind: 'folder', dataDir: options.dataDir }, { levelSchemes: shippedLevelSchemes() })),
    engines,
    jobs,
    steps,
    events,
    options,
    settings,
    identity: () => {
      identity ??= loadIdentity(options.identityKeys ?? fileKeyStorage(options.dataDir));
      return identity.catch((error: unknown) => {
        identity = null;
        throw error;
      });
    },
    readImage: (sha256) => store.images.read(sha256),
    backup: (out) => store.backups.backup(out),
    dailyBackup: (keep = 7) => store.backups.daily(keep),
    async close() {
      if (closed) return;
      closed = true;
      await jobs.shutdown().catch(() => undefined);
      stopLocatingAfterBatches();
      await steps.shutdown().catch(() => undefined);
      await engines.dispose();
      await store.close();
      if (personal && options.storeUrl) await (await personal.catch(() => null))?.close();
      if (options.imageDecoderHost) await imageDecoder().dispose();
    },
  };
}
