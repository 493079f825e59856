// `guardtrace practice create --from-gold --out DIR`: a practice workspace made of a workspace's gold cases. The
// cases and pictures are copied, the gold answers go to the new folder's gold_cases, the model's verdicts into its
// practice settings (shown only after the trainee decides), and nothing that would hint at the answer before (the
// imported label, the model's verdict in the queue) is copied.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { PracticeCreateSummary, PracticeInfo } from '@domain/practice';
import { CaseStore } from '../../store';
import { IoError } from '../io-error';

export async function createPracticeWorkspace(
  source: CaseStore,
  request: { out: string; createdBy: string },
): Promise<PracticeCreateSummary> {
  const out = path.resolve(request.out);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new IoError(
      'usage',
      `${out} is not empty; give a new or empty folder for the practice workspace (--out DIR).`,
    );
  const gold = source.gold.list();
  if (!gold.length)
    throw new IoError(
      'usage',
      'This workspace has no gold cases; mark some first (guardtrace gold set CASE_ID --risk R).',
    );
  const target = CaseStore.open(out);
  try {
    const images = new Set<string>();
    const modelVerdicts: PracticeInfo['modelVerdicts'] = {};
    // Image bytes are written (durably) before the rows that name them, as the importer does.
    for (const answer of gold) {
      const sha = source.cases.row(answer.caseId).image_sha256;
      if (!sha || images.has(sha)) continue;
      const info = source.images.info(sha);
      const bytes = await source.images.readChecked(sha, 'always').catch(() => null);
      if (!info || !bytes) continue; // the case keeps its "image missing" state below
      target.images.writeFile(bytes.bytes);
      images.add(sha);
    }
    target.transaction(() => {
      gold.forEach((answer, index) => {
        const row = source.cases.row(answer.caseId);
        const imageCopied = row.image_sha256 !== null && images.has(row.image_sha256);
        if (imageCopied) target.images.record(source.images.info(row.image_sha256!)!);
        target.cases.insert(
          {
            id: row.id,
            query: row.query,
            thinking: row.thinking,
            response: row.response,
            imageSha256: imageCopied ? row.image_sha256 : null,
            imageRef: row.image_ref,
            imageMissing: row.image_missing === 1 || (row.image_sha256 !== null && !imageCopied),
            gold: null,
            sourceFile: 'practice workspace',
            sourceRecord: index + 1,
            meta: { practice: true },
          },
          null,
        );
        const audit = source.audits.latest(row.id);
        modelVerdicts[row.id] = audit
          ? { risk: audit.risk, category: audit.category, analysis: audit.analysis }
          : { risk: null, category: null, analysis: null };
      });
    });
    for (const answer of gold)
      target.gold.set({
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
      source: source.dataDir,
      modelVerdicts,
    };
    target.settings.setMany({ practice });
    return { out, cases: gold.length, images: images.size };
  } finally {
    target.close();
  }
}
