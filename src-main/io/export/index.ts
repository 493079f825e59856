import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import {
  EXPORT_FORMATS,
  EXPORT_SELECTIONS,
  type ExportFormat,
  type ExportRequest,
  type ExportSelection,
  type ExportSummary,
} from '@domain/io';
import { caseTaskText, MISSING_IMAGE_TEXT } from '../../engine/profiles/guardtrace-vl/input';
import type { Store } from '../../store/contract';
import { EXTENSION, type ImageMime } from '../import/image-intake';
import { IoError } from '../io-error';
import { AtomicFile } from './atomic-file';
import { analysisContradiction, type AnalysisSource } from '@domain/review-analysis';
import type { Category, RiskLevel } from '@domain/types';
import type { ExportRecord as ExportRow } from '../../store/contract';
import { finalLabel, humanVerdict, imageOf, modelVerdict } from './export-rows';

export { IoError } from '../io-error';

/**
 * What each format exports when `only` is not given: everything for the data formats, reviewed cases for
 * training formats (only a human decision can be a training target).
 */
export const DEFAULT_SELECTION: Record<ExportFormat, ExportSelection> = {
  jsonl: 'all',
  csv: 'all',
  sft: 'reviewed',
  dpo: 'reviewed',
};

export async function exportCases(
  store: Store,
  req: ExportRequest & { systemPrompt?: string },
): Promise<ExportSummary> {
  const started = performance.now();
  if (!EXPORT_FORMATS.includes(req.format))
    throw new IoError('usage', `Unknown export format "${req.format}". Use one of: ${EXPORT_FORMATS.join(', ')}.`);
  const only = req.only ?? DEFAULT_SELECTION[req.format];
  if (!EXPORT_SELECTIONS.includes(only))
    throw new IoError('usage', `Unknown selection "${only}". Use one of: ${EXPORT_SELECTIONS.join(', ')}.`);
  if (!req.out) throw new IoError('usage', 'No output file given (--out FILE).');
  if ((req.format === 'sft' || req.format === 'dpo') && !req.systemPrompt?.trim()) {
    throw new IoError(
      'config',
      `The ${req.format} export needs the GuardTrace system prompt: pass --prompt FILE (qta_pormpt.txt) or choose the model folder first.`,
    );
  }
  const out = path.resolve(req.out);
  const images = new ImageExporter(store, out, req.withImages ?? false);
  const summary: ExportSummary = {
    out,
    format: req.format,
    written: 0,
    skipped: 0,
    skippedReasons: {},
    refused: [],
    images: 0,
    ms: 0,
  };
  const skip = (reason: string) => {
    summary.skipped++;
    summary.skippedReasons[reason] = (summary.skippedReasons[reason] ?? 0) + 1;
  };
  const refuse = (caseId: string, reason: string) => {
    skip(CONTRADICTION);
    if (summary.refused!.length < MAX_REFUSED_LISTED) summary.refused!.push({ caseId, reason });
  };
  const writeRow = ROW_WRITERS[req.format];
  const file = new AtomicFile(out);
  try {
    let firstPage = true;
    await store.exports.forEachPage(only, async (rows) => {
      await images.copyFor(rows);
      const lines: string[] = [];
      const context: RowContext = { images, systemPrompt: req.systemPrompt?.trim() ?? '', skip, refuse, lines };
      for (const row of rows) writeRow(row, context);
      if (req.format === 'csv') {
        file.write(
          stringify(
            lines.map((line) => JSON.parse(line) as unknown[]),
            { header: firstPage, columns: CSV_COLUMNS, eof: true },
          ),
        );
      } else if (lines.length) {
        file.write(lines.join('\n') + '\n');
      }
      summary.written += lines.length;
      firstPage = false;
    });
    if (req.format === 'csv' && firstPage) file.write(stringify([], { header: true, columns: CSV_COLUMNS }));
    file.commit();
  } catch (error) {
    file.abort();
    images.abort();
    throw error;
  }
  summary.images = images.count;
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

interface RowContext {
  images: ImageExporter;
  systemPrompt: string;
  skip: (reason: string) => void;
  /** Skips a training target whose analysis contradicts its judgment, naming the case and why. */
  refuse: (caseId: string, reason: string) => void;
  /** One output line per written case (CSV rows travel as JSON arrays until the page is stringified). */
  lines: string[];
}

const ROW_WRITERS: Record<ExportFormat, (row: ExportRow, context: RowContext) => void> = {
  jsonl: (row, { images, lines }) => lines.push(JSON.stringify(caseRecord(row, images))),
  csv: (row, { images, lines }) => lines.push(JSON.stringify(csvCells(row, images))),
  sft: (row, context) => {
    const target = humanTarget(row);
    if ('skip' in target) return context.skip(target.skip);
    if ('refuse' in target) return context.refuse(row.id, target.refuse);
    const { messages, images } = promptMessages(row, context);
    context.lines.push(
      JSON.stringify({
        id: row.id,
        messages: [...messages, { role: 'assistant', content: target.text }],
        images,
        analysis_source: target.analysisSource,
      }),
    );
  },
  dpo: (row, context) => {
    const target = humanTarget(row);
    if ('skip' in target) return context.skip(target.skip);
    if ('refuse' in target) return context.refuse(row.id, target.refuse);
    if (row.model_status === null) return context.skip('no model verdict');
    // A parse failure is a disagreement too: the human gave a verdict where the model's output had none.
    if (row.model_status === 'ok' && row.model_risk === row.human_risk) return context.skip('human agrees with model');
    const { messages, images } = promptMessages(row, context);
    context.lines.push(
      JSON.stringify({
        id: row.id,
        prompt: messages,
        chosen: [{ role: 'assistant', content: target.text }],
        rejected: [{ role: 'assistant', content: row.model_raw ?? '' }],
        images,
        analysis_source: target.analysisSource,
      }),
    );
  },
};

function caseRecord(row: ExportRow, images: ImageExporter) {
  const image = imageOf(row);
  return {
    id: row.id,
    query: row.query,
    thinking: row.thinking,
    response: row.response,
    image: image && { ...image, path: images.pathFor(image.sha256, image.mime) },
    imageRef: row.image_ref,
    imageMissing: row.image_missing === 1,
    gold: row.gold,
    source: { file: row.source_file, record: row.source_record },
    meta: JSON.parse(row.meta) as unknown,
    model: modelVerdict(row),
    human: humanVerdict(row),
    final: finalLabel(row),
  };
}

export const CSV_COLUMNS = [
  'id',
  'query',
  'thinking',
  'response',
  'image_sha256',
  'image_path',
  'image_ref',
  'image_missing',
  'gold',
  'source_file',
  'source_record',
  'meta',
  'model_status',
  'model_risk',
  'model_category',
  'model_analysis',
  'model_raw',
  'model_parse_error',
  'model_id',
  'model_engine',
  'model_prompt_sha256',
  'model_prompt_hash_ok',
  'model_at',
  'model_profile_id',
  'model_level_probs',
  'model_level_probs_note',
  'model_provenance',
  'human_risk',
  'human_category',
  'human_analysis',
  'human_note',
  'human_reviewer',
  'human_at',
  'human_analysis_source',
  'final_risk',
  'final_category',
  'final_source',
  'final_basis',
] as const;

function csvCells(row: ExportRow, images: ImageExporter): unknown[] {
  const final = finalLabel(row);
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    id: row.id,
    query: row.query,
    thinking: row.thinking,
    response: row.response,
    image_sha256: row.image_sha256,
    image_path: row.image_sha256 && row.image_mime ? images.pathFor(row.image_sha256, row.image_mime) : null,
    image_ref: row.image_ref,
    image_missing: row.image_missing,
    gold: row.gold,
    source_file: row.source_file,
    source_record: row.source_record,
    meta: row.meta,
    model_status: row.model_status,
    model_risk: row.model_risk,
    model_category: row.model_category,
    model_analysis: row.model_analysis,
    model_raw: row.model_raw,
    model_parse_error: row.model_parse_error,
    model_id: row.model_id,
    model_engine: row.model_engine,
    model_prompt_sha256: row.model_prompt_sha256,
    model_prompt_hash_ok: row.model_prompt_hash_ok,
    model_at: row.model_at,
    model_profile_id: row.model_profile_id,
    model_level_probs: row.model_level_probs,
    model_level_probs_note: row.model_level_probs_note,
    model_provenance: row.model_provenance,
    human_risk: row.human_risk,
    human_category: row.human_category,
    human_analysis: row.human_analysis,
    human_note: row.human_note,
    human_reviewer: row.human_reviewer,
    human_at: row.human_at,
    human_analysis_source: row.human_analysis_source,
    final_risk: final?.risk ?? null,
    final_category: final?.category ?? null,
    final_source: final?.source ?? null,
    final_basis: final?.basis ?? null,
  };
  return CSV_COLUMNS.map((column) => neutraliseFormula(cells[column]));
}

/**
 * Spreadsheet apps run a cell that starts with = + - @ (or a tab/CR before one) as a formula; a leading
 * single quote makes them show it as text. Only text cells: numbers like 0.5 are data, not formulas.
 * Spreadsheets also skip leading spaces, line feeds and invisible characters (zero-width space, BOM, soft hyphen)
 * and some accept the full-width signs ＝＋－＠, so those count as well.
 */
const FORMULA_START =
  /^[\s\u00AD\u180E\u200B-\u200F\u2028-\u202F\u2060-\u2064\uFEFF]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r]/;

export function neutraliseFormula(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The auditor output a fine-tune should learn, in the GuardTrace output format, from the human decision. */
export function assistantTarget(analysis: string, risk: number): string {
  return `"Analysis": ${analysis}\n"Judgment": ${risk}`;
}

const CONTRADICTION = 'analysis contradicts judgment';
const MAX_REFUSED_LISTED = 200;

function humanTarget(
  row: ExportRow,
): { text: string; analysisSource: AnalysisSource | 'unknown' } | { skip: string } | { refuse: string } {
  if (row.human_risk === null) return { skip: 'not reviewed' };
  if (row.human_analysis_source === 'withheld') return { skip: "no human analysis (the model's was withheld)" };
  if (!row.human_analysis?.trim()) return { skip: 'no human analysis' };
  const risk = row.human_risk as RiskLevel;
  const analysis = row.human_analysis.trim();
  const model = row.model_status === null ? null : modelVerdict(row);
  const contradiction = analysisContradiction(
    { risk, category: row.human_category as Category | null, analysis },
    row.human_analysis_source,
    model,
  );
  if (contradiction) return { refuse: contradiction };
  return { text: assistantTarget(analysis, risk), analysisSource: row.human_analysis_source ?? 'unknown' };
}

/**
 * System + user turns as the auditor sees a case (image first, then the three task lines), in TRL's
 * vision chat layout: `{type: 'image'}` placeholders in the content, the files in a top-level `images` list.
 */
function promptMessages(row: ExportRow, { images, systemPrompt }: RowContext) {
  const task = caseTaskText({ query: row.query, thinking: row.thinking, response: row.response });
  const imagePaths: string[] = [];
  const user: Array<{ type: 'image' } | { type: 'text'; text: string }> = [];
  if (row.image_sha256 && row.image_mime) {
    imagePaths.push(images.pathFor(row.image_sha256, row.image_mime) ?? images.storePath(row.image_sha256));
    user.push({ type: 'image' });
    user.push({ type: 'text', text: task });
  } else if (row.image_missing === 1) {
    // Same parts as the engine's input (buildGuardTraceMessages): the marker, then the task, as separate parts.
    user.push({ type: 'text', text: MISSING_IMAGE_TEXT });
    user.push({ type: 'text', text: task });
  } else {
    user.push({ type: 'text', text: task });
  }
  return {
    messages: [
      { role: 'system', content: systemPrompt },
      { role: 'user', content: user },
    ],
    images: imagePaths,
  };
}

/**
 * `--with-images`: copies each exported case's image into a folder beside the output (<name>-images/) and
 * refers to it by a path relative to the output's folder. Names are the content hash, so re-exports reuse them.
 */
class ImageExporter {
  count = 0;
  private readonly folderName: string;
  private readonly folder: string;
  private readonly copied = new Set<string>();
  private createdFolder = false;
  private readonly written: string[] = [];

  constructor(
    private readonly store: Store,
    out: string,
    private readonly enabled: boolean,
  ) {
    this.folderName = `${path.basename(out, path.extname(out))}-images`;
    this.folder = path.join(path.dirname(out), this.folderName);
  }

  /** Relative path of the exported copy, or null when images are not being exported. */
  pathFor(sha256: string, mime: string): string | null {
    if (!this.enabled) return null;
    return `${this.folderName}/${sha256}.${EXTENSION[mime as ImageMime] ?? 'bin'}`;
  }

  /** A failed export leaves no images behind: the copies this run wrote go, and the folder if it made it. */
  abort(): void {
    for (const file of this.written) rmSync(file, { force: true });
    if (this.createdFolder) rmSync(this.folder, { recursive: true, force: true });
  }

  /** Where the image lives in the data directory (used by training formats when images are not copied). */
  storePath(sha256: string): string {
    return this.store.images.localPath(sha256);
  }

  async copyFor(rows: ExportRow[]): Promise<void> {
    if (!this.enabled) return;
    for (const row of rows) {
      if (!row.image_sha256 || !row.image_mime || this.copied.has(row.image_sha256)) continue;
      const target = path.join(path.dirname(this.folder), this.pathFor(row.image_sha256, row.image_mime)!);
      let bytes: Buffer;
      try {
        // Re-hashed: an export is a hand-over, and must carry exactly the bytes that were reviewed.
        bytes = (await this.store.images.readChecked(row.image_sha256, 'always')).bytes;
      } catch (error) {
        throw new IoError('io', `Case ${row.id}: ${(error as Error).message}`);
      }
      if (!this.copied.size) {
        this.createdFolder = !existsSync(this.folder);
        mkdirSync(this.folder, { recursive: true });
      }
      if (!existsSync(target)) {
        await writeFile(target, bytes, { mode: 0o600 });
        this.written.push(target);
      }
      this.copied.add(row.image_sha256);
      this.count++;
    }
  }
}
