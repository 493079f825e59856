// The application menu lists every global shortcut, so the keys are discoverable without the `?` overlay.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../api/contract';
import { SHELL_CHANNELS } from '../ipc/ipc-envelope';

export function buildAppMenu(getWindow: () => BrowserWindow | null): Menu {
  const send = (command: MenuCommand) => () => getWindow()?.webContents.send(SHELL_CHANNELS.menuCommand, command);
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Import cases…', accelerator: 'CmdOrCtrl+O', click: send('import') },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: send('export') },
        { label: 'Choose model folder…', accelerator: 'CmdOrCtrl+M', click: send('modelDir') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        // Text undo stays on Ctrl+Z inside fields; undoing a decision is a separate, explicit command.
        { label: 'Undo last decision', accelerator: 'CmdOrCtrl+Shift+Z', click: send('undoLast') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
        { type: 'separator' },
        { label: 'Search cases', accelerator: 'CmdOrCtrl+F', click: send('focusSearch') },
      ],
    },
    {
      label: '&View',
      submenu: [
        { label: 'Review queue', accelerator: 'CmdOrCtrl+1', click: send('view.review') },
        { label: 'Audit runner', accelerator: 'CmdOrCtrl+2', click: send('view.audit') },
        { label: 'Metrics', accelerator: 'CmdOrCtrl+3', click: send('view.metrics') },
        { label: 'Import / Export', accelerator: 'CmdOrCtrl+4', click: send('view.data') },
        { label: 'Settings', accelerator: 'CmdOrCtrl+,', click: send('view.settings') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Help',
      submenu: [{ label: 'Keyboard shortcuts (?)', accelerator: 'F1', click: send('shortcuts') }],
    },
  ];
  return Menu.buildFromTemplate(template);
}
