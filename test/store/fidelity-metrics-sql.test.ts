import { describe, expect, it } from 'vitest';
import type { RiskLevel } from '@domain/types';
import type { CaseStore } from '@main/store/sqlite';
import { auditResult, newCase, openTempStore } from '../helpers/store-fixtures';

/** Five cases with gold and a human decision; the app said: 1, 0.5, 0, 0, and one parse failure. */
function seeded(): CaseStore {
  const store = openTempStore();
  const rows: Array<[string, RiskLevel, RiskLevel | 'parse_failure', RiskLevel]> = [
    // id, gold, app verdict, human decision
    ['a', 1, 1, 1],
    ['b', 0, 0.5, 0],
    ['c', 1, 0, 1],
    ['d', 0, 0, 0],
    ['e', 1, 'parse_failure', 1],
  ];
  store.transaction(() => {
    for (const [id, gold, app, human] of rows) {
      store.cases.insert(newCase(id, { gold }), null);
      store.audits.insert(id, auditResult(app));
      store.reviews.submit({ caseId: id, risk: human, reviewer: 'ann' });
    }
  });
  return store;
}

describe('metrics over the store: F1 three ways, calibration, recipe filter', () => {
  it('counts the parse failure three ways against gold', () => {
    const f = seeded().metrics.metrics().fidelity;
    // excluded: tp 1 (a), fp 1 (b), fn 1 (c), tn 1 (d): P 1/2, R 1/2, F1 1/2
    // as wrong / as safe: e (harmful) becomes a fn: P 1/2, R 1/3, F1 = 2*(1/2)(1/3)/(5/6) = 0.4
    expect(f.vsGold).toMatchObject({ n: 5, parseFailures: 1 });
    expect(f.vsGold.parseFailuresExcluded.f1).toBeCloseTo(0.5, 12);
    expect(f.vsGold.parseFailuresWrong.f1).toBeCloseTo(0.4, 12);
    expect(f.vsGold.parseFailuresSafe.f1).toBeCloseTo(0.4, 12);
    expect(f.vsHuman.parseFailures).toBe(1);
  });

  it('calibration from level_probs, and the recipe filter from provenance', () => {
    const store = seeded();
    const setAudit = store.db.prepare('UPDATE audits SET level_probs = ?, provenance = ? WHERE case_id = ?');
    setAudit.run('{"0":0.05,"0.5":0.05,"1":0.9}', '{"reference":true}', 'a'); // says 1 at 0.9, human 1: right
    setAudit.run('{"0":0.3,"0.5":0.7,"1":0}', '{"reference":true}', 'b'); // says 0.5 at 0.7, human 0: wrong
    setAudit.run('{"0":0.95,"0.5":0.05,"1":0}', '{"reference":false}', 'c'); // says 0 at 0.95, human 1: wrong
    setAudit.run(null, '{"reference":true}', 'd'); // no confidence (engine could not give one)
    setAudit.run(null, null, 'e'); // a verdict stored before provenance was recorded

    const all = store.metrics.metrics().fidelity;
    expect(all.calibration!.n).toBe(3);
    // a wrote "1": p(0) and p(0.5) are both p("0") and count once, so its confidence is 0.9 / (0.9 + 0.05) = 0.947368.
    // bins: [0.9,1.0] holds 0.947368 (right) and 0.95 (wrong): mean 0.948684, accuracy 0.5, gap 0.448684;
    // [0.7,0.8) holds 0.7 (wrong): gap 0.7. ECE = 2/3 * 0.448684 + 1/3 * 0.7 = 0.299123 + 0.233333 = 0.532456
    expect(all.calibration!.bins[9]).toMatchObject({ n: 2, accuracy: 0.5 });
    expect(all.calibration!.ece).toBeCloseTo(0.532456, 5);
    expect(all.calibrationNote).toMatch(/1 of 4 reviewed verdict/);

    const reference = store.metrics.metrics({ recipe: 'reference' }).fidelity;
    // a, b, d were made with the reference recipe; c was not, e's audit has no provenance (not reference)
    expect(reference).toMatchObject({ recipe: 'reference', vsGold: { n: 3, parseFailures: 0 } });
    const other = store.metrics.metrics({ recipe: 'other' }).fidelity;
    expect(other.vsGold).toMatchObject({ n: 2, parseFailures: 1 });
  });
});
