// Logging in and out, the previous-login notice, the lock after five wrong passwords, and 403 pages.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD, flashText, logout, screenshot, submitLogin, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

async function newPage() {
  const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  return { context, page: await context.newPage() };
}

describe('login', () => {
  test('bureau_officer logs in, out, and in again with the previous login shown', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${server.base}/login`);
      assert.match(await page.title(), /登录/);
      assert.ok(await page.locator('header.site .who a[href="/login"]').isVisible(), 'anonymous header lacks 登录');

      await submitLogin(page, server.base, 'bureau_officer');
      assert.equal(new URL(page.url()).pathname, '/');
      const first = await flashText(page);
      assert.match(first, /^登录成功。/);
      assert.match(first, /首次登录/, `first login flash: ${first}`);
      const who = page.locator('header.site .who');
      assert.match(await who.innerText(), /演示局业务人员/);
      assert.ok(await who.locator('button', { hasText: '退出' }).isVisible());
      assert.match(await page.locator('section.hero .welcome').innerText(), /欢迎您，演示局业务人员/);
      await screenshot(page, 'login-bureau-officer');

      // The session cookie is HttpOnly: scripts on the page cannot read it.
      assert.equal(await page.evaluate(() => document.cookie.includes('ipbridge_session')), false);

      await logout(page);
      assert.match(await flashText(page), /已安全退出/);
      assert.ok(await page.locator('header.site .who a[href="/login"]').isVisible(), 'still logged in after 退出');
      // A protected page now asks for a login again.
      await page.goto(`${server.base}/account`);
      assert.equal(new URL(page.url()).pathname, '/login');

      await submitLogin(page, server.base, 'bureau_officer');
      // The login form was reached through /account, so the login returns there.
      assert.equal(new URL(page.url()).pathname, '/account');
      const second = await flashText(page);
      assert.match(second, /^登录成功。上次登录时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}，登录地点：127\.0\.0\.1/, `second login flash: ${second}`);
      await page.goto(`${server.base}/`);
      assert.match(await page.locator('section.hero .welcome').innerText(), /上次登录：/);

      await logout(page);
    } finally {
      await context.close();
    }
  });

  test('enterprise_user is locked after 5 wrong passwords; the right one is then refused', async () => {
    const { context, page } = await newPage();
    try {
      for (let i = 1; i <= 5; i++) {
        await submitLogin(page, server.base, 'enterprise_user', `Wrong#pass${i}x`);
        assert.equal(new URL(page.url()).pathname, '/login');
        const error = (await page.locator('main .flash.error').innerText()).trim();
        if (i < 5) {
          assert.equal(error, '用户名或密码错误', `attempt ${i}`);
        } else {
          assert.match(error, /账号已锁定/, `attempt ${i}: ${error}`);
        }
        // The form keeps the user name but never the password.
        assert.equal(await page.locator('input[name="username"]').inputValue(), 'enterprise_user');
        assert.equal(await page.locator('input[name="password"]').inputValue(), '');
      }
      await submitLogin(page, server.base, 'enterprise_user', DEMO_PASSWORD);
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.match(await page.locator('main .flash.error').innerText(), /账号已锁定/);
      assert.ok(await page.locator('header.site .who a[href="/login"]').isVisible(), 'a locked account got a session');
      await screenshot(page, 'login-locked');

      // An unknown user gets the same message as a wrong password (no account enumeration).
      await submitLogin(page, server.base, 'no_such_user_e2e', DEMO_PASSWORD);
      assert.equal((await page.locator('main .flash.error').innerText()).trim(), '用户名或密码错误');
    } finally {
      await context.close();
    }
  });

  test('lender_user gets 403 无权访问 with a request id on /admin/audit', async () => {
    const { context, page } = await newPage();
    try {
      await submitLogin(page, server.base, 'lender_user');
      assert.match(await flashText(page), /^登录成功。/);
      assert.match(await page.locator('header.site .who').innerText(), /演示银行用户/);

      const res = await page.goto(`${server.base}/admin/audit`);
      assert.equal(res.status(), 403);
      assert.match(await page.title(), /无权访问/);
      assert.equal((await page.locator('main h1').innerText()).trim(), '无权访问');
      assert.match(await page.locator('main').innerText(), /请求编号/);
      const requestId = (await page.locator('section.error-page code').innerText()).trim();
      assert.match(requestId, /^[0-9a-zA-Z-]{8,}$/, `request id looks wrong: ${JSON.stringify(requestId)}`);
      // The export is refused too, not only the page.
      const exp = await page.goto(`${server.base}/admin/audit/export`);
      assert.equal(exp.status(), 403);
      await screenshot(page, 'forbidden');

      // Anonymous visitors are sent to the login form instead.
      await page.goto(`${server.base}/`);
      await logout(page);
      await page.goto(`${server.base}/admin/audit`);
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/admin/audit');
    } finally {
      await context.close();
    }
  });
});
