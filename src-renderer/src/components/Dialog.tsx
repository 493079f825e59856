// One modal dialog for the whole app: Escape and a click on the backdrop close it, focus moves into it on open
// and back where it was on close, so every dialog behaves the same from the keyboard.
import { useEffect, useRef } from 'react';

export function Dialog({
  label,
  onClose,
  children,
  className = 'w-[640px]',
  testId,
}: {
  label: string;
  onClose: () => void;
  children: React.ReactNode;
  className?: string;
  testId?: string;
}) {
  const dialogRef = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialogRef.current?.focus();
    // Escape closes the dialog wherever focus is (a button inside it, or the page behind after a click).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      onCloseRef.current();
    };
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      previous?.focus();
    };
  }, []);
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50 p-4" onClick={onClose}>
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        tabIndex={-1}
        data-testid={testId}
        className={`panel max-h-[85vh] max-w-full overflow-auto p-4 shadow-xl ${className}`}
        onClick={(e) => e.stopPropagation()}
      >
        {children}
      </div>
    </div>
  );
}

/** The Close button every dialog shows, with its key. */
export function CloseButton({ onClose }: { onClose: () => void }) {
  return (
    <button className="btn" onClick={onClose}>
      Close <kbd>Esc</kbd>
    </button>
  );
}
