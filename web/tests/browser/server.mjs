// Starts a real Calyx for the browser tests: a fresh var/ folder, `calyx migrate`, `calyx demo`, then
// `calyx serve` on a free loopback port — on SQLite, or on a fresh database of the PostgreSQL server the
// test command started (CALYX_TEST_POSTGRES_URL).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

// A database of its own on the test PostgreSQL server (psql ships with the server package).
function postgresDatabase(adminUrl) {
  const name = `calyx_browser_${Math.random().toString(36).slice(2, 10)}`;
  execFileSync('psql', [adminUrl, '-q', '-c', `CREATE DATABASE ${name}`], { stdio: 'inherit' });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => execFileSync('psql', [adminUrl, '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

export async function startCalyx(buildDir, backend) {
  const build = resolve(buildDir);
  const binary = join(build, 'host/calyx');
  const varDir = mkdtempSync(join(tmpdir(), 'calyx-browser-'));
  const port = await freePort();
  let database = null;
  const env = {
    ...process.env,
    CALYX_ENV: 'development',
    CALYX_VAR_DIR: varDir,
    CALYX_MODULES_DIR: join(build, 'modules'),
    CALYX_LISTEN: `127.0.0.1:${port}`,
    CALYX_BASE_DOMAIN: 'localhost',
    CALYX_LOG_LEVEL: 'warn',
    CALYX_SECRET_KEY: 'browser-test-secret-key-that-is-long-enough-0123456789',
  };
  if (backend === 'postgresql') {
    database = postgresDatabase(process.env.CALYX_TEST_POSTGRES_URL);
    env.CALYX_DATABASE_URL = database.url;
  }  // SQLite: the default, var/calyx.db
  for (const command of [['migrate'], ['demo']]) {
    execFileSync(binary, command, { env, cwd: varDir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const server = spawn(binary, ['serve'], { env, cwd: varDir, stdio: ['ignore', 'ignore', 'inherit'] });
  const origin = (tenant) => `http://${tenant}.localhost:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null) throw new Error(`calyx serve exited with ${server.exitCode}`);
    if (Date.now() > deadline) throw new Error('calyx serve did not answer /healthz within 20 s');
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    port,
    origin,
    env,
    binary,
    varDir,
    // Runs a CLI command against the same database (e.g. to create fixtures).
    cli(...args) {
      return execFileSync(binary, args, { env, cwd: varDir, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
    },
    async stop() {
      server.kill('SIGTERM');
      await new Promise((done) => (server.exitCode !== null ? done() : server.once('exit', done)));
      if (database) database.drop();
      rmSync(varDir, { recursive: true, force: true });
    },
  };
}
