import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../lib/keys';

export function ShortcutOverlay({ onClose }: { onClose: () => void }) {
  const dialogRef = useRef<HTMLDivElement>(null);
  useEffect(() => dialogRef.current?.focus(), []);
  const groups = ['Queue', 'Decision', 'Image', 'App'] as const;
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50" onClick={onClose}>
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-label="Keyboard shortcuts"
        tabIndex={-1}
        data-testid="shortcut-overlay"
        className="panel max-h-[85vh] w-[720px] overflow-auto p-5 shadow-xl"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape' || e.key === '?') {
            e.preventDefault();
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <div className="mb-3 flex items-center justify-between">
          <h2 className="text-base font-semibold">Keyboard shortcuts</h2>
          <button className="btn" onClick={onClose}>
            Close <kbd>Esc</kbd>
          </button>
        </div>
        <div className="grid grid-cols-2 gap-x-8 gap-y-4">
          {groups.map((group) => (
            <section key={group}>
              <h3 className="label mb-1">{group}</h3>
              <table className="w-full">
                <tbody>
                  {SHORTCUTS.filter((s) => s.group === group).map((s) => (
                    <tr key={s.action} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800">
                      <td className="py-1 pr-3 whitespace-nowrap">
                        {s.keys.map((k) => (
                          <kbd key={k} className="mr-1">
                            {k}
                          </kbd>
                        ))}
                      </td>
                      <td className="py-1 text-zinc-700 dark:text-zinc-300">{s.action}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
        </div>
      </div>
    </div>
  );
}
