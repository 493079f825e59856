// Remembers the main window's size, position and maximized state between sessions (a JSON file in userData).
import { readFileSync, writeFileSync } from 'node:fs';
import type { BrowserWindow, Rectangle } from 'electron';

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

const DEFAULT_STATE: WindowState = { bounds: { x: 0, y: 0, width: 1440, height: 900 }, maximized: false };

export function loadWindowState(file: string, visibleAreas: Rectangle[]): WindowState & { hasPosition: boolean } {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>;
    const b = parsed.bounds;
    if (b && [b.x, b.y, b.width, b.height].every((n) => Number.isFinite(n)) && b.width >= 640 && b.height >= 480) {
      // A window saved on a monitor that is gone would open off-screen: keep its size but let the OS place it.
      const onScreen = visibleAreas.some(
        (a) => b.x < a.x + a.width - 100 && b.x + b.width > a.x + 100 && b.y >= a.y - 10 && b.y < a.y + a.height - 100,
      );
      return { bounds: b, maximized: parsed.maximized === true, hasPosition: onScreen };
    }
  } catch {
    // No saved state yet (first start) or an unreadable file: fall back to the default size.
  }
  return { ...DEFAULT_STATE, hasPosition: false };
}

export function trackWindowState(window: BrowserWindow, file: string): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    if (window.isDestroyed()) return;
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
    } catch (error) {
      console.warn(`Could not save the window position to ${file}: ${(error as Error).message}`);
    }
  };
  const saveSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  };
  window.on('resize', saveSoon);
  window.on('move', saveSoon);
  window.on('close', () => {
    clearTimeout(timer);
    save();
  });
}
