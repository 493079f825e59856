// Loaded with `node --import` in a child process whose memory a test bounds: prints the process's peak resident
// set (all its threads together) on stderr as it exits, as `max-rss-kib=N`. A process killed by a signal (an
// abort when the heap is exhausted) prints nothing, and the test fails on the signal instead.
import { writeSync } from 'node:fs';

process.on('exit', () => writeSync(2, `\nmax-rss-kib=${process.resourceUsage().maxRSS}\n`));
