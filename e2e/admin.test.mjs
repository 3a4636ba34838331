// The audit administrator: forced TOTP enrolment at first login, the audit log and its xlsx export,
// and the one-time code on every later login.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS,
  flashText,
  logout,
  screenshot,
  submitLogin,
  totpCode,
  totpStep,
  useBrowser,
  usePlatform,
} from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

const pathname = (page) => new URL(page.url()).pathname;

async function submitCode(page, formAction, code) {
  const form = page.locator(`form[action="${formAction}"]`).filter({ has: page.locator('input[name="code"]') });
  await form.locator('input[name="code"]').fill(code);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').click()]);
}

describe('audit administrator', () => {
  test('TOTP enrolment, audit log, xlsx export, code at the next login', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    try {
      // --- First login: the password is right, but the account has no second factor yet.
      await submitLogin(page, server.base, 'audit_admin');
      // A pending step comes first: straight to the enrolment page, and nothing else opens meanwhile.
      assert.equal(pathname(page), '/account/totp');
      assert.match(await page.locator('header.site .who').innerText(), /请完成登录步骤/);
      await page.goto(`${server.base}/`);
      assert.match(await page.locator('header.site .who').innerText(), /请完成登录步骤/);

      // Any protected page leads to the enrolment step.
      await page.goto(`${server.base}/admin/audit`);
      assert.equal(pathname(page), '/account/totp');
      assert.match(await page.locator('main h1').innerText(), /绑定动态口令/);
      assert.match(await page.locator('main').innerText(), /须绑定动态口令/);
      assert.ok(await page.locator('.qr svg').isVisible(), 'no QR code');
      const secret = (await page.locator('code.secret').innerText()).trim();
      assert.match(secret, /^[A-Z2-7]{16,}=*$/, `secret is not base32: ${secret}`);
      await screenshot(page, 'admin-totp-enrol');

      // A wrong code is refused and the same secret is offered again.
      const enrolStep = totpStep();
      const right = totpCode(secret, enrolStep);
      const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
      await submitCode(page, '/account/totp', wrong);
      assert.equal(pathname(page), '/account/totp');
      assert.ok(await page.locator('.field-error').isVisible(), 'no error for a wrong enrolment code');
      assert.equal((await page.locator('code.secret').innerText()).trim(), secret);

      await submitCode(page, '/account/totp', right);
      assert.equal(pathname(page), '/account');
      assert.match(await flashText(page), /动态口令已绑定/);
      assert.match(await page.locator('header.site .who').innerText(), /演示审计管理员/);

      // --- The audit log shows the logins, and filters by action.
      const res = await page.goto(`${server.base}/admin/audit`);
      assert.equal(res.status(), 200);
      assert.match(await page.title(), /审计日志/);
      const rows = page.locator('table.audit tbody tr');
      assert.ok((await rows.count()) > 1, 'audit log is empty');
      const actions = await page.locator('table.audit tbody tr td:nth-child(5)').allInnerTexts();
      assert.ok(actions.some((a) => a.trim() === '登录'), `no 登录 record among: ${actions.slice(0, 20).join(', ')}`);
      await screenshot(page, 'admin-audit');

      await page.locator('form.filters select[name="action"]').selectOption('auth.login');
      await Promise.all([page.waitForNavigation(), page.locator('form.filters button[type="submit"]').click()]);
      assert.equal(new URL(page.url()).searchParams.get('action'), 'auth.login');
      const filtered = (await page.locator('table.audit tbody tr td:nth-child(5)').allInnerTexts()).map((a) => a.trim());
      assert.ok(filtered.length > 0, 'no login records after filtering');
      assert.ok(filtered.every((a) => a === '登录'), `filter let other actions through: ${filtered.join(', ')}`);
      const actors = (await page.locator('table.audit tbody tr td:nth-child(3)').allInnerTexts()).join(' ');
      assert.match(actors, /audit_admin|审计管理员/);

      // --- Export: the link carries the filters and downloads an xlsx (a zip: starts with "PK").
      const link = page.locator('a', { hasText: '导出 Excel' });
      const href = await link.getAttribute('href');
      assert.match(href, /^\/admin\/audit\/export\?/);
      assert.match(href, /action=auth\.login/);
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      assert.match(download.suggestedFilename(), /\.xlsx$/);
      const saved = path.join(ARTIFACTS, 'audit-export.xlsx');
      await download.saveAs(saved);
      const bytes = fs.readFileSync(saved);
      assert.ok(bytes.length > 1000, `export is only ${bytes.length} bytes`);
      assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');

      // --- Later logins ask for the code.
      await logout(page);
      await submitLogin(page, server.base, 'audit_admin');
      assert.equal(pathname(page), '/login/totp');
      assert.match(await flashText(page), /请输入动态口令/);
      // The half-logged-in session opens nothing yet.
      await page.goto(`${server.base}/admin/audit`);
      assert.equal(pathname(page), '/login/totp');
      await screenshot(page, 'admin-login-totp');

      // The code used for the enrolment is spent: it is refused even while still current.
      await submitCode(page, '/login/totp', right);
      assert.equal(pathname(page), '/login/totp');
      assert.match(await page.locator('main .flash.error').innerText(), /动态口令错误或已使用/);

      // A fresh code: the next step's (the server allows one step of clock skew, as for a phone whose
      // clock runs a little fast), so the test need not wait up to 30 s for the next step.
      const next = await page.locator('form[action="/login/totp"] input[name="next"]').inputValue();
      const nextStep = Math.max(totpStep(), enrolStep + 1);
      await submitCode(page, '/login/totp', totpCode(secret, nextStep));
      assert.notEqual(pathname(page), '/login/totp', `code refused: ${await page.locator('main').innerText()}`);
      assert.equal(pathname(page), next);
      assert.match(await flashText(page), /^登录成功。上次登录时间：/);
      assert.match(await page.locator('header.site .who').innerText(), /演示审计管理员/);
      // Now the audit log opens, and it recorded the refused code.
      await page.goto(`${server.base}/admin/audit`);
      assert.match(await page.title(), /审计日志/);
      const denied = page.locator('table.audit tbody td.outcome-denied');
      assert.ok((await denied.count()) > 0, 'the refused code is not in the audit log');
      assert.equal((await denied.first().innerText()).trim(), '拒绝');

      await logout(page);
    } finally {
      await context.close();
    }
  });
});
