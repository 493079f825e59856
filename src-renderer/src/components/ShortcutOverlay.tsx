import { SHORTCUTS, type ShortcutGroup } from '../lib/keys';
import { CloseButton, Dialog } from './Dialog';

/** Three columns of about equal length, so the whole list fits a 1024×700 window without scrolling. */
const COLUMNS: ReadonlyArray<readonly ShortcutGroup[]> = [['Queue', 'Decision'], ['Case'], ['Image', 'App']];

export function ShortcutOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Dialog
      label="Keyboard shortcuts"
      onClose={onClose}
      className="w-[min(1080px,96vw)]"
      testId="shortcut-overlay"
      closeKeys={['?', 'F1']}
    >
      {/* `?` toggles this list from anywhere (App), so it closes it here too; Escape is the Dialog's. */}
      <div>
        <div className="mb-3 flex items-center justify-between">
          <h2 className="text-base font-semibold">Keyboard shortcuts</h2>
          <CloseButton onClose={onClose} />
        </div>
        <div className="grid grid-cols-3 gap-x-6 text-[12px] leading-snug" data-testid="shortcut-columns">
          {COLUMNS.map((groups) => (
            <div key={groups.join()} className="flex min-w-0 flex-col gap-2">
              {groups.map((group) => (
                <section key={group}>
                  <h3 className="label mb-0.5">{group}</h3>
                  <table className="w-full">
                    <tbody>
                      {SHORTCUTS.filter((s) => s.group === group).map((s) => (
                        <tr key={s.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800">
                          <td className="py-px pr-2 align-top whitespace-nowrap">
                            {s.keys.map((k) => (
                              <kbd key={k} className="mr-1">
                                {k}
                              </kbd>
                            ))}
                          </td>
                          <td className="py-px text-zinc-700 dark:text-zinc-300">{s.action}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              ))}
            </div>
          ))}
        </div>
      </div>
    </Dialog>
  );
}
