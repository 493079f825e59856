// Every keyboard shortcut of the workstation in one table (pure data). The renderer's key handling, the `?`
// overlay and the Electron application menu are all built from it, so a key can never be listed in one place
// and bound differently in another.
import type { RiskLevel } from './types';

/** Commands the native application menu sends to the renderer; the renderer also binds them to keys. */
export type MenuCommand =
  | 'import'
  | 'export'
  | 'modelDir'
  | 'sample'
  | 'view.review'
  | 'view.audit'
  | 'view.metrics'
  | 'view.data'
  | 'view.adjudication'
  | 'view.settings'
  | 'shortcuts'
  | 'undoLast'
  | 'focusSearch';

export type ShortcutGroup = 'Queue' | 'Case' | 'Decision' | 'Image' | 'App';

export type ShortcutId =
  | 'queue.next'
  | 'queue.prev'
  | 'queue.search'
  | 'queue.select'
  | 'queue.bulkAccept'
  | 'queue.clearSelection'
  | 'queue.toggle'
  | 'case.focus'
  | 'case.scrollDown'
  | 'case.scrollUp'
  | 'case.top'
  | 'case.bottom'
  | 'case.query'
  | 'case.trace'
  | 'case.response'
  | 'case.analysis'
  | 'case.nextMatch'
  | 'case.prevMatch'
  | 'steps.jump'
  | 'steps.markUp'
  | 'steps.markDown'
  | 'steps.confirm'
  | 'steps.clear'
  | 'decision.risk0'
  | 'decision.risk05'
  | 'decision.risk1'
  | 'decision.accept'
  | 'decision.category'
  | 'decision.analysis'
  | 'decision.note'
  | 'decision.submit'
  | 'decision.undo'
  | 'dialog.close'
  | 'image.reveal'
  | 'app.review'
  | 'app.audit'
  | 'app.metrics'
  | 'app.data'
  | 'app.adjudication'
  | 'app.settings'
  | 'app.import'
  | 'app.export'
  | 'app.modelDir'
  | 'app.sample'
  | 'app.shortcuts';

export interface Shortcut {
  id: ShortcutId;
  /** What the help shows, e.g. ['J', '↓']. */
  keys: string[];
  /**
   * Single keys (no Ctrl/Cmd/Alt) that trigger it, as `normalizedKey` spells them: KeyboardEvent.key, ' ' as
   * 'Space', and 'Shift+' before a named key pressed with Shift ('Shift+Space'). Letters keep their case.
   */
  singleKeys?: string[];
  /** Electron accelerator; the menu binds it in the app, the page itself in a plain browser. */
  accelerator?: string;
  /** The application-menu command this shortcut sends (app-level actions only). */
  command?: MenuCommand;
  /** Label in the application menu (and its menu), when it has one. */
  menu?: { menu: 'File' | 'Edit' | 'View' | 'Help'; label: string };
  action: string;
  group: ShortcutGroup;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'queue.next', keys: ['J', '↓'], singleKeys: ['j', 'ArrowDown'], action: 'Next case', group: 'Queue' },
  { id: 'queue.prev', keys: ['K', '↑'], singleKeys: ['k', 'ArrowUp'], action: 'Previous case', group: 'Queue' },
  {
    id: 'queue.search',
    keys: ['/', 'Ctrl+F'],
    singleKeys: ['/'],
    accelerator: 'CmdOrCtrl+F',
    command: 'focusSearch',
    menu: { menu: 'Edit', label: 'Search cases' },
    action: 'Search query, trace and response',
    group: 'Queue',
  },
  {
    id: 'queue.select',
    keys: ['X'],
    singleKeys: ['x'],
    action: 'Select / unselect case for bulk accept',
    group: 'Queue',
  },
  {
    id: 'queue.bulkAccept',
    keys: ['Shift+A'],
    singleKeys: ['A'],
    action: "Bulk accept model's verdict on the selection",
    group: 'Queue',
  },
  {
    id: 'queue.clearSelection',
    keys: ['Shift+X'],
    singleKeys: ['X'],
    action: 'Clear the bulk selection',
    group: 'Queue',
  },
  {
    id: 'queue.toggle',
    keys: ['B'],
    singleKeys: ['b'],
    action: 'Collapse / expand the queue column',
    group: 'Queue',
  },
  {
    id: 'case.focus',
    keys: ['F'],
    singleKeys: ['f'],
    action: 'Give the case the whole window (F again: queue and decision back)',
    group: 'Case',
  },
  {
    id: 'case.scrollDown',
    keys: ['Space', 'PgDn'],
    singleKeys: ['Space', 'PageDown'],
    action: 'Scroll the case down (on other screens: the screen)',
    group: 'Case',
  },
  {
    id: 'case.scrollUp',
    keys: ['Shift+Space', 'PgUp'],
    singleKeys: ['Shift+Space', 'PageUp'],
    action: 'Scroll the case up (on other screens: the screen)',
    group: 'Case',
  },
  { id: 'case.top', keys: ['Home'], singleKeys: ['Home'], action: 'Top of the case', group: 'Case' },
  { id: 'case.bottom', keys: ['End'], singleKeys: ['End'], action: 'Bottom of the case', group: 'Case' },
  { id: 'case.query', keys: ['Q'], singleKeys: ['q'], action: 'Jump to the user query', group: 'Case' },
  { id: 'case.trace', keys: ['T'], singleKeys: ['t'], action: 'Jump to the reasoning trace', group: 'Case' },
  { id: 'case.response', keys: ['R'], singleKeys: ['r'], action: 'Jump to the final response', group: 'Case' },
  { id: 'case.analysis', keys: ['M'], singleKeys: ['m'], action: "Jump to the model's analysis", group: 'Case' },
  {
    id: 'case.nextMatch',
    keys: [']', 'F3'],
    singleKeys: [']', 'F3'],
    action: 'Next search match in the case',
    group: 'Case',
  },
  {
    id: 'case.prevMatch',
    keys: ['[', 'Shift+F3'],
    singleKeys: ['[', 'Shift+F3'],
    action: 'Previous search match in the case',
    group: 'Case',
  },
  // Step localization (docs/step-localization.md); handled by the trace view (TraceSteps.tsx).
  {
    id: 'steps.jump',
    keys: ['L'],
    singleKeys: ['l'],
    action: 'Jump to the located step (locate it first if the case has no search)',
    group: 'Case',
  },
  { id: 'steps.markUp', keys: ['Alt+↑'], action: 'Move the step mark up a step', group: 'Case' },
  { id: 'steps.markDown', keys: ['Alt+↓'], action: 'Move the step mark down a step', group: 'Case' },
  {
    id: 'steps.confirm',
    keys: ['Shift+L'],
    singleKeys: ['L'],
    action: 'Confirm the marked step as the first unsafe one',
    group: 'Case',
  },
  {
    id: 'steps.clear',
    keys: ['Ctrl+L'],
    action: 'Clear the step label ("no single step")',
    group: 'Case',
  },
  { id: 'decision.risk0', keys: ['1'], singleKeys: ['1'], action: 'Set risk: Safe (0)', group: 'Decision' },
  {
    id: 'decision.risk05',
    keys: ['2'],
    singleKeys: ['2'],
    action: 'Set risk: Potentially harmful (0.5)',
    group: 'Decision',
  },
  { id: 'decision.risk1', keys: ['3'], singleKeys: ['3'], action: 'Set risk: Harmful (1)', group: 'Decision' },
  {
    id: 'decision.accept',
    keys: ['A'],
    singleKeys: ['a'],
    action: "Accept model's verdict, submit & next",
    group: 'Decision',
  },
  { id: 'decision.category', keys: ['C'], singleKeys: ['c'], action: 'Pick a category', group: 'Decision' },
  { id: 'decision.analysis', keys: ['E'], singleKeys: ['e'], action: 'Edit the analysis', group: 'Decision' },
  { id: 'decision.note', keys: ['N'], singleKeys: ['n'], action: 'Add a note', group: 'Decision' },
  {
    id: 'decision.submit',
    keys: ['Enter'],
    singleKeys: ['Enter'],
    action: 'Submit & next (Ctrl+Enter inside the analysis)',
    group: 'Decision',
  },
  {
    id: 'decision.undo',
    keys: ['U', 'Ctrl+Shift+Z'],
    singleKeys: ['u'],
    accelerator: 'CmdOrCtrl+Shift+Z',
    command: 'undoLast',
    menu: { menu: 'Edit', label: 'Undo last decision' },
    action: 'Undo your last decision (recorded as a new entry) and go back to that case',
    group: 'Decision',
  },
  { id: 'dialog.close', keys: ['Esc'], action: 'Leave a field / close a dialog', group: 'Decision' },
  {
    id: 'image.reveal',
    keys: ['V'],
    singleKeys: ['v'],
    action: 'Reveal / hide the image (or click; hold to peek)',
    group: 'Image',
  },
  {
    id: 'app.review',
    keys: ['Ctrl+1'],
    accelerator: 'CmdOrCtrl+1',
    command: 'view.review',
    menu: { menu: 'View', label: 'Review queue' },
    action: 'Review queue',
    group: 'App',
  },
  {
    id: 'app.audit',
    keys: ['Ctrl+2'],
    accelerator: 'CmdOrCtrl+2',
    command: 'view.audit',
    menu: { menu: 'View', label: 'Audit runner' },
    action: 'Audit runner',
    group: 'App',
  },
  {
    id: 'app.metrics',
    keys: ['Ctrl+3'],
    accelerator: 'CmdOrCtrl+3',
    command: 'view.metrics',
    menu: { menu: 'View', label: 'Metrics' },
    action: 'Metrics',
    group: 'App',
  },
  {
    id: 'app.data',
    keys: ['Ctrl+4'],
    accelerator: 'CmdOrCtrl+4',
    command: 'view.data',
    menu: { menu: 'View', label: 'Import / Export' },
    action: 'Import / Export',
    group: 'App',
  },
  {
    id: 'app.adjudication',
    keys: ['Ctrl+5'],
    accelerator: 'CmdOrCtrl+5',
    command: 'view.adjudication',
    menu: { menu: 'View', label: 'Adjudication' },
    action: 'Adjudication',
    group: 'App',
  },
  {
    id: 'app.settings',
    keys: ['Ctrl+,'],
    accelerator: 'CmdOrCtrl+,',
    command: 'view.settings',
    menu: { menu: 'View', label: 'Settings' },
    action: 'Settings',
    group: 'App',
  },
  {
    id: 'app.import',
    keys: ['Ctrl+O'],
    accelerator: 'CmdOrCtrl+O',
    command: 'import',
    menu: { menu: 'File', label: 'Import cases…' },
    action: 'Import cases',
    group: 'App',
  },
  {
    id: 'app.export',
    keys: ['Ctrl+E'],
    accelerator: 'CmdOrCtrl+E',
    command: 'export',
    menu: { menu: 'File', label: 'Export…' },
    action: 'Export',
    group: 'App',
  },
  {
    id: 'app.modelDir',
    keys: ['Ctrl+M'],
    accelerator: 'CmdOrCtrl+M',
    command: 'modelDir',
    menu: { menu: 'File', label: 'Choose model folder…' },
    action: 'Choose the model folder',
    group: 'App',
  },
  {
    id: 'app.sample',
    keys: ['Ctrl+Shift+O'],
    accelerator: 'CmdOrCtrl+Shift+O',
    command: 'sample',
    menu: { menu: 'File', label: 'Open the sample workspace' },
    action: 'Add the sample workspace (synthetic cases, demo verdicts)',
    group: 'App',
  },
  {
    id: 'app.shortcuts',
    keys: ['?', 'F1'],
    singleKeys: ['?'],
    accelerator: 'F1',
    command: 'shortcuts',
    menu: { menu: 'Help', label: 'Keyboard shortcuts (?)' },
    action: 'This list',
    group: 'App',
  },
];

/** The risk each risk key sets, in key order (1, 2, 3). */
export const RISK_SHORTCUTS: ReadonlyArray<{ id: ShortcutId; key: string; risk: RiskLevel }> = [
  { id: 'decision.risk0', key: '1', risk: 0 },
  { id: 'decision.risk05', key: '2', risk: 0.5 },
  { id: 'decision.risk1', key: '3', risk: 1 },
];

export function shortcutById(id: ShortcutId): Shortcut {
  return SHORTCUTS.find((s) => s.id === id)!;
}

/** The shortcut that sends a menu command (each command has exactly one). */
export function shortcutForCommand(command: MenuCommand): Shortcut {
  const found = SHORTCUTS.find((s) => s.command === command);
  if (!found) throw new Error(`No shortcut sends the menu command "${command}".`);
  return found;
}
