// The moderator's exposure, in the status bar: images revealed and cases judged harmful this session and in the
// last hour, a suggested break at the lead's soft limit, and at the hard limit a break before any image is shown.
// Only this moderator sees these numbers (docs/quality.md).
import type { ExposureStatus } from '@domain/exposure';

export function ExposureMeter({ status, onTakeBreak }: { status: ExposureStatus; onTakeBreak: () => void }) {
  const { session, lastHour, limits } = status;
  const tone = status.mustBreak
    ? 'text-rose-700 dark:text-rose-300 font-semibold'
    : status.breakSuggested
      ? 'text-amber-800 dark:text-amber-200 font-medium'
      : '';
  return (
    <span className={`flex items-center gap-2 ${tone}`} data-testid="exposure-meter">
      <span
        title={`Since your last break (${session.minutes} min): ${session.imagesRevealed} of ${limits.hardImages} images, ${session.harmfulJudged} of ${limits.hardHarmful} harmful cases. Last hour: ${lastHour.imagesRevealed} images, ${lastHour.harmfulJudged} harmful. Only you see this.`}
      >
        Exposure: {session.imagesRevealed} images · {session.harmfulJudged} harmful this session (
        {lastHour.imagesRevealed} / {lastHour.harmfulJudged} last hour)
      </span>
      {(status.breakSuggested || status.mustBreak || status.onBreak) && (
        <button type="button" className="btn py-0 text-[11.5px]" onClick={onTakeBreak} data-testid="take-break">
          {status.onBreak
            ? 'On a break'
            : status.mustBreak
              ? 'Break needed: images stay blurred · take a break'
              : 'Time for a break'}
        </button>
      )}
    </span>
  );
}
