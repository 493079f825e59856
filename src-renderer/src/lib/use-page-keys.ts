// PgDn / PgUp and Space / Shift+Space page through a long screen. Each screen scrolls inside its own box under the
// header; with focus on the page body the browser pages the document instead, which never overflows in this
// layout, so without this the keys did nothing on Metrics and the other long screens.
import { useEffect, type RefObject } from 'react';
import { isTypingTarget, singleKeyShortcut } from './keys';

/** One page is most of the visible height: the last lines of the page before stay in view, to keep one's place. */
const PAGE_SHARE = 0.85;

export function scrollByPage(scroller: HTMLElement, direction: 1 | -1): void {
  scroller.scrollTop += direction * scroller.clientHeight * PAGE_SHARE;
}

/** Controls that Space presses, so Space there must not scroll. */
const PRESSED_BY_SPACE = 'button, a[href], summary, [role="button"], [role="radio"], [role="checkbox"], [role="tab"]';

/**
 * Binds the page keys of the shortcut table (the case pane's on the Review screen) to `scroller` while `active`.
 * Keys typed in a field, pressed while a dialog is open, or (Space) on a focused control are left alone.
 */
export function usePageKeys(scroller: RefObject<HTMLElement | null>, active = true): void {
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (document.querySelector('[role="dialog"]') || isTypingTarget(e.target)) return;
      const id = singleKeyShortcut(e);
      if (id !== 'case.scrollDown' && id !== 'case.scrollUp') return;
      if (e.key === ' ' && e.target instanceof Element && e.target.closest(PRESSED_BY_SPACE)) return;
      const box = scroller.current;
      if (!box) return;
      e.preventDefault();
      scrollByPage(box, id === 'case.scrollDown' ? 1 : -1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [scroller, active]);
}
