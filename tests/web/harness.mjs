// What every browser test needs: a real `facegate serve` on a fresh data directory (embedded
// SQLite, real models), API calls for the set-up a test does not click through, Debian's
// Chromium driven by puppeteer-core, axe-core on each page, and screenshots (docs/ui.md).
// Environment (CTest sets it, tests/web/CMakeLists.txt): FACEGATE_CLI, FACEGATE_FACEDATA,
// FACEGATE_WEB (the built pages), FACEGATE_SHOTS (where screenshots go), FACEGATE_CHROMIUM.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', '..');
const require = createRequire(join(source, 'web', 'package.json'));
const puppeteer = require('puppeteer-core');

export const env = {
  cli: process.env.FACEGATE_CLI || join(source, 'build', 'facegate'),
  facedata: process.env.FACEGATE_FACEDATA || join(source, '..', 'shared', 'facedata'),
  web: process.env.FACEGATE_WEB || join(source, 'build', 'web'),
  shots: process.env.FACEGATE_SHOTS || join(source, 'build', 'ui-shots'),
  chromium: process.env.FACEGATE_CHROMIUM || '/usr/bin/chromium',
  source,
};

// A facegate server on an ephemeral port with its own data directory; stop() removes it.
export async function startServer({ args = [] } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'fg-web-'));
  const child = spawn(env.cli, ['serve', '--listen', '127.0.0.1:0', '--web', env.web, '--sweep-every', '3600',
                                '--rate', '0', ...args],
                      { env: { ...process.env, FACEGATE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const started = await new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`facegate serve did not start in 60 s:\n${out}`)), 60000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`facegate serve exited ${code}:\n${out}`)); });
    const poll = setInterval(() => {
      const m = out.match(/serving (http:\/\/[^/]+)\/v1\//);
      const k = out.match(/(fgk_[A-Za-z0-9_-]+)/);
      if (m && k) { clearInterval(poll); clearTimeout(timer); resolveStart({ url: m[1], adminKey: k[1] }); }
    }, 50);
  });
  child.removeAllListeners('exit');
  return {
    ...started,
    home,
    log: () => out,
    // Runs the CLI on this server's data directory (e.g. `apikey create --role device ...`).
    cli: (...cliArgs) => runCli(home, cliArgs),
    api: (key) => apiCaller(started.url, key),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function runCli(home, args) {
  return new Promise((resolveRun, reject) => {
    const c = spawn(env.cli, args, { env: { ...process.env, FACEGATE_HOME: home } });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('exit', (code) => (code === 0 ? resolveRun(stdout) :
                            reject(new Error(`facegate ${args.join(' ')} exited ${code}: ${stderr}${stdout}`))));
  });
}

// JSON calls for test set-up: api(key).post('/v1/purposes', {...}) -> {status, body}.
function apiCaller(url, key) {
  const call = async (method, path, body, headers = {}) => {
    const init = { method, headers: { Authorization: `Bearer ${key}`, ...headers } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    } else if (method === 'POST') init.body = '';
    const res = await fetch(url + path, init);
    const text = await res.text();
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed };
  };
  return { get: (p) => call('GET', p), post: (p, b, h) => call('POST', p, b, h) };
}

// Debian's Chromium, headless. `args` adds flags (e.g. the fake camera's).
export async function launchBrowser(args = []) {
  return puppeteer.launch({
    executablePath: env.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=en-US', ...args],
  });
}

// axe-core's violations of impact serious or critical on the page as it is now.
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export async function seriousViolations(page) {
  // Runtime.evaluate is not subject to the page's Content-Security-Policy.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Writes <FACEGATE_SHOTS>/<name>.png (docs/ui.md links the committed copies in docs/ui/).
export async function shot(page, name) {
  mkdirSync(env.shots, { recursive: true });
  await page.screenshot({ path: join(env.shots, `${name}.png`), fullPage: true });
}

export function facedataPath(...parts) {
  return join(env.facedata, ...parts);
}
