// The one shortcut table drives the keys, the help and the menu: it must be unambiguous and complete.
import { describe, expect, it } from 'vitest';
import type { MenuCommand } from '@domain/shortcuts';
import { SHORTCUTS, shortcutForCommand } from '@domain/shortcuts';
import { acceleratorShortcut, normalizedKey, singleKeyShortcut } from '../../src-renderer/src/lib/keys';

const MENU_COMMANDS: MenuCommand[] = [
  'import',
  'export',
  'modelDir',
  'sample',
  'view.review',
  'view.audit',
  'view.metrics',
  'view.data',
  'view.settings',
  'shortcuts',
  'undoLast',
  'focusSearch',
];

const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
  ({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods }) as KeyboardEvent;

describe('shortcut table', () => {
  it('binds each single key and each accelerator to one action only', () => {
    const singles = SHORTCUTS.flatMap((s) => s.singleKeys ?? []);
    expect(new Set(singles).size).toBe(singles.length);
    const accelerators = SHORTCUTS.flatMap((s) => (s.accelerator ? [s.accelerator] : []));
    expect(new Set(accelerators).size).toBe(accelerators.length);
  });

  it('gives every menu command exactly one entry with an accelerator and a menu label', () => {
    for (const command of MENU_COMMANDS) {
      expect(SHORTCUTS.filter((s) => s.command === command)).toHaveLength(1);
      const entry = shortcutForCommand(command);
      expect(entry.accelerator, command).toBeTruthy();
      expect(entry.menu?.label, command).toBeTruthy();
    }
  });

  it('matches key events the way the help spells them', () => {
    expect(normalizedKey(key(' '))).toBe('Space');
    expect(normalizedKey(key(' ', { shiftKey: true }))).toBe('Shift+Space');
    expect(singleKeyShortcut(key(' '))).toBe('case.scrollDown');
    expect(singleKeyShortcut(key(' ', { shiftKey: true }))).toBe('case.scrollUp');
    expect(singleKeyShortcut(key('A', { shiftKey: true }))).toBe('queue.bulkAccept');
    expect(singleKeyShortcut(key('a'))).toBe('decision.accept');
    expect(singleKeyShortcut(key('a', { ctrlKey: true }))).toBeNull();
    expect(acceleratorShortcut(key('o', { ctrlKey: true }))?.command).toBe('import');
    expect(acceleratorShortcut(key('Z', { ctrlKey: true, shiftKey: true }))?.command).toBe('undoLast');
    expect(acceleratorShortcut(key('z', { ctrlKey: true }))).toBeNull();
    expect(acceleratorShortcut(key('F1'))?.command).toBe('shortcuts');
  });
});
