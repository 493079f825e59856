// The import's record reader thread: reads, parses and validates the file for the import worker that started it
// and sends the parsed records in batches (record-reader.ts). It never opens the database.
import { parentPort } from 'node:worker_threads';
import { serveRecords } from './record-reader';

serveRecords(parentPort!);
