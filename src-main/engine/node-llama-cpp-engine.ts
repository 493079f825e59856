// In-process engine on node-llama-cpp (text only: node-llama-cpp 3.x has no image input). On x64 CPUs its prebuilt
// binaries use AVX2/AVX-512, about 10x faster than the prebuilt llama.node, so text-only cases may be routed here.
import { performance } from 'node:perf_hooks';
import {
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { assertFitsContext, buildAuditResult, prepareCaseImage, throwIfAborted } from './audit-common';
import { cpuThreads } from './cpu-threads';
import { auditGrammar, JudgmentWatch } from './judgment-stop';
import {
  EngineError,
  type AuditInput,
  type AuditOptions,
  type AuditResult,
  type Engine,
  type EngineInfo,
} from './engine';
import type { InProcessEngineConfig } from './in-process-config';
import { clampParallelCases } from './parallelism';
import { splitSharedPrefix } from './profiles/chatml';
import type { LevelProbsResult } from './profiles/level-probs';
import { nodeLlamaCppLevelProbs, type NumberTokens } from './node-llama-cpp-level-probs';
import { renderSystemTurn } from './profiles/profile';
import { SequencePool } from './sequence-pool';

export const NODE_LLAMA_CPP_VERSION = '3.21.1';

let llamaPromise: { gpu: 'auto' | false; llama: Promise<Llama> } | null = null;

/** One Llama instance per process and GPU setting: loading the native binary costs ~0.6 s. */
export function sharedLlama(gpu: 'auto' | false): Promise<Llama> {
  if (!llamaPromise || llamaPromise.gpu !== gpu) {
    llamaPromise = {
      gpu,
      // build 'never': never try to compile llama.cpp on a moderator's machine; prebuilt binaries or fail.
      llama: getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false }),
    };
  }
  return llamaPromise.llama;
}

export function nodeLlamaCppGpuReason(llama: Llama, requested: 'auto' | false): string | undefined {
  if (llama.gpu) return undefined;
  if (requested === false) return 'GPU disabled in settings';
  return 'no CUDA, Vulkan or Metal device usable by the prebuilt node-llama-cpp binaries';
}

/**
 * How long a case that has its next token waits for the other cases in flight to have theirs, so that their next
 * decodes go into one batch (SequencePool.nextStep). node-llama-cpp's dispatcher batches whatever is queued when a
 * decode ends; two generating cases each queue their next token while the other's decode runs, so without this they
 * settled into taking turns, one token per decode (seen in its batch sizes: 1, 1, 1, ...), and N = 2 gave 0.92x the
 * cases/hour of N = 1 on the 3B-shaped model. A decode step is ~120 ms there; a case still evaluating its prompt
 * (seconds per batch) only costs the others this wait once per batch.
 */
export const STEP_WAIT_MS = 50;

export class NodeLlamaCppEngine implements Engine {
  readonly kind = 'node-llama-cpp' as const;
  private disposed = false;
  /** Compiled once per grammar text (strict format's, a profile's judgment-first one) and shared by the cases. */
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private sharedTokens: { text: string; tokens: Token[] } | null = null;
  /** Time of the last audit spent outside native evaluation (templating, tokenizing, parsing): the app's overhead. */
  lastOverheadMs = 0;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequences: SequencePool<LlamaContextSequence>,
    private readonly cfg: InProcessEngineConfig,
    private readonly infoValue: EngineInfo,
  ) {}

  static async create(cfg: InProcessEngineConfig): Promise<NodeLlamaCppEngine> {
    let llama: Llama;
    try {
      llama = await sharedLlama(cfg.gpu);
    } catch (err) {
      throw new EngineError(
        'load_failed',
        `node-llama-cpp could not load its native binary (${(err as Error).message}); reinstall the app or choose the llama.node engine`,
      );
    }
    let model: LlamaModel | null = null;
    try {
      model = await llama.loadModel({ modelPath: cfg.modelPath, gpuLayers: llama.gpu ? 'max' : 0 });
      const parallel = clampParallelCases(cfg.parallel);
      const context = await model.createContext({
        // Per sequence: node-llama-cpp gives each sequence its own contextSize cells (the native context holds
        // contextSize × sequences), so every case has the profile's whole prompt + generation budget, as one alone.
        contextSize: cfg.verdict.decoding.contextSize,
        sequences: parallel,
        // On a CPU, one thread per physical core: node-llama-cpp's default (4 on this 2-core machine) oversubscribes
        // the cores and its spinning threads made generation 35x slower (cpu-threads.ts).
        threads: llama.gpu ? cfg.threads : cpuThreads(cfg.threads),
        batchSize: 512,
        // node-llama-cpp's defaults, stated because the audit depends on them: the pending tokens of all sequences
        // go into one batch on the next event-loop turn (the cases reach it together: STEP_WAIT_MS), and each
        // sequence gets an equal share of the batch, so a case that is generating still gets a token in every batch
        // while another case's prompt is evaluated.
        batching: { dispatchSchedule: 'nextCycle', itemPrioritizationStrategy: 'maximumParallelism' },
      });
      // One sequence per case in flight, each kept for the engine's life (a new one per case would exhaust the
      // context's sequences, and a kept one still holds the system prompt its last case evaluated).
      const sequences = new SequencePool(Array.from({ length: parallel }, () => context.getSequence()));
      const cpuInfo = llama.gpu
        ? undefined
        : `CPU build: ${llama.buildType} (${llama.systemInfo.match(/AVX512 = 1/) ? 'AVX-512' : llama.systemInfo.match(/AVX2 = 1/) ? 'AVX2' : 'baseline'})`;
      const info: EngineInfo = {
        engine: 'node-llama-cpp',
        profileId: cfg.verdict.profile.id,
        decoding: cfg.verdict.decoding,
        modelId: cfg.modelId,
        modelName: cfg.facts.name,
        architecture: cfg.facts.architecture,
        quantization: cfg.facts.quantization,
        sizeBytes: cfg.facts.sizeBytes,
        contextLength: cfg.verdict.decoding.contextSize,
        trainedContextLength: cfg.facts.contextLength ?? undefined,
        hasVision: false,
        gpu: { backend: llama.gpu || 'cpu', reason: nodeLlamaCppGpuReason(llama, cfg.gpu) },
        build: {
          name: `node-llama-cpp ${llama.buildType}${cpuInfo ? `; ${cpuInfo}` : ''}`,
          version: NODE_LLAMA_CPP_VERSION,
        },
        promptSha256: cfg.verdict.prompt.sha256,
        promptHashOk: cfg.verdict.prompt.hashOk,
        dataLeavesMachine: false,
        warnings: [...cfg.warnings],
        parallelSlots: parallel,
        cpuThreads: context.currentThreads,
      };
      const engine = new NodeLlamaCppEngine(llama, model, context, sequences, cfg, info);
      if (cfg.warmSystemPrompt !== false && cfg.prefixReuse !== false) await engine.warmSharedPrefix();
      return engine;
    } catch (err) {
      await model?.dispose().catch(() => undefined);
      if (err instanceof EngineError) throw err;
      throw new EngineError(
        'load_failed',
        `${cfg.modelPath}: node-llama-cpp failed to load the model (${(err as Error).message})`,
      );
    }
  }

  info(): EngineInfo {
    return structuredClone(this.infoValue);
  }

  private tokenize(text: string): Token[] {
    return this.model.tokenize(text, true);
  }

  /**
   * Evaluates the system turn on the first sequence only, the one lent first: the first case reuses it at once, and
   * every other sequence evaluates it with its own first case (as each llama-server slot does), so loading does not
   * take N times as long.
   */
  private async warmSharedPrefix(): Promise<void> {
    const shared = renderSystemTurn(this.cfg.verdict.profile, this.cfg.verdict.prompt.text);
    await this.sequences.items[0].evaluateWithoutGeneratingNewTokens(this.tokenize(shared));
  }

  /** Each case runs on a sequence of its own; with every sequence busy it waits for the next one to come back. */
  async audit(input: AuditInput, options: AuditOptions = {}): Promise<AuditResult> {
    try {
      return await this.sequences.use((sequence) => this.auditOn(sequence, input, options), options.signal);
    } catch (err) {
      // Cancelled while waiting for a sequence: the pool rejects with the signal's reason.
      if (!(err instanceof EngineError) && options.signal?.aborted) throwIfAborted(options.signal, input.caseId);
      throw err;
    }
  }

  private async auditOn(
    sequence: LlamaContextSequence,
    input: AuditInput,
    options: AuditOptions,
  ): Promise<AuditResult> {
    if (this.disposed) throw new EngineError('load_failed', 'The model was unloaded; load it again before auditing.');
    const t0 = performance.now();
    const { signal } = options;
    throwIfAborted(signal, input.caseId);
    const { profile, prompt: systemPrompt, decoding } = this.cfg.verdict;
    const maxNewTokens = options.maxNewTokens ?? decoding.maxNewTokens;
    const image = await prepareCaseImage(input, this.cfg.maxPixels);
    if (image.dataUri) {
      throw new EngineError(
        'no_vision',
        `Case ${input.caseId} has an image, and node-llama-cpp cannot read images; audit image cases with the llama.node engine.`,
        { caseId: input.caseId },
      );
    }
    const messages = profile.buildMessages(systemPrompt.text, { ...input, imageMissing: image.imageMissing }, null);
    // The system turn is tokenized once per model: it ends in "<|im_end|>\n" and the rest starts with a special
    // token, so the two token lists concatenate to exactly the tokens of the whole prompt.
    const { shared, perCase } = splitSharedPrefix(profile.render(messages));
    if (this.sharedTokens?.text !== shared) this.sharedTokens = { text: shared, tokens: this.tokenize(shared) };
    const tokens = [...this.sharedTokens.tokens, ...this.tokenize(perCase)];
    assertFitsContext({
      input,
      promptTokens: tokens.length,
      decoding,
      maxNewTokens,
      countTokens: (t) => this.tokenize(t).length,
      visionTokens: 0,
    });

    // Prefix reuse: keep the KV of the longest common prefix with what this sequence holds (the system turn, once the
    // sequence has audited a case or was warmed), evaluate only the rest.
    // At least one token is always evaluated, because sampling needs fresh logits.
    const common =
      this.cfg.prefixReuse === false
        ? 0
        : Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1);
    if (common < sequence.nextTokenIndex) {
      await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
    }
    const cached = sequence.nextTokenIndex;
    const grammar = auditGrammar(profile, options);
    const grammarEvaluationState = grammar === undefined ? undefined : await this.grammarState(grammar);
    // Pieces of one character can straddle tokens, so the watch reads the whole output detokenized, once a line.
    const judgment = new JudgmentWatch(profile, options, () => this.model.detokenize(generated));

    const nativeStart = performance.now();
    const generated: Token[] = [];
    let emittedText = '';
    let firstTokenAt: number | null = null;
    // HF's repetition penalty covers the whole sequence, prompt included: punish every token of it.
    const punished: Token[] = [...tokens];
    const iterator = sequence.evaluate(tokens.slice(cached), {
      temperature: 0,
      topK: 1,
      topP: 1,
      minP: 0,
      grammarEvaluationState,
      repeatPenalty: {
        punishTokens: () => punished,
        maxPunishTokens: decoding.contextSize,
        penalty: decoding.repetitionPenalty,
        frequencyPenalty: 0,
        presencePenalty: 0,
      },
    });
    let stoppedOnLength = false;
    let endToken: Token | null = null;
    try {
      for await (const token of iterator) {
        firstTokenAt ??= performance.now();
        if (signal?.aborted) break;
        if (this.model.isEogToken(token)) {
          endToken = token;
          break;
        }
        generated.push(token);
        punished.push(token);
        if (options.onToken) {
          // Detokenize the whole tail so multi-byte characters split across tokens come out whole.
          const text = this.model.detokenize(generated);
          if (text.length > emittedText.length && !text.endsWith('\uFFFD')) {
            options.onToken(text.slice(emittedText.length));
            emittedText = text;
          }
        }
        if (judgment.watching && judgment.push(this.model.detokenize([token]))) break;
        if (generated.length >= maxNewTokens) {
          stoppedOnLength = true;
          break;
        }
        await this.sequences.nextStep(STEP_WAIT_MS);
      }
    } catch (err) {
      throw new EngineError(
        'generation_failed',
        `node-llama-cpp failed while auditing case ${input.caseId}: ${(err as Error).message}`,
        { caseId: input.caseId },
      );
    } finally {
      await iterator.return(undefined);
    }
    throwIfAborted(signal, input.caseId);
    const end = performance.now();
    const confidence = await this.levelProbs(sequence, input.caseId, tokens, generated, endToken);
    const nativeMs = performance.now() - nativeStart;
    const promptEnd = firstTokenAt ?? end;
    const result = buildAuditResult({
      engine: 'node-llama-cpp',
      modelId: this.cfg.modelId,
      context: this.cfg.verdict,
      options,
      rawOutput: this.model.detokenize(generated),
      stoppedOnLength,
      judgmentStop: judgment.outcome(grammar),
      confidence,
      imageMissing: image.imageMissing,
      promptTokens: tokens.length,
      cachedPromptTokens: cached,
      generatedTokens: generated.length,
      promptMs: promptEnd - t0,
      generateMs: end - promptEnd,
      totalMs: end - t0,
    });
    this.lastOverheadMs = performance.now() - t0 - nativeMs;
    return result;
  }

  /** The vocabulary's number tokens, found on the first verdict's probability pass. */
  private readonly numberTokens: NumberTokens = { texts: null };

  /** p(level) at the judgment, from the model's distribution there (node-llama-cpp-level-probs.ts). */
  private async levelProbs(
    sequence: LlamaContextSequence,
    caseId: string,
    promptTokens: Token[],
    generated: Token[],
    endToken: Token | null,
  ): Promise<LevelProbsResult> {
    try {
      return await nodeLlamaCppLevelProbs({
        sequence,
        model: this.model,
        profile: this.cfg.verdict.profile,
        promptTokens,
        generated,
        endToken,
        numberTokens: this.numberTokens,
      });
    } catch (err) {
      // The verdict stands without a confidence; the reason is stored with it.
      return {
        levelProbs: null,
        note: `node-llama-cpp failed to read the level probabilities of case ${caseId}: ${(err as Error).message}`,
      };
    }
  }

  /** Each case gets its own evaluation state of the shared compiled grammar. */
  private async grammarState(text: string): Promise<LlamaGrammarEvaluationState> {
    let grammar = this.grammars.get(text);
    if (!grammar) {
      grammar = this.llama.createGrammar({ grammar: text });
      this.grammars.set(text, grammar);
    }
    return new LlamaGrammarEvaluationState({ model: this.model, grammar: await grammar });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // Cases in flight finish (a cancelled one stops at its next token); cases still waiting see `disposed` and fail.
    await this.sequences.drain();
    for (const sequence of this.sequences.items) await sequence.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
