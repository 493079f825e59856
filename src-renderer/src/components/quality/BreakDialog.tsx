// A break: the screen is covered (nothing of the queue shows) for the lead's minimum, then the moderator ends it
// and the session counts start again. The core refuses an early end, so the limit holds whatever the window does.
import { useEffect, useState } from 'react';
import type { ExposureStatus } from '@domain/exposure';
import { Dialog } from '../Dialog';

export function BreakDialog({
  status,
  onEnd,
  onClose,
}: {
  status: ExposureStatus & { onBreak: NonNullable<ExposureStatus['onBreak']> };
  onEnd: () => void;
  onClose: () => void;
}) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Date.parse(status.onBreak.endsAt) - now);
  const minutes = Math.floor(left / 60_000);
  const seconds = Math.floor((left % 60_000) / 1000);
  return (
    <Dialog label="Break" onClose={onClose} className="w-[460px]" testId="break-dialog">
      <div className="flex flex-col gap-3 p-5 text-center">
        <h2 className="text-[16px] font-semibold">On a break</h2>
        <p className="text-zinc-700 dark:text-zinc-300">
          Step away from the screen: stand up, look at something far away, have a drink of water. Talk to someone if
          something you saw stays with you.
        </p>
        <p className="text-[28px] font-semibold tabular-nums" aria-live="off" data-testid="break-countdown">
          {left > 0 ? `${minutes}:${String(seconds).padStart(2, '0')}` : 'Break over'}
        </p>
        <button
          type="button"
          className="btn btn-primary mx-auto"
          disabled={left > 0}
          onClick={onEnd}
          data-testid="end-break"
        >
          {left > 0 ? `End break (after ${status.limits.breakMinutes} min)` : 'End break and go back'}
        </button>
      </div>
    </Dialog>
  );
}
