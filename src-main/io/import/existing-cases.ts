// Finding the case a reference result belongs to. The reference script's output has no case id, and the id the
// dataset import gave a case may be the dataset's own or depend on image bytes the results' folder does not hold;
// what both sides share is the content: the image name, the query, the thinking and the response. The store's
// cases are read once (before the first batch, `load`) into a map from that content to the oldest case holding it.
import type { Store } from '../../store/contract';
import { contentCaseId } from './record-reader';
import type { CaseFields, WrittenContent } from './record-schemas';

type Texts = Pick<CaseFields, 'query' | 'thinking' | 'response'>;

function contentKey(texts: Texts, imageName: string | null): string {
  // The same length-prefixed hash as a case's content id, over the image *name* (a results file names images).
  return contentCaseId(texts, `name:${imageName ?? ''}`);
}

export class ExistingCases {
  private byContent: Map<string, string> | null = null;

  constructor(private readonly store: Store) {}

  /** Reads the store's cases once (later calls return at once); `find` needs it done. */
  async load(): Promise<void> {
    if (this.byContent) return;
    const map = new Map<string, string>();
    await this.store.cases.forEachContent((page) => {
      for (const c of page) {
        const key = contentKey(c, c.imageRef);
        if (!map.has(key)) map.set(key, c.id);
      }
    });
    this.byContent = map;
  }

  /**
   * The id of the oldest case with this content, tried first as the reference audited it (its fallbacks, the FigStep
   * query) and then as its output wrote it (a dataset imported as is, an empty thinking the dataset really held).
   * Null when none: the record then makes its own case, with its content id.
   */
  find(fields: CaseFields, written: WrittenContent | undefined): string | null {
    if (fields.image?.kind === 'data') return null;
    const imageName = fields.image?.name ?? null;
    const map = this.byContent;
    if (!map) throw new Error('ExistingCases.find before load()');
    const audited = map.get(contentKey(fields, imageName));
    if (audited !== undefined) return audited;
    return written ? (map.get(contentKey(written, imageName)) ?? null) : null;
  }
}
