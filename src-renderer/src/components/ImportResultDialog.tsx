import type { ImportSummary } from '@domain/io';
import { ImportResult } from '../screens/DataScreen';
import { CloseButton, Dialog } from './Dialog';

/** What an import from the menu or a dropped file did, per file. */
export function ImportResultDialog({ summaries, onClose }: { summaries: ImportSummary[]; onClose: () => void }) {
  return (
    <Dialog label="Import result" onClose={onClose}>
      <h2 className="mb-2 text-base font-semibold">Import finished</h2>
      {summaries.map((s) => (
        <div key={s.file} className="mb-3">
          <p className="font-mono text-[12px] break-all">{s.file}</p>
          <ImportResult summary={s} />
        </div>
      ))}
      <CloseButton onClose={onClose} />
    </Dialog>
  );
}
