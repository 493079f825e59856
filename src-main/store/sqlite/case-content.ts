// Every case's content (texts and image name), read in seq order a page at a time: what an import of the reference
// script's output needs to find the case a record belongs to when the ids differ (the dataset had its own ids, or
// its image was found where the results' images folder has none). The contract's CaseReader.forEachContent.
import type { CaseContentKey } from '../contract';
import type { Db } from './open-database';

/** Cases per page: small enough that other work runs between pages, large enough to read 100,000 cases quickly. */
const PAGE_ROWS = 5000;

export class CaseContentReader {
  constructor(private readonly db: Db) {}

  /** Calls `onPage` with each page of cases, oldest first, without holding all rows in memory. */
  async forEach(onPage: (rows: CaseContentKey[]) => void | Promise<void>): Promise<void> {
    const statement = this.db.prepare<[number, number], CaseContentKey & { seq: number }>(
      'SELECT seq, id, query, thinking, response, image_ref AS imageRef FROM cases WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    let after = 0;
    for (;;) {
      const rows = statement.all(after, PAGE_ROWS);
      if (!rows.length) return;
      after = rows[rows.length - 1].seq;
      await onPage(rows.map(({ seq: _seq, ...content }) => content));
      if (rows.length < PAGE_ROWS) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
