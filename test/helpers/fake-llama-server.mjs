// Stands in for the llama-server binary in tests of how the sidecar chooses and trusts its address (no model).
// It reads --host like llama-server (a host ending in .sock is a Unix socket) and, by FAKE_LLAMA_MODE:
//   serve        → listens there, announces it as llama-server does ("listening on unix://…"), answers /health 200
//                  and logs every request (method, path, authorization) to FAKE_LLAMA_LOG;
//   late-squatter → starts socket-squatter.mjs on that address (another process takes it between the app's choice
//                  and the bind), then fails to bind as llama-server would, and exits 1.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const host = args[args.indexOf('--host') + 1];
const mode = process.env.FAKE_LLAMA_MODE;
const log = process.env.FAKE_LLAMA_LOG;

if (mode === 'late-squatter') {
  const squatter = spawn(
    process.execPath,
    [new URL('./socket-squatter.mjs', import.meta.url).pathname, host, process.env.SQUATTER_LOG],
    { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  squatter.stdout.once('data', () => {
    appendFileSync(process.env.SQUATTER_PID_FILE, String(squatter.pid));
    process.stderr.write(`couldn't bind HTTP server socket, hostname: ${host}, port: 8080\n`);
    process.exit(1);
  });
} else {
  createServer((req, res) => {
    appendFileSync(log, `${req.method} ${req.url} ${req.headers.authorization ?? '-'}\n`);
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  }).listen(host, () =>
    process.stderr.write(`main: server is listening on unix://${host}\nlistening on unix://${host}\n`),
  );
  process.on('SIGTERM', () => process.exit(0));
}
