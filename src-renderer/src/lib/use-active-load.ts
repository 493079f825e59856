import { useCallback, useEffect, useState } from 'react';
import { errorMessage, useApiEvent } from '../api';

/**
 * Loads a figure while its screen is shown, and again whenever cases change (while still shown): the Metrics
 * screen's pattern, shared by its panels.
 */
export function useActiveLoad<T>(load: () => Promise<T>, active: boolean): { data: T | null; error: string | null } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    load().then(
      (value) => {
        setData(value);
        setError(null);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [load]);
  useEffect(() => {
    if (active) reload();
  }, [active, reload]);
  useApiEvent('cases.changed', () => active && reload());
  return { data, error };
}
