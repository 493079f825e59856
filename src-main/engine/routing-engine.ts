// Optional "text-only cases via node-llama-cpp" mode: the same model loaded in both runtimes, image cases to
// llama.node (the only one with image input), the rest to node-llama-cpp (~10x faster on x64 CPUs with the prebuilt
// builds). Costs a second copy of the weights in memory, so it is opt-in (EngineManagerOptions.textOnlyEngine).
import type { AuditResult } from '@domain/audits';
import type { EngineInfo } from '@domain/engine';
import type { AuditInput, AuditOptions, Engine } from './engine';

export class RoutingEngine implements Engine {
  readonly kind = 'llama.node' as const;

  constructor(
    private readonly vision: Engine,
    private readonly textOnly: Engine,
  ) {}

  info(): EngineInfo {
    const v = this.vision.info();
    const t = this.textOnly.info();
    return {
      ...v,
      sizeBytes: v.sizeBytes + t.sizeBytes,
      // Any case in flight may be an image case or not, so no more cases than the smaller engine decodes together.
      parallelSlots: Math.min(v.parallelSlots ?? 1, t.parallelSlots ?? 1),
      build: {
        ...v.build,
        name: `${v.build.name} for image cases; ${t.build.name} (${t.build.version}) for cases without an image`,
      },
      warnings: [
        ...v.warnings,
        'text-only cases run on node-llama-cpp: the model is loaded twice (about double the memory)',
      ],
    };
  }

  audit(input: AuditInput, options?: AuditOptions): Promise<AuditResult> {
    return input.image ? this.vision.audit(input, options) : this.textOnly.audit(input, options);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([this.vision.dispose(), this.textOnly.dispose()]);
  }
}
