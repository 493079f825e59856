// Every case's content (texts and image name), read once in seq order: what an import of the reference script's
// output needs to find the case a record belongs to when the ids differ (the dataset had its own ids, or its image
// was found where the results' images folder has none). A reader of its own so the case repository stays as it is.
import type { Db } from './open-database';

export interface CaseContent {
  id: string;
  query: string;
  thinking: string;
  response: string;
  imageRef: string | null;
}

export class CaseContentReader {
  constructor(private readonly db: Db) {}

  /** Calls `visit` for each case, oldest first, without holding all rows in memory. */
  forEach(visit: (content: CaseContent) => void): void {
    const rows = this.db
      .prepare<[], CaseContent>('SELECT id, query, thinking, response, image_ref AS imageRef FROM cases ORDER BY seq')
      .iterate();
    for (const row of rows) visit(row);
  }
}
