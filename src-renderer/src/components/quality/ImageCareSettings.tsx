// The moderator's own choices for how images are shown (saved in Settings, so they persist), and the lead's limits,
// shown read-only: the window cannot change them (docs/quality.md).
import { BLUR_STRENGTHS, type BlurStrength, type ImageDisplay } from '@domain/exposure';
import type { Settings } from '@domain/settings';

const STRENGTH_LABELS: Record<BlurStrength, string> = {
  light: 'Soft blur',
  strong: 'Strong blur',
  hidden: 'Hidden: nothing recognisable',
};

export function ImageCareSettings({
  settings,
  onSettings,
}: {
  settings: Settings;
  onSettings: (patch: Partial<Settings>) => void | Promise<void>;
}) {
  const display = settings.imageDisplay;
  const set = (patch: Partial<ImageDisplay>) => void onSettings({ imageDisplay: { ...display, ...patch } });
  const limits = settings.exposureLimits;
  return (
    <>
      <fieldset className="flex flex-col gap-1">
        <legend className="label mb-1">Hidden images look like</legend>
        {BLUR_STRENGTHS.map((strength) => (
          <label key={strength} className="flex items-center gap-2">
            <input
              type="radio"
              name="blur-strength"
              checked={display.blurStrength === strength}
              data-testid={`settings-blur-${strength}`}
              onChange={() => set({ blurStrength: strength })}
            />
            {STRENGTH_LABELS[strength]}
          </label>
        ))}
      </fieldset>
      <label className="flex items-center gap-2">
        <input
          type="checkbox"
          checked={display.neverAutoReveal}
          data-testid="settings-never-auto-reveal"
          onChange={(e) => set({ neverAutoReveal: e.target.checked })}
        />
        Never show an image until I ask for it (even with blur and grayscale off)
      </label>
      <label className="flex items-center gap-2">
        <input
          type="checkbox"
          checked={display.hideDecidedImages}
          data-testid="settings-hide-decided"
          onChange={(e) => set({ hideDecidedImages: e.target.checked })}
        />
        Keep images of cases already decided hidden
      </label>
      <p className="text-[12px] text-zinc-700 dark:text-zinc-300" data-testid="settings-exposure-limits">
        Exposure limits set by your lead: a break is suggested after {limits.softImages} images or {limits.softHarmful}{' '}
        harmful cases or {limits.softMinutes} minutes; images stay blurred after {limits.hardImages} images or{' '}
        {limits.hardHarmful} harmful cases until a {limits.breakMinutes}-minute break. These counts stay on this
        computer.
      </p>
    </>
  );
}
