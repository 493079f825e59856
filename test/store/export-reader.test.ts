// The export reads the same "decision in force", "latest verdict" and selections as the queue and the
// repositories do; these tests hold the two sides together on a store where they could drift apart.
import { describe, expect, it } from 'vitest';
import type { CaseStatusFilter } from '@domain/cases';
import type { ExportSelection } from '@domain/io';
import type { ExportRow } from '@main/store/sqlite/export-reader';
import { auditResult, newCase, openTempStore } from '../helpers/store-fixtures';

function storeWithHistory() {
  const store = openTempStore();
  store.transaction(() => ['a', 'b', 'c', 'd', 'e', 'f'].forEach((id) => store.cases.insert(newCase(id), null)));
  store.audits.insert('a', auditResult(0));
  store.audits.insert('b', auditResult(1));
  store.audits.insert('c', auditResult('parse_failure'));
  store.audits.insert('d', auditResult(0.5));
  // A second verdict from another model: the latest one is what counts.
  store.audits.insert('d', auditResult(1, { modelId: 'model-b' }));
  store.reviews.submit({ caseId: 'a', risk: 0, reviewer: 'ann' }); // agrees
  store.reviews.submit({ caseId: 'b', risk: 0.5, reviewer: 'ann' }); // disagrees
  store.reviews.submit({ caseId: 'c', risk: 1, reviewer: 'ann' }); // model has no parsed verdict
  // d: an earlier decision comes back in force when the later one is undone.
  store.reviews.submit({ caseId: 'd', risk: 0, analysis: 'first', reviewer: 'bob' });
  store.reviews.submit({ caseId: 'd', risk: 1, analysis: 'second', reviewer: 'bob' });
  store.reviews.undoLast('bob');
  // e: the only decision is undone, so e is unreviewed.
  store.reviews.submit({ caseId: 'e', risk: 1, reviewer: 'carl' });
  store.reviews.undoLast('carl');
  return store;
}

async function exportRows(store: ReturnType<typeof openTempStore>, only: ExportSelection): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  await store.exports.forEachPage(only, (page) => void rows.push(...page));
  return rows;
}

describe('export reader', () => {
  it('each selection picks exactly the cases of the queue filter of the same meaning', async () => {
    const store = storeWithHistory();
    const pairs: Array<[ExportSelection, CaseStatusFilter]> = [
      ['all', 'all'],
      ['reviewed', 'reviewed'],
      ['disagreements', 'disagree'],
    ];
    for (const [selection, filter] of pairs) {
      const exported = (await exportRows(store, selection)).map((row) => row.id).sort();
      const queued = store.cases
        .list({ status: filter, limit: 1000 })
        .rows.map((row) => row.id)
        .sort();
      expect(exported, selection).toEqual(queued);
    }
    expect((await exportRows(store, 'disagreements')).map((row) => row.id).sort()).toEqual(['b', 'd']);
  });

  it("each row carries the case's latest verdict and its decision in force, as the repositories define them", async () => {
    const store = storeWithHistory();
    const rows = await exportRows(store, 'all');
    expect(rows.map((row) => row.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    for (const row of rows) {
      const current = store.reviews.current(row.id);
      expect({ risk: row.human_risk, analysis: row.human_analysis, reviewer: row.human_reviewer }, row.id).toEqual({
        risk: current?.risk ?? null,
        analysis: current?.analysis ?? null,
        reviewer: current?.reviewer ?? null,
      });
      const latest = store.audits.latest(row.id);
      expect({ status: row.model_status, risk: row.model_risk, modelId: row.model_id }, row.id).toEqual({
        status: latest?.status ?? null,
        risk: latest?.risk ?? null,
        modelId: latest?.modelId ?? null,
      });
    }
    const d = rows.find((row) => row.id === 'd')!;
    expect([d.human_risk, d.human_analysis, d.model_id, d.model_risk]).toEqual([0, 'first', 'model-b', 1]);
    expect(rows.find((row) => row.id === 'e')!.human_risk).toBeNull();
  });
});
