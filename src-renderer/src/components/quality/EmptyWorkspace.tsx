// What an empty workspace says: the three ways to get going, each one key away (the keys are the menu's, from the
// shortcut table), and the sample workspace offered first, because it needs nothing on the machine.
import type { MenuCommand } from '@domain/shortcuts';
import { keyOf } from '../../lib/keys';

const STEPS: Array<{ command: MenuCommand; key: string; title: string; text: string }> = [
  {
    command: 'sample',
    key: keyOf('app.sample'),
    title: 'Open the sample workspace',
    text: 'About 30 synthetic cases with pictures and demo verdicts written by hand: try the queue, the review, metrics and export now, no model needed.',
  },
  {
    command: 'import',
    key: keyOf('app.import'),
    title: 'Import cases',
    text: 'A GuardTrace dataset (.json), JSONL or CSV file; you can also drop it on the window.',
  },
  {
    command: 'modelDir',
    key: keyOf('app.modelDir'),
    title: 'Choose the model folder',
    text: 'The folder with the GuardTrace-VL GGUF, its mmproj and qta_pormpt.txt, to audit cases.',
  },
];

export function EmptyWorkspace({ onCommand }: { onCommand: (command: MenuCommand) => void }) {
  return (
    <section
      className="mx-auto flex max-w-xl flex-col gap-3 p-6"
      aria-labelledby="empty-workspace-title"
      data-testid="empty-workspace"
    >
      <h2 id="empty-workspace-title" className="text-[16px] font-semibold">
        No cases yet
      </h2>
      <p className="text-zinc-700 dark:text-zinc-300">Pick one of these to start:</p>
      <ul className="flex flex-col gap-2">
        {STEPS.map((step) => (
          <li key={step.command}>
            <button
              type="button"
              className="flex w-full flex-col items-start gap-0.5 rounded border border-zinc-300 bg-white p-3 text-left hover:border-sky-600 dark:border-zinc-700 dark:bg-zinc-900"
              onClick={() => onCommand(step.command)}
              data-testid={`empty-${step.command}`}
            >
              <span className="flex w-full items-center gap-2 font-medium">
                {step.title}
                <kbd className="ml-auto">{step.key}</kbd>
              </span>
              <span className="text-[12.5px] text-zinc-700 dark:text-zinc-300">{step.text}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
