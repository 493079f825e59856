// Stopping at the judgment, for callers that read only the judgment (step-localization probes: the analysis of a probe
// is never shown as a verdict). Every engine applies the same two rules, so a probe costs the same on each:
// - a profile with a judgmentFirstGrammar is asked for its judgment first, through that grammar (on engines that
//   take a grammar);
// - otherwise the model writes what a verdict writes, and generation stops once the judgment is written, instead of
//   running on to the end of the output or the token limit.
// "Written" is the profile's own parser saying ok on the output up to a line end: the judgment's line must be
// complete, because "0" may still become "0.5" and a template echo ("[0/0.5/1]") is no verdict. A probe therefore
// reads the first judgment the model completes; a full verdict reads the last one, which differs only for a model
// that writes a second judgment after the first (GuardTrace's prompt tells it to stop after the judgment).
import type { JudgmentStop } from '@domain/audits';
import type { AuditOptions } from './engine';
import type { GuardModelProfile } from './profiles/profile';

export type { JudgmentStop };

/** The grammar an audit runs with: the judgment-first one for a probe when the profile has it, else strict format's. */
export function auditGrammar(
  profile: GuardModelProfile,
  options: Pick<AuditOptions, 'strictFormat' | 'stopAtJudgment'>,
): string | undefined {
  if (options.stopAtJudgment && profile.judgmentFirstGrammar !== undefined) return profile.judgmentFirstGrammar;
  return options.strictFormat ? profile.strictGrammar : undefined;
}

/** True when the output so far holds a judgment whose line is complete. */
export function judgmentWritten(profile: GuardModelProfile, output: string): boolean {
  const lineEnd = output.lastIndexOf('\n');
  return lineEnd >= 0 && profile.parse(output.slice(0, lineEnd)).status === 'ok';
}

/**
 * Follows a streamed output for stopAtJudgment. `push` takes each new piece and says when to stop; only a piece that
 * ends a line can complete the judgment, so the parser runs once a line, not once a token.
 */
export class JudgmentWatch {
  private output = '';
  private written = false;

  constructor(
    private readonly profile: GuardModelProfile,
    private readonly options: Pick<AuditOptions, 'stopAtJudgment'>,
    /** The whole output so far, where the engine has it: a piece may end inside a character the next one completes. */
    private readonly wholeOutput?: () => string | undefined,
  ) {}

  get watching(): boolean {
    return this.options.stopAtJudgment === true;
  }

  /** The judgment is written: generation should stop. */
  get stopped(): boolean {
    return this.written;
  }

  /** Adds a generated piece; true when generation should stop now. */
  push(piece: string): boolean {
    if (!this.watching || this.written) return this.written;
    this.output += piece;
    if (piece.includes('\n') && judgmentWritten(this.profile, this.wholeOutput?.() ?? this.output)) this.written = true;
    return this.written;
  }

  /** How the audit ended, for its result (undefined when it was not asked to stop at the judgment). */
  outcome(grammar: string | undefined): JudgmentStop | undefined {
    if (!this.watching) return undefined;
    if (grammar !== undefined && grammar === this.profile.judgmentFirstGrammar) return 'judgment_first';
    return this.written ? 'after_judgment' : 'ran_to_end';
  }
}
