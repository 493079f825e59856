// `guardtrace identity show|export` and `guardtrace team trust|keys` (issue 19, item 1): the workspace's signing key
// and the teammates' keys it trusts, all in the local data folder (--data-dir), even where a team database is
// configured. Only functions are taken from ./main (which imports this file), so the import cycle is safe.
import type { TrustedKey } from '@domain/team';
import { EXIT_OK, UsageError, onlyPositional, stringOption, type Command, type RunContext } from './main';

async function runIdentity(context: RunContext): Promise<number> {
  const [action, ...rest] = context.positionals;
  const { io } = context;
  if (action !== 'show' && action !== 'export')
    throw new UsageError(
      action ? `unknown identity action "${action}": use show or export` : 'missing action: show or export',
    );
  if (rest.length) throw new UsageError(`identity ${action} takes no arguments (got ${rest.join(' ')})`);
  const { identityInfo, exportIdentity } = await import('../api/identity');
  if (action === 'show')
    return context.withCore(
      async (_handlers, core) => {
        const info = await identityInfo(core);
        if (context.json) io.stdout(`${JSON.stringify(info)}\n`);
        else
          io.stdout(
            `name         ${info.name}\nfingerprint  ${info.fingerprint}\npublic key   ${info.publicKey} (${info.algorithm})\n`,
          );
        return EXIT_OK;
      },
      { local: true },
    );
  const out = stringOption(context.values, 'out');
  if (!out) throw new UsageError('--out FILE is required');
  return context.withCore(
    async (_handlers, core) => {
      const exported = await exportIdentity(core, out);
      if (context.json) io.stdout(`${JSON.stringify(exported)}\n`);
      else
        io.stdout(
          `Wrote the public key of ${exported.name} (fingerprint ${exported.fingerprint}) to ${exported.out}. ` +
            'Hand it to your teammates; they compare the fingerprint with you before enrolling it.\n',
        );
      return EXIT_OK;
    },
    { local: true },
  );
}

const keyLine = (key: TrustedKey) => `${key.name}  ${key.fingerprint}  enrolled ${key.enrolledAt} by ${key.enrolledBy}`;

/** `guardtrace team trust FILE --as NAME`: local data folder, never the team database. */
export async function runTeamTrust(context: RunContext, rest: string[]): Promise<number> {
  rejectStore(context, 'trust');
  const file = onlyPositional({ ...context, positionals: rest }, 'public key FILE to trust');
  const name = stringOption(context.values, 'as')?.trim();
  if (!name) throw new UsageError('--as NAME is required: the name decisions signed with this key are stored under');
  const { trustKey } = await import('../api/identity');
  return context.withCore(
    async (_handlers, core) => {
      const result = await trustKey(core, file, name);
      if (context.json) io(context, JSON.stringify({ ...result.key, added: result.added }));
      else
        io(
          context,
          result.added
            ? `Trusted ${result.key.name}: fingerprint ${result.key.fingerprint}. Check it matches what ${result.key.name} sees in "guardtrace identity show".`
            : `${result.key.name} (${result.key.fingerprint}) was trusted already; nothing changed.`,
        );
      return EXIT_OK;
    },
    { local: true },
  );
}

/** `guardtrace team keys`: who is trusted here. */
export async function runTeamKeys(context: RunContext, rest: string[]): Promise<number> {
  rejectStore(context, 'keys');
  if (rest.length) throw new UsageError(`team keys takes no arguments (got ${rest.join(' ')})`);
  const { trustedKeys } = await import('../api/identity');
  return context.withCore(
    async (_handlers, core) => {
      const keys = await trustedKeys(core);
      if (context.json) io(context, JSON.stringify(keys));
      else if (!keys.length) io(context, 'No key is trusted yet: enrol one with guardtrace team trust FILE --as NAME.');
      else io(context, keys.map(keyLine).join('\n'));
      return EXIT_OK;
    },
    { local: true },
  );
}

function io(context: RunContext, line: string): void {
  context.io.stdout(`${line}\n`);
}

function rejectStore(context: RunContext, action: string): void {
  if (stringOption(context.values, 'store') !== undefined)
    throw new UsageError(
      `team ${action} works on this computer's data folder (--data-dir), not on a team database: leave out --store.`,
    );
}

export const IDENTITY_COMMANDS: Record<string, Command> = {
  identity: {
    summary: "this workspace's signing key: show it, or export the public key for teammates to trust",
    usage: 'guardtrace identity show [--json] | guardtrace identity export --out FILE',
    details: `  show             name (Settings → Reviewer), fingerprint and public key of this workspace's Ed25519 key
                   (made on first use; the private key stays in <data-dir>/keys, readable by this user only)
  export           write the public key file teammates enrol with "guardtrace team trust FILE --as NAME"
  --out FILE       the public key file to write`,
    options: { out: { type: 'string', short: 'o' } },
    run: runIdentity,
  },
};
