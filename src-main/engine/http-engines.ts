// Entry point for the engines that talk HTTP: a user-configured OpenAI-compatible server ('openai') and the local
// llama-server the app starts itself ('sidecar'). The EngineManager imports this module dynamically.
import type { EngineLoadRequest } from '@domain/engine';
import { verdictContext } from './audit-common';
import { EngineError, type Engine } from './engine';
import { checkModelFolderDetailed, fileSha256, modelFingerprint, readGenerationConfig } from './model-folder';
import { OpenAiCompatibleEngine } from './openai/openai-engine';
import { profileById } from './profiles';
import {
  assertPromptAccepted,
  decodingSettings,
  loadSystemPrompt,
  type GuardModelProfile,
  type SystemPrompt,
} from './profiles/profile';
import { clampParallelCases, sidecarContextSize } from './parallelism';
import { findLlamaServerBinary, llamaServerNotFoundHelp } from './sidecar/llama-server-binary';
import { llamaServerFlags } from './sidecar/llama-server-flags';
import { LlamaServerSidecar, type SidecarEvent } from './sidecar/llama-server-sidecar';

export interface HttpEngineContext {
  dataDir: string;
  maxPixels: number;
  /**
   * The app passes a getter over Electron safeStorage; without it the key comes from an environment variable.
   * It is given the server address, so a key saved for one server is never sent to another.
   */
  getApiKey?: (baseUrl: string) => Promise<string | null>;
  systemPrompt?: SystemPrompt;
  /** The guard model (default GuardTrace-VL). */
  profile?: GuardModelProfile;
  modelDir?: string;
  llamaServerPath?: string | null;
  /** Cases in flight: requests to a server, slots (-np) of the sidecar (default 1). */
  concurrency?: number;
  threads?: number;
  onSidecarEvent?: (event: SidecarEvent) => void;
  /** The sidecar keeps each slot's prompt cache (llama-server cache_prompt; default true); false only to measure it. */
  cachePrompt?: boolean;
}

export const DEFAULT_API_KEY_ENV = 'GUARDTRACE_API_KEY';

function apiKeyGetter(req: EngineLoadRequest, ctx: HttpEngineContext): () => Promise<string | null> {
  // An explicit environment variable (CLI --api-key-env) wins; else the app's secret store; else GUARDTRACE_API_KEY.
  const envName = req.openai?.apiKeyEnv;
  if (envName) return async () => process.env[envName] || null;
  const { getApiKey } = ctx;
  const baseUrl = req.openai?.baseUrl ?? '';
  if (getApiKey) return () => getApiKey(baseUrl);
  return async () => process.env[DEFAULT_API_KEY_ENV] || null;
}

async function systemPromptFor(
  req: EngineLoadRequest,
  ctx: HttpEngineContext,
  profile: GuardModelProfile,
  promptPath: string | null,
): Promise<SystemPrompt> {
  let prompt = ctx.systemPrompt ?? null;
  if (!prompt && promptPath) prompt = await loadSystemPrompt(promptPath, profile);
  if (!prompt) {
    throw new EngineError(
      'model_folder_invalid',
      `No ${profile.displayName} system prompt: choose a model folder that holds ${profile.prompt.fileName} (the prompt is sent to the server with every case).`,
    );
  }
  assertPromptAccepted(prompt, profile, req.acceptPromptMismatch, promptPath);
  return prompt;
}

function profileFor(req: EngineLoadRequest, ctx: HttpEngineContext): GuardModelProfile {
  // The EngineManager passes the profile it resolved for this request, which may be one of its extraProfiles (a
  // test profile): looking the id up again among the shipped ones alone would refuse it.
  if (ctx.profile && (!req.profile || req.profile === ctx.profile.id)) return ctx.profile;
  return profileById(req.profile);
}

export async function createHttpEngine(req: EngineLoadRequest, ctx: HttpEngineContext): Promise<Engine> {
  if (req.engine === 'openai') return createOpenAiEngine(req, ctx);
  if (req.engine === 'sidecar') return createSidecarEngine(req, ctx);
  throw new EngineError(
    'load_failed',
    `createHttpEngine handles the 'openai' and 'sidecar' engines, not '${req.engine ?? 'auto'}'.`,
  );
}

async function createOpenAiEngine(req: EngineLoadRequest, ctx: HttpEngineContext): Promise<Engine> {
  const settings = req.openai;
  if (!settings?.baseUrl || !settings.model) {
    throw new EngineError(
      'load_failed',
      'The OpenAI-compatible engine needs a server address and a model name: set both in Settings → Engine (CLI: --base-url and --model).',
    );
  }
  const modelDir = req.modelDir ?? ctx.modelDir;
  const profile = profileFor(req, ctx);
  let promptPath: string | null = null;
  if (!ctx.systemPrompt && modelDir) promptPath = (await checkModelFolderDetailed(modelDir, profile)).promptPath;
  const systemPrompt = await systemPromptFor(req, ctx, profile, promptPath);
  // The weights live on the server: only the folder's generation_config.json (if any) is known here.
  const configErrors: string[] = [];
  const generationConfig = modelDir ? await readGenerationConfig(modelDir, configErrors) : null;
  if (configErrors.length) throw new EngineError('model_folder_invalid', configErrors.join('; '));
  const decoding = decodingSettings(profile, generationConfig?.repetitionPenalty ?? null);
  return OpenAiCompatibleEngine.connect({
    baseUrl: settings.baseUrl,
    model: settings.model,
    allowInsecureRemote: settings.allowInsecureRemote ?? false,
    getApiKey: apiKeyGetter(req, ctx),
    verdict: verdictContext({
      profile,
      prompt: systemPrompt,
      decoding,
      modelSha256: null,
      mmprojSha256: null,
      imageMaxPixels: ctx.maxPixels,
    }),
    maxPixels: ctx.maxPixels,
    concurrency: ctx.concurrency,
    warnings:
      decoding.repetitionPenaltySource === 'profile default'
        ? [
            `No generation_config.json with a repetition_penalty ${modelDir ? `in ${modelDir}` : '(no model folder chosen)'}: ` +
              `using the reference value ${decoding.repetitionPenalty}.`,
          ]
        : [],
  });
}

async function createSidecarEngine(req: EngineLoadRequest, ctx: HttpEngineContext): Promise<Engine> {
  const modelDir = req.modelDir ?? ctx.modelDir;
  if (!modelDir)
    throw new EngineError(
      'model_folder_invalid',
      'The local llama-server needs a model folder: choose the GuardTrace-VL folder in Settings → Engine.',
    );
  const profile = profileFor(req, ctx);
  const folder = await checkModelFolderDetailed(modelDir, profile);
  if (!folder.ok || !folder.modelPath || !folder.model) {
    throw new EngineError(
      folder.errorCode ?? 'model_folder_invalid',
      `The model folder ${modelDir} cannot be used: ${folder.errors.join('; ')}`,
      { modelDir, errors: folder.errors },
    );
  }
  const systemPrompt = await systemPromptFor(req, ctx, profile, folder.promptPath);
  const decoding = decodingSettings(profile, folder.generationConfig?.repetitionPenalty ?? null);
  const binary = await findLlamaServerBinary(ctx.llamaServerPath);
  if (!binary) throw new EngineError('load_failed', llamaServerNotFoundHelp(ctx.llamaServerPath));

  const files = [folder.modelPath, ...(folder.mmprojPath ? [folder.mmprojPath] : [])];
  const slots = clampParallelCases(ctx.concurrency);
  // Every slot gets the profile's whole per-sequence context (prompt budget + generation budget).
  const perSlotContext = decoding.contextSize;
  const flags = await llamaServerFlags(binary.path);
  const [fingerprint, modelSha256, mmprojSha256, sidecar] = await Promise.all([
    modelFingerprint(files),
    fileSha256(folder.modelPath),
    folder.mmprojPath ? fileSha256(folder.mmprojPath) : null,
    LlamaServerSidecar.start({
      binaryPath: binary.path,
      modelPath: folder.modelPath,
      mmprojPath: folder.mmprojPath,
      dataDir: ctx.dataDir,
      contextSize: sidecarContextSize(slots, decoding),
      threads: ctx.threads,
      parallel: slots,
      // One pool for all slots: a slot holding a short case leaves its room to the others.
      unifiedKv: slots > 1 && flags.kvUnified ? { perSlotContext, perSlotFlag: flags.kvUnifiedPerSlot } : undefined,
      onEvent: ctx.onSidecarEvent,
    }),
  ]);
  const model = folder.model;
  try {
    return await OpenAiCompatibleEngine.connect({
      baseUrl: sidecar.baseUrl,
      model: model.name,
      verdict: verdictContext({
        profile,
        prompt: systemPrompt,
        decoding,
        modelSha256,
        mmprojSha256,
        imageMaxPixels: ctx.maxPixels,
      }),
      maxPixels: ctx.maxPixels,
      concurrency: slots,
      cachePrompt: ctx.cachePrompt,
      resolveEndpoint: () => sidecar.endpoint(),
      // Without an mmproj the folder check already warned; the engine then audits image cases as text-only.
      visionProbe: folder.mmprojPath ? 'require' : 'warn',
      identity: {
        modelId: `${model.name} ${model.quantization} ${fingerprint}`,
        modelName: model.name,
        architecture: model.architecture,
        quantization: model.quantization,
        sizeBytes: model.sizeBytes,
        ...(model.contextLength ? { trainedContextLength: model.contextLength } : {}),
        gpu: {
          backend: 'llama-server',
          reason: `local llama-server (${binary.source}: ${binary.path}); its log: ${sidecar.logPath}`,
        },
        build: { name: 'llama-server sidecar', version: binary.path },
      },
      warnings: [...folder.warnings, ...sidecar.warnings],
      onDispose: () => sidecar.stop(),
    });
  } catch (error) {
    await sidecar.stop();
    throw error;
  }
}
