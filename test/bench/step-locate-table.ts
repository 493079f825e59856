// The figures of one bench:locate search and their markdown table, shared by step-locate.bench.ts and the
// bench:engine runner (engine-all.ts), which cannot import the bench itself without running it.

/** One search's figures, as engine-all.ts reads them back. */
export interface LocateBenchRow {
  engine: 'sidecar' | 'node-llama-cpp' | 'llama.node';
  model: '3b' | 'tiny';
  prefixReuse: boolean;
  steps: number;
  probes: number;
  maxProbes: number;
  promptTokens: number;
  evaluated: number;
  generated: number;
  wallS: number;
  result: string;
}

export function locateTable(rows: readonly LocateBenchRow[]): string {
  return [
    '| engine | model | prefix reuse | steps | probes | prompt tokens | evaluated | generated | wall s | result |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${r.model} | ${r.prefixReuse ? 'on' : 'off'} | ${r.steps} | ${r.probes} (max ${r.maxProbes}) | ` +
        `${r.promptTokens} | ${r.evaluated} | ${r.generated} | ${r.wallS.toFixed(1)} | ${r.result} |`,
    ),
  ].join('\n');
}
