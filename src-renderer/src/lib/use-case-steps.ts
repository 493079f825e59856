// The open case's steps, search, span hints and step label (channel steps.get), refetched when the core says the
// case changed (a search finished, a mark was recorded).
import { useCallback, useEffect, useState } from 'react';
import type { CaseSteps } from '@domain/step-localization';
import { errorMessage, invoke, useApiEvent } from '../api';

export function useCaseSteps(caseId: string): {
  view: CaseSteps | null;
  error: string | null;
  reload: () => void;
  setView: (view: CaseSteps) => void;
} {
  const [view, setView] = useState<CaseSteps | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let cancelled = false;
    invoke('steps.get', { caseId }).then(
      (fresh) => {
        if (cancelled) return;
        setView(fresh);
        setError(null);
      },
      (e) => !cancelled && setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [caseId, version]);
  useEffect(() => setView((v) => (v?.caseId === caseId ? v : null)), [caseId]);
  useApiEvent('cases.changed', ({ caseIds }) => {
    if (caseIds === 'all' || caseIds.includes(caseId)) reload();
  });
  return { view: view?.caseId === caseId ? view : null, error, reload, setView };
}
