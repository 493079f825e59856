// The import's record reader thread: reads, parses and validates the file for the import worker at the other end of
// its channel and sends it the parsed records in batches (record-reader.ts). It never opens the database.
import { workerData, type MessagePort } from 'node:worker_threads';
import { serveRecords } from './record-reader';

serveRecords((workerData as { port: MessagePort }).port);
