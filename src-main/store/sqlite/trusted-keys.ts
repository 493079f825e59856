// Teammates' public keys (migration 0016): enrolled by `guardtrace team trust`, read when a pack or decisions file
// arrives. Records only: checking signatures is io/identity's part.
import type { TrustedKey } from '@domain/team';
import { StoreError } from '../errors';
import type { ActivityLog } from './activity-log';
import { nowIso } from './clock';
import type { Db } from './open-database';
import { writeTransaction } from './write-transaction';

interface KeyRow {
  public_key: string;
  fingerprint: string;
  name: string;
  enrolled_at: string;
  enrolled_by: string;
}

const toKey = (row: KeyRow): TrustedKey => ({
  name: row.name,
  publicKey: row.public_key,
  fingerprint: row.fingerprint,
  enrolledAt: row.enrolled_at,
  enrolledBy: row.enrolled_by,
});

export class TrustedKeyRepository {
  constructor(
    private readonly db: Db,
    private readonly log: ActivityLog,
  ) {}

  list(): TrustedKey[] {
    return this.db.prepare<[], KeyRow>('SELECT * FROM trusted_keys ORDER BY name COLLATE NOCASE').all().map(toKey);
  }

  /**
   * Enrols `key` under its name, logged. The same key under the same name again changes nothing (`added` false); a
   * key enrolled under another name, or a name that holds another key, is refused ('conflict'): a new key for a
   * name is a new person or a lost key, which must not replace the old one silently.
   */
  trust(key: Omit<TrustedKey, 'enrolledAt' | 'enrolledBy'>, actor: string): { key: TrustedKey; added: boolean } {
    return writeTransaction(this.db, () => {
      const byKey = this.db
        .prepare<[string], KeyRow>('SELECT * FROM trusted_keys WHERE public_key = ?')
        .get(key.publicKey);
      if (byKey) {
        if (byKey.name === key.name) return { key: toKey(byKey), added: false };
        throw new StoreError(
          'conflict',
          `The key ${key.fingerprint} is enrolled already, as "${byKey.name}"; one key stands for one person.`,
        );
      }
      const byName = this.db
        .prepare<[string], KeyRow>('SELECT * FROM trusted_keys WHERE name = ? COLLATE NOCASE')
        .get(key.name);
      if (byName)
        throw new StoreError(
          'conflict',
          `"${byName.name}" is enrolled already with another key (${byName.fingerprint}); this one is ${key.fingerprint}. ` +
            'Enrol it under another name, or check with the person which key is theirs.',
        );
      const row: KeyRow = {
        public_key: key.publicKey,
        fingerprint: key.fingerprint,
        name: key.name,
        enrolled_at: nowIso(),
        enrolled_by: actor,
      };
      this.db
        .prepare(
          `INSERT INTO trusted_keys (public_key, fingerprint, name, enrolled_at, enrolled_by)
           VALUES (@public_key, @fingerprint, @name, @enrolled_at, @enrolled_by)`,
        )
        .run(row);
      this.log.append({
        actor,
        action: 'team.trust_key',
        after: { name: key.name, fingerprint: key.fingerprint, publicKey: key.publicKey },
      });
      return { key: toKey(row), added: true };
    });
  }
}
