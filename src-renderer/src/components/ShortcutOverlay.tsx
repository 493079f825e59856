import { SHORTCUTS, type ShortcutGroup } from '../lib/keys';
import { CloseButton, Dialog } from './Dialog';

const GROUPS: readonly ShortcutGroup[] = ['Queue', 'Case', 'Decision', 'Image', 'App'];

export function ShortcutOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Dialog label="Keyboard shortcuts" onClose={onClose} className="w-[760px]" testId="shortcut-overlay">
      {/* `?` toggles this list from anywhere (App), so it closes it here too; Escape is the Dialog's. */}
      <div>
        <div className="mb-3 flex items-center justify-between">
          <h2 className="text-base font-semibold">Keyboard shortcuts</h2>
          <CloseButton onClose={onClose} />
        </div>
        <div className="grid grid-cols-1 gap-x-8 gap-y-4 md:grid-cols-2">
          {GROUPS.map((group) => (
            <section key={group}>
              <h3 className="label mb-1">{group}</h3>
              <table className="w-full">
                <tbody>
                  {SHORTCUTS.filter((s) => s.group === group).map((s) => (
                    <tr key={s.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800">
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
    </Dialog>
  );
}
