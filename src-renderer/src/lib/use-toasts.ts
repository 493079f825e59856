// Short messages for the moderator. They live in the status bar (never over the decision panel), at most
// MAX_TOASTS at a time, and they name cases by their queue number, never by internal ids.
import { useCallback, useRef, useState } from 'react';

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
}

export type Notify = (message: string, kind?: 'info' | 'error') => void;

export const MAX_TOASTS = 2;

export function useToasts(): { toasts: Toast[]; notify: Notify; dismiss: (id: number) => void } {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(0);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const notify = useCallback<Notify>(
    (message, kind = 'info') => {
      const id = ++nextId.current;
      setToasts((t) => [...t.filter((x) => x.message !== message).slice(-(MAX_TOASTS - 1)), { id, message, kind }]);
      setTimeout(() => dismiss(id), kind === 'error' ? 12_000 : 5_000);
    },
    [dismiss],
  );
  return { toasts, notify, dismiss };
}
