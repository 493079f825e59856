// One modal dialog for the whole app, and a real one: it renders outside the app root, which is made inert while
// it is open (no click, Tab or key reaches the page behind); focus starts on its default button (Enter presses
// it), Tab and Shift+Tab stay inside it, Escape and a click on the backdrop close it, and focus goes back where it
// was. A key meant for the page behind (J, X, 1–3, Ctrl+2, …) does nothing there and the dialog says so.
import { useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';

/** Sent by the app when a menu command (a screen switch, Import…) arrives while a dialog is open; it is refused. */
export const DIALOG_BLOCKED_EVENT = 'guardtrace:dialog-blocked';

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

export function Dialog({
  label,
  onClose,
  children,
  className = 'w-[640px]',
  testId,
  closeKeys = [],
}: {
  label: string;
  onClose: () => void;
  children: React.ReactNode;
  className?: string;
  testId?: string;
  /** Keys besides Escape that close it (the `?` overlay closes with `?` and F1, the keys that opened it). */
  closeKeys?: string[];
}) {
  const dialogRef = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const closeKeysRef = useRef(closeKeys);
  closeKeysRef.current = closeKeys;
  const [blockedKey, setBlockedKey] = useState<string | null>(null);

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = dialogRef.current!;
    const appRoot = document.getElementById('root');
    if (appRoot) appRoot.inert = true;
    (dialog.querySelector<HTMLElement>('[data-dialog-default]') ?? dialog).focus();

    const focusables = () => [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent);
    const onKey = (e: KeyboardEvent) => {
      const inside = e.target instanceof Node && dialog.contains(e.target);
      const field = inside && e.target instanceof HTMLElement && e.target.matches('input, textarea, select');
      const onControl = inside && e.target instanceof HTMLElement && !!e.target.closest('button, summary, a');
      if (e.key === 'Escape' || (!field && closeKeysRef.current.includes(e.key))) {
        e.preventDefault();
        e.stopPropagation();
        onCloseRef.current();
        return;
      }
      if (e.key === 'Tab') {
        // Focus stays inside: from the last control to the first and back.
        const list = focusables();
        if (list.length === 0) return e.preventDefault();
        const at = list.indexOf(document.activeElement as HTMLElement);
        const next = e.shiftKey ? (at <= 0 ? list.length - 1 : at - 1) : at === list.length - 1 || at < 0 ? 0 : at + 1;
        e.preventDefault();
        e.stopPropagation();
        list[next].focus();
        return;
      }
      if (field || (onControl && (e.key === 'Enter' || e.key === ' '))) return;
      if (e.key === 'Enter') {
        e.preventDefault();
        e.stopPropagation();
        dialog.querySelector<HTMLElement>('[data-dialog-default]')?.click();
        return;
      }
      if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
      // Any other key was meant for the page behind: it does nothing there, and the dialog says so.
      e.preventDefault();
      e.stopPropagation();
      setBlockedKey(`${e.ctrlKey || e.metaKey ? 'Ctrl+' : ''}${e.key === ' ' ? 'Space' : e.key}`);
    };
    const onBlockedCommand = (e: Event) => setBlockedKey((e as CustomEvent<string>).detail);
    window.addEventListener('keydown', onKey, true);
    window.addEventListener(DIALOG_BLOCKED_EVENT, onBlockedCommand);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener(DIALOG_BLOCKED_EVENT, onBlockedCommand);
      if (appRoot) appRoot.inert = false;
      previous?.focus();
    };
  }, []);

  return createPortal(
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50 p-4" onClick={onClose}>
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        tabIndex={-1}
        data-testid={testId}
        className={`panel flex max-h-[90vh] max-w-full flex-col p-4 shadow-xl ${className}`}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="min-h-0 flex-1 overflow-auto">{children}</div>
        <p
          role="status"
          data-testid="dialog-keys-paused"
          className={`mt-2 shrink-0 text-[12px] ${
            blockedKey ? 'font-semibold text-amber-900 dark:text-amber-200' : 'text-zinc-600 dark:text-zinc-400'
          }`}
        >
          {blockedKey
            ? `${blockedKey} does nothing while this dialog is open: the page behind is paused. Esc or Enter closes it.`
            : 'The page behind is paused while this dialog is open. Esc or Enter closes it.'}
        </p>
      </div>
    </div>,
    document.body,
  );
}

/** The Close button every dialog shows, with its key; it is the dialog's default button (Enter). */
export function CloseButton({ onClose }: { onClose: () => void }) {
  return (
    <button className="btn" onClick={onClose} data-dialog-default data-testid="dialog-close">
      Close <kbd>Esc</kbd>
    </button>
  );
}
