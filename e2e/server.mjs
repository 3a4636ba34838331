// Shared helpers for the end-to-end tests: start a fresh demo platform per test file, launch headless
// Chromium, log in through the real form, and compute TOTP codes like an authenticator app would.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const HERE = import.meta.dirname;

/** Password of every demo account (passed to `serve --demo` through IPBRIDGE_DEMO_PASSWORD). */
export const DEMO_PASSWORD = 'Demo#2026pass';

/** Screenshots land here (ignored by git). */
export const ARTIFACTS = path.join(HERE, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

/** The platform binary, which must be given: cargo's target dir is not at a fixed place. */
function platformBinary() {
  const bin = process.env.IPBRIDGE_BIN;
  if (!bin) {
    throw new Error(
      'IPBRIDGE_BIN is not set. Build the platform (cargo build --bin ipbridge) and run e.g. ' +
        '`IPBRIDGE_BIN=/work/target/debug/ipbridge npm test`.',
    );
  }
  const abs = path.resolve(bin);
  try {
    fs.accessSync(abs, fs.constants.X_OK);
  } catch {
    throw new Error(`IPBRIDGE_BIN=${bin} does not name an executable file (resolved to ${abs}).`);
  }
  return abs;
}

/** A free loopback port: bind to port 0 and let the kernel choose. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(base, child, output, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`ipbridge exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${output()}`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.text()).trim();
      if (res.ok && body === 'ok') return;
      last = `HTTP ${res.status} ${body.slice(0, 200)}`;
    } catch (e) {
      last = String(e?.cause?.code ?? e?.message ?? e);
    }
    await sleep(100);
  }
  throw new Error(`ipbridge did not answer ${base}/healthz with "ok" within ${timeoutMs} ms (last: ${last}):\n${output()}`);
}

/**
 * Starts `ipbridge serve --demo` on a fresh data directory and a free port before the file's tests, and
 * stops it after them. Returns an object whose `base` (e.g. http://127.0.0.1:PORT) is set once started.
 */
export function usePlatform() {
  // Checked when the test file loads, so a missing binary fails the file at once with this message.
  const bin = platformBinary();
  const server = { base: '', dir: '', child: null };
  let log = '';
  let starting = Promise.resolve();

  before(async () => {
    starting = (async () => {
      const port = await freePort();
      server.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipbridge-e2e-'));
      server.base = `http://127.0.0.1:${port}`;
      const child = spawn(bin, ['serve', '--demo', '--addr', `127.0.0.1:${port}`, '--data-dir', server.dir], {
        // From the repository root, as the README runs it: the demo loads ../shared/data when it is there.
        cwd: path.resolve(HERE, '..'),
        env: { ...process.env, IPBRIDGE_DEMO_PASSWORD: DEMO_PASSWORD, IPBRIDGE_LOG: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.child = child;
      const keep = (chunk) => {
        log += chunk.toString();
        if (log.length > 20_000) log = log.slice(-20_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      await waitHealthy(server.base, child, () => log);
    })();
    await starting;
  });

  after(async () => {
    // node:test may run after-hooks while a failed file's before-hooks are still running: wait for them.
    await starting.catch(() => {});
    const child = server.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer;
      const done = await Promise.race([
        exited.then(() => true),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(false), 10_000);
        }),
      ]);
      clearTimeout(timer);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (server.dir) fs.rmSync(server.dir, { recursive: true, force: true });
  });

  return server;
}

/** Launches the system Chromium headless, closed after the file's tests. Returns a holder with `browser`. */
export function useBrowser() {
  const holder = { browser: null };
  let launching = Promise.resolve(null);
  before(async () => {
    launching = chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    holder.browser = await launching;
  });
  after(async () => {
    // As above: the launch may still be under way when a failed file is torn down.
    const browser = await launching.catch(() => null);
    await browser?.close();
  });
  return holder;
}

/** Saves a full-page screenshot to artifacts/NAME.png and checks it is a real picture. */
export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const buf = fs.readFileSync(file);
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  // A blank or failed render of these text-heavy pages compresses to a few KiB; a real one is larger.
  assert.ok(buf.length > 10_000, `${file} is suspiciously small (${buf.length} bytes)`);
  return file;
}

/** The text of the flash message shown at the top of the page (role=status or role=alert). */
export async function flashText(page) {
  return (await page.locator('main .flash').first().innerText()).trim();
}

/** Fills and submits the login form; returns after the resulting navigation. */
export async function submitLogin(page, base, username, password = DEMO_PASSWORD) {
  if (!page.url().startsWith(`${base}/login`)) await page.goto(`${base}/login`);
  await page.locator('form[action="/login"] input[name="username"]').fill(username);
  await page.locator('form[action="/login"] input[name="password"]').fill(password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('form[action="/login"] button[type="submit"]').click(),
  ]);
}

/** Clicks the header's 退出 button (a POST form) and waits for the login page. */
export async function logout(page) {
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/login'),
    page.locator('header.site .who form[action="/logout"] button', { hasText: '退出' }).click(),
  ]);
}

// ---------------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA-1, 30 s step, 6 digits) computed like an authenticator app.

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 30-second step a time (ms since the epoch) falls in. */
export const totpStep = (ms = Date.now()) => Math.floor(ms / 1000 / 30);

/** The 6-digit code of a base32 secret for one time step. */
export function totpCode(secret, step = totpStep()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(bin).padStart(6, '0');
}

/** Milliseconds left in the current step. */
export const msLeftInStep = (ms = Date.now()) => 30_000 - (ms % 30_000);
