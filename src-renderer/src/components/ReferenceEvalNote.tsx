// Under the query of a case whose query the import replaced as the reference evaluation does (S-Eval FigStep): what
// the dataset itself asked, so the moderator reviews the case knowing the model was given another text.
import { referenceEvalOf } from '@domain/reference-eval';

export function ReferenceEvalNote({ meta }: { meta: Record<string, unknown> }) {
  const record = referenceEvalOf(meta);
  if (!record) return null;
  return (
    <p className="mt-1 text-[12px] text-zinc-700 dark:text-zinc-300" data-testid="case-reference-eval">
      The {record.substitution} replaced the dataset’s question, as the reference evaluation does. The dataset asked:{' '}
      <q className="italic">{record.originalQuery}</q>
    </p>
  );
}
