// Key handling from the one shortcut table (src-main/domain/shortcuts.ts): the same table feeds the `?` overlay
// and the Electron menu, so what a key does here is what the help and the menu say it does.
import { RISK_SHORTCUTS, SHORTCUTS, type Shortcut, type ShortcutGroup, type ShortcutId } from '@domain/shortcuts';

export { RISK_SHORTCUTS, SHORTCUTS, type Shortcut, type ShortcutGroup, type ShortcutId };

/** KeyboardEvent.key as the table spells single keys: 'Space', and 'Shift+' before named keys pressed with Shift. */
export function normalizedKey(e: Pick<KeyboardEvent, 'key' | 'shiftKey'>): string {
  const key = e.key === ' ' ? 'Space' : e.key;
  return e.shiftKey && key.length > 1 ? `Shift+${key}` : key;
}

/** The single-key shortcut (no Ctrl/Cmd/Alt) this event triggers, if any. */
export function singleKeyShortcut(e: KeyboardEvent): ShortcutId | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const key = normalizedKey(e);
  return SHORTCUTS.find((s) => s.singleKeys?.includes(key))?.id ?? null;
}

function matchesAccelerator(accelerator: string, e: KeyboardEvent): boolean {
  const parts = accelerator.split('+');
  const key = parts[parts.length - 1];
  const needsMod = parts.includes('CmdOrCtrl');
  const needsShift = parts.includes('Shift');
  if (needsMod !== (e.ctrlKey || e.metaKey) || needsShift !== e.shiftKey || e.altKey) return false;
  return e.key.toLowerCase() === key.toLowerCase();
}

/** The table entry whose accelerator (e.g. CmdOrCtrl+O, F1) this event is. */
export function acceleratorShortcut(e: KeyboardEvent): Shortcut | null {
  return SHORTCUTS.find((s) => s.accelerator && matchesAccelerator(s.accelerator, e)) ?? null;
}

/** The first key the help shows for a shortcut, for buttons that display their key. */
export function keyOf(id: ShortcutId): string {
  return SHORTCUTS.find((s) => s.id === id)?.keys[0] ?? '';
}

/** True when the key event belongs to a text field, so single-letter shortcuts must not fire. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}
