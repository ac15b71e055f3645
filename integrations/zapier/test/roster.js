'use strict';

// Starts a real Roster server on loopback for the app's tests: the binary
// from ROSTER_BIN, or one built from this repository with `go build`.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..', '..');

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

const binary = () => {
  if (process.env.ROSTER_BIN) return process.env.ROSTER_BIN;
  const out = path.join(os.tmpdir(), `roster-zapier-test-${process.pid}`);
  execFileSync('go', ['build', '-o', out, './cmd/roster'], { cwd: repoRoot, stdio: 'inherit' });
  return out;
};

async function startRoster() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-zapier-'));
  const port = await freePort();
  const child = spawn(binary(), ['serve', '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    env: { ...process.env, ROSTER_DATA_DIR: dataDir, ROSTER_DATABASE_URL: '', ROSTER_RATE_LIMIT: '0', ROSTER_ALLOW_PRIVATE_TARGETS: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const key = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no admin key printed:\n${stderr}`)), 60000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /rk_[A-Za-z0-9]{44}/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`roster exited with ${code}:\n${stderr}`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) break;
    } catch (e) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    baseUrl,
    key,
    stop: () => {
      child.kill('SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// A loopback receiver standing in for hooks.zapier.com.
function startReceiver() {
  const http = require('node:http');
  const received = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body || 'null') });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"success"}');
      waiters.splice(0).forEach((w) => w());
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/hooks/catch/123/abc`,
        received,
        waitFor: async (pred, ms = 15000) => {
          const deadline = Date.now() + ms;
          for (;;) {
            const hit = received.find(pred);
            if (hit) return hit;
            if (Date.now() > deadline) throw new Error(`no matching delivery; got ${JSON.stringify(received)}`);
            await new Promise((r) => {
              waiters.push(r);
              setTimeout(r, 100);
            });
          }
        },
        close: () => server.close(),
      });
    });
  });
}

module.exports = { startRoster, startReceiver };
