import type { AuditResult } from '@domain/audits';
import type { RiskLevel } from '@domain/types';
import { CaseStore, type NewCase } from '@main/store';
import { tempDir } from './temp-dir';

export function openTempStore(): CaseStore {
  return CaseStore.open(tempDir());
}

export function newCase(id: string, overrides: Partial<NewCase> = {}): NewCase {
  return {
    id,
    query: `query ${id}`,
    thinking: `thinking ${id}`,
    response: `response ${id}`,
    imageSha256: null,
    imageRef: null,
    imageMissing: false,
    gold: null,
    sourceFile: 'fixture.jsonl',
    sourceRecord: 1,
    meta: {},
    ...overrides,
  };
}

/** An AuditResult as an engine returns it; the verdict is what the test needs, the rest is plausible bookkeeping. */
export function auditResult(
  risk: RiskLevel | 'parse_failure' | 'truncated',
  overrides: Partial<AuditResult> = {},
): AuditResult {
  return {
    rawOutput:
      risk === 'parse_failure'
        ? 'no verdict here'
        : risk === 'truncated'
          ? '"Analysis": this goes on and on'
          : `"Analysis": fine\n"Judgment": ${risk}`,
    verdict:
      risk === 'parse_failure'
        ? { status: 'parse_failure', error: 'no Judgment found', category: null, analysis: null }
        : risk === 'truncated'
          ? {
              status: 'truncated',
              error: 'stopped at the token limit',
              category: null,
              analysis: 'this goes on and on',
            }
          : { status: 'ok', risk, category: risk === 0 ? null : 'Cybersecurity', analysis: 'fine' },
    profileId: 'guardtrace-vl',
    levelProbs: null,
    levelProbsNote: 'fixture',
    provenance: {
      profileId: 'guardtrace-vl',
      engine: 'llama.node',
      modelSha256: null,
      mmprojSha256: null,
      promptSha256: 'prompt-a',
      imageMaxPixels: 16384 * 28 * 28,
      repetitionPenalty: 1.05,
      repetitionPenaltySource: 'profile default',
      repetitionPenaltyWindow: 'whole sequence',
      contextSize: 10192,
      maxPromptTokens: 8192,
      maxNewTokens: 2000,
      appVersion: 'test',
      reference: false,
    },
    imageMissing: false,
    engine: 'llama.node',
    modelId: 'model-a',
    promptSha256: 'prompt-a',
    promptHashOk: true,
    strictFormat: false,
    promptTokens: 100,
    cachedPromptTokens: 0,
    generatedTokens: 10,
    timings: { promptMs: 1, generateMs: 1, totalMs: 2 },
    ...overrides,
  };
}
