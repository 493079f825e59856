// A verdict as an engine would hand it to JobQueue.complete, for tests that need one without running a model.
import type { AuditResult } from '@domain/audits';

export function fakeAuditResult(overrides: Partial<AuditResult> = {}): AuditResult {
  return {
    profileId: 'guardtrace-vl',
    rawOutput: 'raw',
    verdict: { status: 'ok', risk: 0, category: null, analysis: 'fake engine' },
    levelProbs: null,
    levelProbsNote: 'fake engine',
    provenance: null,
    imageMissing: false,
    engine: 'openai',
    modelId: 'm',
    promptSha256: 'p',
    promptHashOk: true,
    strictFormat: true,
    promptTokens: 1,
    cachedPromptTokens: 0,
    generatedTokens: 1,
    timings: { promptMs: 1, generateMs: 1, totalMs: 2 },
    ...overrides,
  } as AuditResult;
}
