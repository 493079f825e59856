// Caps on what parsing an untrusted file may cost. Bytes alone are not enough: 300 MB of `{}` lines is small on
// disk and in a zip, yet parsed whole it is gigabytes of objects. Every reader below streams its input, keeps at
// most one record's text at a time, and stops at these counts (docs/security.md, "Parsing untrusted files").

const MiB = 1024 * 1024;

/**
 * One record of an import file (a JSON array element, a JSONL line, a CSV row). An image may travel inline as a
 * base64 data: URI of up to 64 MiB of bytes (about 86 MiB of text), so the cap sits above that.
 */
export const MAX_IMPORT_RECORD_BYTES = 96 * MiB;
/** Records in one import file. 5 million is far above any dataset the app is meant for; split larger files. */
export const MAX_IMPORT_RECORDS = 5_000_000;

/** One line of a pack's cases.jsonl or verdicts.jsonl: a case's three texts and its metadata. */
export const MAX_PACK_LINE_BYTES = 16 * MiB;
/** A pack's manifest.json: case ids, digests and entry hashes for at most MAX_PACK_CASES cases. */
export const MAX_MANIFEST_BYTES = 64 * MiB;
/** Cases in one pack (also the cap on lines of cases.jsonl and verdicts.jsonl). */
export const MAX_PACK_CASES = 200_000;
/**
 * Largest uncompressed/compressed ratio an entry of a pack may have. Case text deflates 3–10x; 300 MB of `{}`
 * lines deflates about 1000x. Only entries above ZIP_RATIO_FLOOR_BYTES are held to it (tiny entries vary).
 */
export const MAX_ZIP_RATIO = 100;
export const ZIP_RATIO_FLOOR_BYTES = 1 * MiB;

/** One decision (or a header field) of a decisions file. */
export const MAX_DECISION_RECORD_BYTES = 4 * MiB;
/** Decisions in one decisions file. */
export const MAX_DECISIONS = 1_000_000;

/** Heap for a thread that parses an untrusted file: past it the thread dies, never the process. */
export const PARSER_THREAD_LIMITS = {
  maxOldGenerationSizeMb: 1536,
  maxYoungGenerationSizeMb: 64,
  stackSizeMb: 4,
} as const;

export const mib = (bytes: number) => `${Math.round((bytes / MiB) * 10) / 10} MiB`;
