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
export function auditResult(risk: RiskLevel | 'parse_failure', overrides: Partial<AuditResult> = {}): AuditResult {
  return {
    rawOutput: risk === 'parse_failure' ? 'no verdict here' : `"Analysis": fine\n"Judgment": ${risk}`,
    verdict:
      risk === 'parse_failure'
        ? { status: 'parse_failure', error: 'no Judgment found', category: null, analysis: null }
        : { status: 'ok', risk, category: risk === 0 ? null : 'Cybersecurity', analysis: 'fine' },
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
