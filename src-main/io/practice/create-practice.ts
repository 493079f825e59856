// `guardtrace practice create --from-gold --out DIR`: a practice workspace made of a workspace's gold cases. The
// cases and pictures are copied, the gold answers go to the new folder's gold_cases, the model's verdicts into its
// practice settings (shown only after the trainee decides), and nothing that would hint at the answer before (the
// imported label, the model's verdict in the queue) is copied.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { PracticeCreateSummary, PracticeInfo } from '@domain/practice';
import type { ImportBatchItem, Store } from '../../store/contract';
import { openStore } from '../../store/open-store';
import { IoError } from '../io-error';

export async function createPracticeWorkspace(
  source: Store,
  request: { out: string; createdBy: string },
): Promise<PracticeCreateSummary> {
  const out = path.resolve(request.out);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new IoError(
      'usage',
      `${out} is not empty; give a new or empty folder for the practice workspace (--out DIR).`,
    );
  const gold = await source.gold.list();
  if (!gold.length)
    throw new IoError(
      'usage',
      'This workspace has no gold cases; mark some first (guardtrace gold set CASE_ID --risk R).',
    );
  const target = await openStore({ kind: 'folder', dataDir: out });
  try {
    const images = new Set<string>();
    const modelVerdicts: PracticeInfo['modelVerdicts'] = {};
    // Image bytes are written (durably) before the rows that name them, as the importer does.
    for (const answer of gold) {
      const sha = (await source.cases.content(answer.caseId)).imageSha256;
      if (!sha || images.has(sha)) continue;
      const info = await source.images.info(sha);
      const bytes = await source.images.readChecked(sha, 'always').catch(() => null);
      if (!info || !bytes) continue; // the case keeps its "image missing" state below
      await target.images.put(bytes.bytes);
      images.add(sha);
    }
    // The cases go in as one import batch of the new folder (one transaction, one activity-log entry).
    const items: ImportBatchItem[] = [];
    for (const [index, answer] of gold.entries()) {
      const content = await source.cases.content(answer.caseId);
      const imageCopied = content.imageSha256 !== null && images.has(content.imageSha256);
      const image = imageCopied ? await source.images.info(content.imageSha256!) : null;
      items.push({
        newCase: {
          id: content.id,
          query: content.query,
          thinking: content.thinking,
          response: content.response,
          imageSha256: imageCopied ? content.imageSha256 : null,
          imageRef: content.imageRef,
          imageMissing: content.imageMissing || (content.imageSha256 !== null && !imageCopied),
          gold: null,
          sourceFile: 'practice workspace',
          sourceRecord: index + 1,
          meta: { practice: true },
        },
        ...(image ? { image } : {}),
      });
      const audit = await source.verdicts.latest(content.id);
      modelVerdicts[content.id] = audit
        ? { risk: audit.risk, category: audit.category, analysis: audit.analysis }
        : { risk: null, category: null, analysis: null };
    }
    const session = await target.imports.begin();
    try {
      await session.writeBatch({
        file: 'practice workspace',
        format: 'guardtrace',
        actor: request.createdBy,
        items,
        rejected: 0,
        records: items.length ? [1, items.length] : [],
        totalsBefore: { imported: 0, duplicates: 0, rejected: 0 },
      });
    } finally {
      await session.finish();
    }
    for (const answer of gold)
      await target.gold.set({
        caseId: answer.caseId,
        risk: answer.risk,
        category: answer.category,
        explanation: answer.explanation,
        source: 'manual',
        actor: answer.setBy,
      });
    const practice: PracticeInfo = {
      createdAt: new Date().toISOString(),
      createdBy: request.createdBy,
      source: source.describe,
      modelVerdicts,
    };
    await target.settings.setMany({ practice });
    return { out, cases: gold.length, images: images.size };
  } finally {
    await target.close();
  }
}
