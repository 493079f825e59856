// Every shortcut in one table: buttons show their key from here and the `?` overlay lists the whole table.
import type { RiskLevel } from '@domain/types';

export const RISK_KEYS: Array<{ key: string; risk: RiskLevel }> = [
  { key: '1', risk: 0 },
  { key: '2', risk: 0.5 },
  { key: '3', risk: 1 },
];

export interface ShortcutHelp {
  keys: string[];
  action: string;
  group: 'Queue' | 'Decision' | 'Image' | 'App';
}

export const SHORTCUTS: ShortcutHelp[] = [
  { keys: ['J', '↓'], action: 'Next case', group: 'Queue' },
  { keys: ['K', '↑'], action: 'Previous case', group: 'Queue' },
  { keys: ['/'], action: 'Search query, trace and response', group: 'Queue' },
  { keys: ['X'], action: 'Select / unselect case for bulk accept', group: 'Queue' },
  { keys: ['Shift+A'], action: "Bulk accept model's verdict on the selection", group: 'Queue' },
  { keys: ['1'], action: 'Set risk: Safe (0)', group: 'Decision' },
  { keys: ['2'], action: 'Set risk: Potentially harmful (0.5)', group: 'Decision' },
  { keys: ['3'], action: 'Set risk: Harmful (1)', group: 'Decision' },
  { keys: ['A'], action: "Accept model's verdict, submit & next", group: 'Decision' },
  { keys: ['C'], action: 'Pick a category', group: 'Decision' },
  { keys: ['E'], action: 'Edit the analysis', group: 'Decision' },
  { keys: ['N'], action: 'Add a note', group: 'Decision' },
  { keys: ['Enter'], action: 'Submit & next (Ctrl+Enter inside the analysis)', group: 'Decision' },
  { keys: ['U', 'Ctrl+Shift+Z'], action: 'Undo your last decision (recorded as a new entry)', group: 'Decision' },
  { keys: ['Esc'], action: 'Leave a field / close an overlay', group: 'Decision' },
  { keys: ['V'], action: 'Reveal / hide the image (or click; hold to peek)', group: 'Image' },
  { keys: ['Ctrl+1'], action: 'Review queue', group: 'App' },
  { keys: ['Ctrl+2'], action: 'Audit runner', group: 'App' },
  { keys: ['Ctrl+3'], action: 'Metrics', group: 'App' },
  { keys: ['Ctrl+4'], action: 'Import / Export', group: 'App' },
  { keys: ['Ctrl+,'], action: 'Settings', group: 'App' },
  { keys: ['?'], action: 'This list', group: 'App' },
];

/** True when the key event belongs to a text field, so single-letter shortcuts must not fire. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}
