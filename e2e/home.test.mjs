// The public home page on a desktop and a phone, the CJK font, and the 404 page.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

// Anonymous visitors also get 存量专利盘活, for the public transferable pool.
const NAV_GROUPS = ['激励创新创造', '激发内生动力', '构建保护体系', '搭建供需平台', '跟踪督办', '存量专利盘活'];

/** Widths of the page against its viewport: no horizontal scrollbar means scrollWidth fits. */
async function widths(page) {
  return page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    innerWidth: window.innerWidth,
  }));
}

async function checkMeasures(page) {
  assert.match(await page.title(), /安康市专利转化运用服务平台/);
  const measures = page.locator('article.measure');
  assert.equal(await measures.count(), 12);
  const ids = await measures.evaluateAll((els) => els.map((e) => e.id));
  assert.deepEqual(ids, Array.from({ length: 12 }, (_, i) => `measure-${i + 1}`));
  // Every measure names a lead department.
  const leads = await page.locator('article.measure .depts b').allInnerTexts();
  assert.equal(leads.length, 12);
  for (const lead of leads) assert.ok(lead.trim().length > 0, 'a measure has an empty lead department');
  assert.equal((await page.locator('#measure-1 .depts b').innerText()).trim(), '市市场监管局');
  assert.match(await page.locator('#measure-1 .depts').innerText(), /^牵头：市市场监管局/);
}

async function groupTitles(page) {
  return (await page.locator('nav.main .group-title').allInnerTexts()).map((t) => t.replace('▾', '').trim());
}

describe('home page', () => {
  test('desktop 1366×768: measures, navigation, no horizontal scroll, CJK font', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    const page = await context.newPage();
    try {
      const res = await page.goto(`${server.base}/`);
      assert.equal(res.status(), 200);
      await checkMeasures(page);

      // The navigation shows its groups directly on a wide screen; the menu button is hidden.
      assert.deepEqual(await groupTitles(page), NAV_GROUPS);
      for (const title of NAV_GROUPS) {
        assert.ok(await page.locator('nav.main .group-title', { hasText: title }).isVisible(), `${title} not visible`);
      }
      assert.equal(await page.locator('label.nav-toggle-label').isVisible(), false);
      // Hovering a group opens its list of measures.
      await page.locator('nav.main .group', { hasText: '激励创新创造' }).hover();
      const firstItems = page.locator('nav.main .group', { hasText: '激励创新创造' }).locator('.group-items a');
      assert.ok(await firstItems.first().isVisible(), 'group items do not open on hover');
      assert.equal(await firstItems.first().getAttribute('href'), '/#measure-1');

      const w = await widths(page);
      assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `horizontal overflow: ${JSON.stringify(w)}`);

      // Chinese text is drawn with a real CJK font, not boxes: ask Chromium which platform fonts it used
      // for the page heading (DevTools protocol, the same data as the "Rendered Fonts" panel).
      const cdp = await context.newCDPSession(page);
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'section.hero h1' });
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      const cjk = fonts.filter((f) => /WenQuanYi|Noto Sans CJK|Noto Serif CJK|Source Han|Droid Sans Fallback|AR PL|Micro Hei|Zen Hei/i.test(f.familyName));
      assert.ok(cjk.length > 0 && cjk.some((f) => f.glyphCount > 0), `heading not drawn with a CJK font: ${JSON.stringify(fonts)}`);
      await cdp.detach();

      await screenshot(page, 'home-desktop');
    } finally {
      await context.close();
    }
  });

  test('phone 390×844: menu toggle reveals the groups, no horizontal scroll', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', hasTouch: true });
    const page = await context.newPage();
    try {
      await page.goto(`${server.base}/`);
      await checkMeasures(page);

      const toggle = page.locator('label.nav-toggle-label');
      assert.ok(await toggle.isVisible(), 'the 菜单 button is not shown on a phone');
      assert.match(await toggle.innerText(), /菜单/);
      assert.equal(await page.locator('nav.main').isVisible(), false, 'navigation should be folded on a phone');
      let w = await widths(page);
      assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `horizontal overflow (menu closed): ${JSON.stringify(w)}`);
      await screenshot(page, 'home-phone');

      await toggle.click();
      await page.locator('nav.main').waitFor({ state: 'visible' });
      assert.deepEqual(await groupTitles(page), NAV_GROUPS);
      for (const title of NAV_GROUPS) {
        assert.ok(await page.locator('nav.main .group-title', { hasText: title }).isVisible(), `${title} not visible after 菜单`);
      }
      // On a phone the measures are listed under each group without hovering.
      assert.ok(await page.locator('nav.main a[href="/#measure-1"]').isVisible());
      w = await widths(page);
      assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `horizontal overflow (menu open): ${JSON.stringify(w)}`);
      await screenshot(page, 'home-phone-menu');

      // A second tap folds it again.
      await toggle.click();
      await page.locator('nav.main').waitFor({ state: 'hidden' });
    } finally {
      await context.close();
    }
  });

  test('unknown path: 404 page 页面不存在 with a request id', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    try {
      const res = await page.goto(`${server.base}/no/such/page-e2e`);
      assert.equal(res.status(), 404);
      assert.match(await page.title(), /页面不存在/);
      assert.equal((await page.locator('main h1').innerText()).trim(), '页面不存在');
      const body = await page.locator('main').innerText();
      assert.match(body, /请求编号/);
      const requestId = (await page.locator('section.error-page code').innerText()).trim();
      assert.match(requestId, /^[0-9a-zA-Z-]{8,}$/, `request id looks wrong: ${JSON.stringify(requestId)}`);
      await screenshot(page, 'not-found');
    } finally {
      await context.close();
    }
  });
});
