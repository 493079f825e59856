// Another process holding the sidecar's would-be address: answers 200 to everything, as an impostor would, and
// appends every request it receives (method, path, authorization header) to the file given as its second argument.
// Usage: node socket-squatter.mjs SOCKET_PATH REQUEST_LOG
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [socketPath, requestLog] = process.argv.slice(2);
writeFileSync(requestLog, '');
createServer((req, res) => {
  appendFileSync(requestLog, `${req.method} ${req.url} ${req.headers.authorization ?? '-'}\n`);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
}).listen(socketPath, () => process.stdout.write('listening\n'));
