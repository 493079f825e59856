// How a case image is protected (docs/quality.md, "Care for moderators"): the moderator's display choices, and the
// lead's hard limit, which keeps every image blurred until a break has been taken.
import { useSyncExternalStore } from 'react';
import { DEFAULT_IMAGE_DISPLAY, type BlurStrength, type ImageDisplay } from '@domain/exposure';

export interface ImageCare {
  display: ImageDisplay;
  /** A hard exposure limit is reached: nothing is revealed until a break has been taken. */
  mustBreak: boolean;
  /** An image that was protected has been shown (counted once per case and session by the core). */
  onRevealed: (caseId: string) => void;
}

// A small external store rather than a React context: the App sets it, any image reads it, and no screen between
// the two has to pass it on (or be re-indented around a provider).
let current: ImageCare = { display: DEFAULT_IMAGE_DISPLAY, mustBreak: false, onRevealed: () => undefined };
const listeners = new Set<() => void>();

export function setImageCare(next: ImageCare): void {
  current = next;
  for (const listener of listeners) listener();
}

export function useImageCare(): ImageCare {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}

const BLUR: Record<BlurStrength, string> = {
  light: 'blur(10px)',
  strong: 'blur(22px)',
  hidden: 'blur(40px) brightness(0.15)',
};

export interface ImageProtection {
  shown: boolean;
  /** The image starts hidden (so showing it counts as a reveal). */
  protectedView: boolean;
  /** Reveal is refused: the hard limit is reached. */
  locked: boolean;
  filter: string;
}

export function imageProtection(input: {
  blur: boolean;
  grayscale: boolean;
  display: ImageDisplay;
  mustBreak: boolean;
  /** The case already has a decision in force. */
  decided: boolean;
  revealed: boolean;
  peeking: boolean;
}): ImageProtection {
  const { display, mustBreak } = input;
  const hideDecided = input.decided && display.hideDecidedImages;
  const needsBlur = input.blur || display.neverAutoReveal || hideDecided || mustBreak;
  const protectedView = needsBlur || input.grayscale;
  const shown = !mustBreak && (!protectedView || input.revealed || input.peeking);
  const filter = shown
    ? 'none'
    : [
        needsBlur ? BLUR[mustBreak ? 'hidden' : display.blurStrength] : '',
        input.grayscale || mustBreak ? 'grayscale(1)' : '',
      ]
        .join(' ')
        .trim();
  return { shown, protectedView, locked: mustBreak, filter };
}
