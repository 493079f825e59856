// Queue filter for team review: the cases of one assignment pack, or the cases in dispute.
import { useEffect, useState } from 'react';
import type { QueueFilter } from '@domain/cases';
import type { PackInfo } from '@domain/team';
import { invoke, useApiEvent } from '../api';

const DISPUTED = '__disputed__';

export function TeamFilter({
  filter,
  onChange,
}: {
  filter: QueueFilter;
  onChange: (patch: Pick<QueueFilter, 'pack' | 'disputed'>) => void;
}) {
  const [packs, setPacks] = useState<PackInfo[]>([]);
  const load = () => void invoke('packs.list', undefined).then(setPacks, () => setPacks([]));
  useEffect(load, []);
  useApiEvent('cases.changed', (change) => change.caseIds === 'all' && load());
  const value = filter.disputed ? DISPUTED : (filter.pack ?? '');
  return (
    <label className="flex flex-col gap-0.5">
      <span className="label">Team</span>
      <select
        className="field py-0.5"
        value={value}
        data-testid="filter-team"
        onChange={(e) => {
          const next = e.target.value;
          onChange({
            pack: next && next !== DISPUTED ? next : undefined,
            disputed: next === DISPUTED ? true : undefined,
          });
        }}
      >
        <option value="">Any</option>
        <option value={DISPUTED}>In dispute</option>
        {packs.map((pack) => (
          <option key={pack.packId} value={pack.packId}>
            Pack {pack.packId.slice(0, 8)} · {pack.reviewer} ({pack.cases})
          </option>
        ))}
      </select>
    </label>
  );
}
