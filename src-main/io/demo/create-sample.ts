// The sample workspace: the synthetic cases of sample-cases.ts, their pictures, and a hand-written demo verdict on
// each, stored through the ordinary importer (the same validation, image intake and activity log as a user's file),
// so that the queue, the review screen, metrics and exports all have something to show before a model exists.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditResult } from '@domain/audits';
import type { ImportSummary } from '@domain/io';
import { DEMO_ENGINE, DEMO_MODEL_ID, DEMO_PROMPT_SHA256, type SampleWorkspaceSummary } from '@domain/demo';
import { StoreError, type Store } from '../../store/contract';
import { importFile } from '../import';
import { demoRawOutput, SAMPLE_CASES, type SampleCase, type SampleImageKind } from './sample-cases';
import { drawSampleImage } from './sample-images';

/** The sample's files (JSONL and pictures) inside the data folder. */
export const SAMPLE_FOLDER = 'sample-workspace';

/** Marks every sample case (its `meta`), so exports and screens can tell a sample from real data. */
export const SAMPLE_META = { demo: true, sample: 'GuardTrace Workstation sample workspace (synthetic)' } as const;

export async function createSampleWorkspace(store: Store, options: { actor: string }): Promise<SampleWorkspaceSummary> {
  if (store.engine !== 'sqlite')
    throw new StoreError(
      'unsupported',
      'The sample workspace is not available on a team database yet; add it to a data folder instead (guardtrace demo --data-dir DIR).',
    );
  // Kept in the data folder (about 100 KB), so each case's source file is a file that exists and can be read.
  const folder = path.join(store.describe, SAMPLE_FOLDER);
  mkdirSync(folder, { recursive: true });
  const file = await writeSampleFile(folder, SAMPLE_CASES);
  const imported: ImportSummary = await importFile(store, { file, format: 'jsonl', actor: options.actor });
  if (imported.rejected > 0) {
    // The sample is ours: a rejection is a bug in it, never the user's to fix.
    const first = imported.errors[0];
    throw new Error(
      `The sample workspace has ${imported.rejected} invalid case(s) (first: record ${first?.record}, ${first?.field ?? ''}: ${first?.reason ?? ''}).`,
    );
  }
  const verdicts = await store.verdicts.recordDemo(
    SAMPLE_CASES.map((sample) => ({ caseId: sample.id, result: demoAuditResult(sample) })),
    options.actor,
  );
  return { cases: SAMPLE_CASES.length, imported: imported.imported, demoVerdicts: verdicts, images: imageCount() };
}

function imageCount(): number {
  return SAMPLE_CASES.filter((sample) => sample.image !== null).length;
}

async function writeSampleFile(folder: string, cases: readonly SampleCase[]): Promise<string> {
  const kinds = [...new Set(cases.map((sample) => sample.image).filter((k): k is SampleImageKind => k !== null))];
  for (const kind of kinds) writeFileSync(path.join(folder, `${kind}.png`), await drawSampleImage(kind));
  const lines = cases.map((sample) =>
    JSON.stringify({
      id: sample.id,
      question: sample.query,
      thinking: sample.thinking,
      response: sample.response,
      image: sample.image ? `${sample.image}.png` : null,
      gold: sample.gold,
      meta: { ...SAMPLE_META, ...(sample.image === 'graphic-stand-in' ? { graphicStandIn: true } : {}) },
    }),
  );
  const file = path.join(folder, 'sample-cases.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** A verdict record that says, in every field that could be mistaken for a model's, that no model wrote it. */
function demoAuditResult(sample: SampleCase): AuditResult {
  return {
    profileId: 'guardtrace-vl',
    rawOutput: demoRawOutput(sample.demo),
    verdict: { status: 'ok', risk: sample.demo.risk, category: sample.demo.category, analysis: sample.demo.analysis },
    levelProbs: null,
    levelProbsNote: 'demo verdict: written by hand for the sample workspace, not produced by a model',
    provenance: {
      profileId: 'guardtrace-vl',
      engine: DEMO_ENGINE,
      modelSha256: null,
      mmprojSha256: null,
      promptSha256: DEMO_PROMPT_SHA256,
      imageMaxPixels: 0,
      repetitionPenalty: 1,
      repetitionPenaltySource: 'profile default',
      repetitionPenaltyWindow: 'generated tokens only',
      contextSize: 0,
      maxPromptTokens: 0,
      maxNewTokens: 0,
      appVersion: 'sample',
      reference: false,
      demo: true,
    },
    imageMissing: false,
    engine: DEMO_ENGINE,
    modelId: DEMO_MODEL_ID,
    promptSha256: DEMO_PROMPT_SHA256,
    promptHashOk: false,
    strictFormat: false,
    promptTokens: 0,
    cachedPromptTokens: 0,
    generatedTokens: 0,
    timings: { promptMs: 0, generateMs: 0, totalMs: 0 },
  };
}
