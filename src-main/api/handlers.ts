import type { EngineLoadRequest } from '@domain/engine';
import type { Settings } from '@domain/settings';
import type { ApiHandlers, Channel } from './contract';
import type { Core } from './core';
import { ApiError, toApiError } from './errors';
import { validateSettingsPatch } from './settings';
import { checkModelFolder } from '../engine/model-folder';
import { DEFAULT_PROFILE } from '../engine/profiles';
import { loadSystemPrompt } from '../engine/profiles/profile';
import { exportCases } from '../io/export';
import { importFileOffThread } from '../io/import/off-thread';
import { createSampleWorkspace } from '../io/demo/create-sample';
import { exposureTracker } from './exposure-tracker';
import { practiceFeedback, practiceSummary, refuseInPractice } from './practice';
import { createPracticeWorkspace } from '../io/practice/create-practice';
import { createPacks } from '../io/packs/create-packs';
import { exportDecisions, importDecisions } from '../io/packs/decisions-file';
import { importPack } from '../io/packs/import-pack';
import { enforceRendererPolicy, type RendererPolicy } from './renderer-policy';
import { convertHuggingFaceFolder } from './model-convert';
import { validateChannelInput } from './schemas';
import {
  assertBlindFilter,
  blindCaseDetail,
  blindCounts,
  blindQueuePage,
  blindQueueQuery,
  isBlindReviewer,
} from './blind-review';
import { createStepHandlers } from './step-handlers';

/**
 * The handler map: the single implementation of the contract. Electron's main process registers it with
 * ipcMain.handle, the CLI and the tests call it directly, the browser tests bridge window.api to it.
 * Every handler throws ApiError (code + readable message) and nothing else.
 */
export function createHandlers(core: Core, options: { renderer?: RendererPolicy } = {}): ApiHandlers {
  const { store, engines, jobs, events } = core;
  const exposure = exposureTracker(core);

  /** The running conversion, if any: one at a time (each reads and writes gigabytes). */
  let conversion: AbortController | null = null;

  const handlers: ApiHandlers = {
    // A blind reviewer's queue and case come without the model's verdict and the gold label (blind-review.ts).
    'cases.list': async (query) => {
      const settings = await core.settings();
      if (!isBlindReviewer(settings)) return store.cases.list(query ?? {});
      return blindQueuePage(await store.cases.list(blindQueueQuery(query ?? {})), settings.reviewer);
    },
    'cases.counts': async (filter) => {
      if (!isBlindReviewer(await core.settings())) return store.cases.counts(filter ?? {});
      assertBlindFilter(filter ?? {});
      return blindCounts(await store.cases.counts(filter ?? {}));
    },
    'cases.get': async ({ id }) => {
      const settings = await core.settings();
      const detail = await store.cases.get(id);
      return isBlindReviewer(settings) ? blindCaseDetail(detail, settings.reviewer) : detail;
    },
    'cases.neighbors': async (query) =>
      store.cases.neighbors(isBlindReviewer(await core.settings()) ? blindQueueQuery(query) : query),
    'cases.reveal': async ({ id }) => store.cases.get(id),

    'reviews.submit': async (input) => {
      const review = await store.decisions.submit(input);
      events.emit('cases.changed', { caseIds: [input.caseId] });
      if (review.risk !== null && review.risk >= 0.5) await exposure.judgedHarmful(review.reviewer, input.caseId);
      return review;
    },
    'reviews.undoLast': async ({ reviewer }) => {
      const undo = await store.decisions.undoLast(reviewer);
      if (undo) events.emit('cases.changed', { caseIds: [undo.caseId] });
      return undo;
    },
    'reviews.bulkAccept': async ({ caseIds, reviewer }) => {
      const result = await store.decisions.bulkAccept(caseIds, reviewer);
      events.emit('cases.changed', { caseIds });
      return result;
    },

    'import.run': async (request) => {
      // Parsing, image intake and the batch commits run on a worker thread with its own connection (docs/store.md).
      const summary = await importFileOffThread(
        { dataDir: core.dataDir, nativeBinding: core.options.sqliteNativeBinding },
        { actor: (await core.settings()).reviewer, ...request },
        (progress) => events.emit('import.progress', progress),
      );
      events.emit('cases.changed', { caseIds: 'all' });
      return summary;
    },
    'export.run': async (request) => {
      const needsPrompt = request.format === 'sft' || request.format === 'dpo';
      const systemPrompt = needsPrompt ? await exportPrompt(core, request.promptFile) : undefined;
      return exportCases(store, { ...request, systemPrompt });
    },

    'stats.get': async () => ({ ...(await store.metrics.stats()), located: await store.steps.counts() }),
    'metrics.get': async (query) => store.metrics.metrics(query ?? undefined),

    'engine.check': async ({ modelDir }) => checkModelFolder(modelDir),
    'engine.load': async (request) => {
      const settings = await core.settings();
      const merged: EngineLoadRequest = {
        engine: request.engine ?? settings.engine,
        modelDir: request.modelDir ?? settings.modelDir ?? undefined,
        acceptPromptMismatch: request.acceptPromptMismatch,
        openai: request.openai ?? (settings.openai ? { ...settings.openai } : undefined),
        parallel: request.parallel ?? settings.parallelism,
      };
      if (merged.engine !== 'openai' && !merged.modelDir) {
        throw new ApiError(
          'config',
          'No model folder chosen. Pick the folder with the GuardTrace-VL GGUF, its mmproj and qta_pormpt.txt.',
        );
      }
      const state = await engines.load(merged);
      // Remembered for next time in a data folder. A team database's settings are the team's (a lead's to change);
      // the model folder is this machine's, so a worker's --model is not written there.
      if (
        state.state === 'loaded' &&
        store.engine === 'sqlite' &&
        merged.modelDir &&
        merged.modelDir !== settings.modelDir
      ) {
        await store.settings.setMany({ modelDir: merged.modelDir });
      }
      return state;
    },
    'engine.unload': async () => {
      await jobs.shutdown();
      return engines.unload();
    },
    'engine.state': async () => engines.state(),

    'audit.start': async (request) => {
      const settings = await core.settings();
      // Cases in flight default to the loaded engine's slots (sized from Settings.parallelism at load).
      return jobs.start({
        strictFormat: settings.strictFormat,
        ...request,
      });
    },
    'audit.pause': async () => jobs.pause(),
    'audit.resume': async () => jobs.resume(),
    'audit.cancel': async () => jobs.cancel(),
    'audit.status': async () => jobs.progress(),
    'audit.prioritize': async ({ caseId }) => jobs.prioritize(caseId),

    'settings.get': async () => core.settings(),
    'settings.set': async (patch) => {
      await store.settings.setMany(validateSettingsPatch(patch) as Partial<Settings>);
      return core.settings();
    },
    'secrets.setApiKey': async ({ apiKey }) => {
      if (!core.options.setApiKey) {
        throw new ApiError(
          'config',
          'This front end cannot store secrets. In the CLI, set GUARDTRACE_API_KEY instead.',
        );
      }
      return core.options.setApiKey(apiKey);
    },

    'packs.create': async (request) =>
      createPacks(store, {
        ...request,
        createdBy: request.createdBy ?? (await core.settings()).reviewer,
        goldRate: (await core.settings()).goldRate,
        signer: await core.identity(),
      }),
    'packs.import': async ({ file }) => {
      const summary = await importPack(store, file, (await core.settings()).reviewer);
      if (!summary.alreadyImported) events.emit('cases.changed', { caseIds: 'all' });
      return summary;
    },
    'packs.list': async () => store.packs.list(),
    'decisions.export': async (request) => exportDecisions(store, request, await core.identity()),
    'decisions.import': async ({ file }) => {
      const summary = await importDecisions(store, file, (await core.settings()).reviewer);
      if (summary.imported) events.emit('cases.changed', { caseIds: 'all' });
      return summary;
    },
    'adjudication.get': async ({ caseId }) => store.adjudication.view(caseId),
    'adjudication.submit': async (input) => {
      const review = await store.adjudication.adjudicate(input);
      events.emit('cases.changed', { caseIds: [input.caseId] });
      return review;
    },
    'team.agreement': async () => store.metrics.teamAgreement(),
    'demo.create': async () => {
      const summary = await createSampleWorkspace(store, { actor: (await core.settings()).reviewer });
      events.emit('cases.changed', { caseIds: 'all' });
      return summary;
    },
    'gold.set': async (input) => store.gold.set({ ...input, actor: (await core.settings()).reviewer }),
    'gold.unset': async ({ caseId }) => ({ removed: await store.gold.unset(caseId, (await core.settings()).reviewer) }),
    'gold.list': async () => store.gold.list(),
    'gold.report': async () => store.gold.report((await core.settings()).goldRate),
    'exposure.status': async () => exposure.status(),
    'exposure.imageRevealed': async ({ caseId }) => exposure.imageRevealed(caseId),
    'exposure.startBreak': async () => exposure.startBreak(),
    'exposure.endBreak': async () => exposure.endBreak(),
    'practice.create': async ({ out }) =>
      createPracticeWorkspace(store, { out, createdBy: (await core.settings()).reviewer }),
    'practice.feedback': async ({ caseId }) => practiceFeedback(core, caseId),
    'practice.summary': async () => practiceSummary(core),
    ...createStepHandlers(core),

    'model.convert': async (request) => {
      if (conversion) {
        throw new ApiError('busy', 'A model conversion is already running; wait for it to finish or cancel it first.');
      }
      const controller = new AbortController();
      conversion = controller;
      try {
        const result = await convertHuggingFaceFolder({
          ...request,
          signal: controller.signal,
          onProgress: (progress) => events.emit('model.convertProgress', progress),
        });
        const { ok, errors, warnings } = result.check;
        return {
          outDir: result.outDir,
          modelPath: result.modelPath,
          mmprojPath: result.mmprojPath,
          seconds: result.seconds,
          warnings: result.warnings,
          check: { ok, errors, warnings },
        };
      } finally {
        conversion = null;
      }
    },
    'model.cancelConvert': async () => {
      const running = conversion;
      running?.abort();
      return { cancelled: running !== null };
    },
  };

  return wrapErrors(handlers, async (channel, arg) => {
    const checked = validateChannelInput(channel, arg);
    refuseInPractice(channel, await core.settings());
    // The app window gets these rules on top; the CLI and the tests are the user at their own machine.
    if (options.renderer) await enforceRendererPolicy(channel, checked, options.renderer, core.settings);
    return checked;
  });
}

/** The system prompt for training exports: the file named, else the loaded model folder's prompt. */
async function exportPrompt(core: Core, promptFile: string | undefined): Promise<string> {
  if (promptFile) return (await loadSystemPrompt(promptFile, DEFAULT_PROFILE)).text;
  const modelDir = (await core.settings()).modelDir;
  const check = modelDir ? await checkModelFolder(modelDir) : null;
  if (!check?.promptPath) {
    throw new ApiError(
      'config',
      'sft and dpo exports need the GuardTrace system prompt: choose the model folder first, or pass --prompt FILE (qta_pormpt.txt).',
    );
  }
  return (await loadSystemPrompt(check.promptPath, DEFAULT_PROFILE)).text;
}

/** Every channel: its argument checked first (schemas.ts, and the window's rules), any error made an ApiError. */
function wrapErrors(handlers: ApiHandlers, check: (channel: Channel, arg: unknown) => Promise<unknown>): ApiHandlers {
  const wrapped = {} as Record<string, (arg: unknown) => Promise<unknown>>;
  for (const [channel, handler] of Object.entries(handlers) as Array<[Channel, (arg: unknown) => Promise<unknown>]>) {
    wrapped[channel] = async (arg: unknown) => {
      try {
        return await handler(await check(channel, arg));
      } catch (error) {
        throw toApiError(error);
      }
    };
  }
  return wrapped as unknown as ApiHandlers;
}
