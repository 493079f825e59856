// The application menu lists every global shortcut, so the keys are discoverable without the `?` overlay.
// Labels and accelerators come from the one shortcut table the renderer's key handling and help use.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '@domain/shortcuts';
import { shortcutForCommand } from '@domain/shortcuts';
import { SHELL_CHANNELS } from '../ipc/ipc-envelope';

export function buildAppMenu(getWindow: () => BrowserWindow | null): Menu {
  const item = (command: MenuCommand): MenuItemConstructorOptions => {
    const shortcut = shortcutForCommand(command);
    return {
      label: shortcut.menu?.label ?? shortcut.action,
      accelerator: shortcut.accelerator,
      click: () => getWindow()?.webContents.send(SHELL_CHANNELS.menuCommand, command),
    };
  };
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        item('import'),
        item('export'),
        item('modelDir'),
        item('sample'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        // Text undo stays on Ctrl+Z inside fields; undoing a decision is a separate, explicit command.
        item('undoLast'),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
        { type: 'separator' },
        item('focusSearch'),
      ],
    },
    {
      label: '&View',
      submenu: [
        item('view.review'),
        item('view.audit'),
        item('view.metrics'),
        item('view.data'),
        item('view.adjudication'),
        item('view.settings'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Help',
      submenu: [item('shortcuts')],
    },
  ];
  return Menu.buildFromTemplate(template);
}
