import type { ExposureCounts, ExposureKind, ExposureLimits, ExposureStatus } from '@domain/exposure';
import { nowIso } from './clock';
import { StoreError } from '../errors';
import type { Db } from './open-database';

/** A session that saw no break is still bounded: events older than this start no session. */
const SESSION_HORIZON_MS = 12 * 3600_000;

interface EventRow {
  kind: ExposureKind;
  case_id: string | null;
  at: string;
}

/**
 * What a moderator was shown and their breaks, on this workstation only (docs/quality.md, "Care for moderators").
 * An image revealed counts once per case per session, so toggling one image does not inflate the count.
 */
export class ExposureRepository {
  constructor(private readonly db: Db) {}

  record(moderator: string, kind: 'image_revealed' | 'harmful_judged', caseId: string, at = nowIso()): void {
    if (kind === 'image_revealed') {
      const since = this.sessionStart(moderator, Date.parse(at));
      const seen = this.db
        .prepare<[string, string, string], number>(
          `SELECT count(*) FROM exposure_events WHERE moderator = ? AND kind = 'image_revealed' AND case_id = ? AND at >= ?`,
        )
        .pluck()
        .get(moderator, caseId, since ?? '')!;
      if (seen) return;
    }
    this.insert(moderator, kind, caseId, at);
  }

  startBreak(moderator: string, at = nowIso()): void {
    this.insert(moderator, 'break_started', null, at);
  }

  /** Ends a break; refused until it has lasted the lead's minimum. */
  endBreak(moderator: string, limits: ExposureLimits, at = nowIso()): void {
    const started = this.lastBreakStart(moderator);
    if (!started) throw new StoreError('invalid', 'No break was started. Start a break first (Take a break).');
    const endsAt = Date.parse(started) + limits.breakMinutes * 60_000;
    if (Date.parse(at) < endsAt) {
      const minutes = Math.ceil((endsAt - Date.parse(at)) / 60_000);
      throw new StoreError(
        'conflict',
        `The break has ${minutes} more minute(s) to run; images stay blurred until then.`,
      );
    }
    this.insert(moderator, 'break_taken', null, at);
  }

  status(moderator: string, limits: ExposureLimits, at = nowIso()): ExposureStatus {
    const now = Date.parse(at);
    const since = this.sessionStart(moderator, now);
    const events = since
      ? this.db
          .prepare<[string, string], EventRow>(
            'SELECT kind, case_id, at FROM exposure_events WHERE moderator = ? AND at >= ? ORDER BY at, id',
          )
          .all(moderator, since)
      : [];
    const hourAgo = new Date(now - 3600_000).toISOString();
    const lastHour = this.db
      .prepare<[string, string], EventRow>(
        'SELECT kind, case_id, at FROM exposure_events WHERE moderator = ? AND at >= ? ORDER BY at, id',
      )
      .all(moderator, hourAgo);
    const count = (rows: EventRow[]): ExposureCounts => ({
      imagesRevealed: rows.filter((e) => e.kind === 'image_revealed').length,
      harmfulJudged: rows.filter((e) => e.kind === 'harmful_judged').length,
    });
    const session = count(events);
    const minutes = since ? Math.max(0, Math.floor((now - Date.parse(since)) / 60_000)) : 0;
    const breakStart = this.lastBreakStart(moderator);
    const onBreak = breakStart
      ? { since: breakStart, endsAt: new Date(Date.parse(breakStart) + limits.breakMinutes * 60_000).toISOString() }
      : null;
    const mustBreak = session.imagesRevealed >= limits.hardImages || session.harmfulJudged >= limits.hardHarmful;
    return {
      moderator,
      session: { ...session, since, minutes },
      lastHour: count(lastHour),
      limits,
      breakSuggested:
        mustBreak ||
        session.imagesRevealed >= limits.softImages ||
        session.harmfulJudged >= limits.softHarmful ||
        minutes >= limits.softMinutes,
      mustBreak,
      onBreak,
    };
  }

  private insert(moderator: string, kind: ExposureKind, caseId: string | null, at: string): void {
    this.db
      .prepare('INSERT INTO exposure_events (moderator, kind, case_id, at) VALUES (?, ?, ?, ?)')
      .run(moderator, kind, caseId, at);
  }

  /** The session starts after the last break taken, and never more than SESSION_HORIZON_MS ago. */
  private sessionStart(moderator: string, now: number): string | null {
    const horizon = new Date(now - SESSION_HORIZON_MS).toISOString();
    const lastBreak = this.db
      .prepare<[string], string | null>(
        "SELECT max(at) FROM exposure_events WHERE moderator = ? AND kind = 'break_taken'",
      )
      .pluck()
      .get(moderator);
    const from = lastBreak && lastBreak > horizon ? lastBreak : horizon;
    return (
      this.db
        .prepare<[string, string], string | null>(
          "SELECT min(at) FROM exposure_events WHERE moderator = ? AND at > ? AND kind IN ('image_revealed', 'harmful_judged')",
        )
        .pluck()
        .get(moderator, from) ?? null
    );
  }

  /** The start of a break not yet ended, if any. */
  private lastBreakStart(moderator: string): string | null {
    const row = this.db
      .prepare<[string], { kind: ExposureKind; at: string }>(
        "SELECT kind, at FROM exposure_events WHERE moderator = ? AND kind IN ('break_started', 'break_taken') ORDER BY at DESC, id DESC LIMIT 1",
      )
      .get(moderator);
    return row?.kind === 'break_started' ? row.at : null;
  }
}
