import { EXIT_OK, UsageError, type Command, type RunContext } from './main';

// Quality and the first run on the command line (docs/quality.md): the sample workspace. Same handler map as the
// app. Only functions are taken from ./main (which imports this file), so the import cycle is safe.

async function runDemo(context: RunContext): Promise<number> {
  if (context.positionals.length) throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
  return context.withCore(async (handlers) => {
    const summary = await handlers['demo.create']();
    if (context.json) context.io.stdout(`${JSON.stringify(summary)}\n`);
    else
      context.io.stdout(
        summary.imported === 0
          ? `The sample workspace is already here (${summary.cases} cases); nothing added.\n`
          : `Added the sample workspace: ${summary.imported} synthetic case(s), ${summary.images} with a picture, ` +
              `${summary.demoVerdicts} demo verdict(s) written by hand (not a model). Open the app on this folder, or try ` +
              '`guardtrace stats` and `guardtrace export --format jsonl --out sample.jsonl`.\n',
      );
    return EXIT_OK;
  });
}

export const QUALITY_COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'add the sample workspace: ~30 synthetic cases with pictures and demo verdicts (no model needed)',
    usage: 'guardtrace demo [--data-dir DIR]',
    details: `Writes synthetic cases made for GuardTrace (every category, all three levels, long and Chinese traces,
pictures drawn on the fly, one abstract stand-in for a graphic image) into the data folder, each with a demo verdict
written by hand. Demo verdicts name engine "demo" and say so in their provenance; sft/dpo exports leave sample cases
out, jsonl/csv mark them (meta.demo). Running it again adds nothing.`,
    options: {},
    run: runDemo,
  },
};
