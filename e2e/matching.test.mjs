// 供需对接 end to end, as issue 4's "Done when" describes it, in one flow on one demo platform:
//   (a) the demo enterprise types its need 富硒茶叶深加工工艺 in 找专利, gets the selenium-tea patents first, each
//       with its reasons, and declares interest (我有意向) in an institution's patent;
//   (b) the institution holding that patent sees the notification and the match record, in state 有意向;
//   (c) the bureau opens another granted patent of the institution, 匹配企业 ranks enterprises with reasons, and
//       it pushes the patent to the best ones; the pushed enterprise finds it under 推送给我的专利.
// Phones (390×844) get the search and match pages without horizontal scrolling.
//
// The tests share one platform and run in order: each step starts from what the previous one left.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flashText, screenshot, submitLogin, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

const NEED = '富硒茶叶深加工工艺';
const ENTERPRISE = '安康硒源茶业有限公司';
// The demo institution whose administrator has an account (institution_admin).
const INSTITUTION = '安康理工学院';

/** What one step hands to the next. */
const flow = { patentTitle: '', patentHref: '', recordHref: '', pushedTitle: '' };

const pathname = (page) => new URL(page.url()).pathname;

async function newPage(username, viewport = { width: 1366, height: 768 }) {
  const context = await chrome.browser.newContext({ viewport, locale: 'zh-CN', hasTouch: viewport.width < 600 });
  const page = await context.newPage();
  await submitLogin(page, server.base, username);
  assert.match(await flashText(page), /^登录成功。/, `${username} could not log in`);
  return { context, page };
}

/** Opens a link of the header's navigation group (the groups open on hover on a desktop). */
async function navigate(page, group, href) {
  const g = page.locator('nav.main .group', { has: page.locator('.group-title', { hasText: group }) });
  await g.hover();
  const link = g.locator(`a[href="${href}"]`);
  await Promise.all([page.waitForURL((u) => `${u.pathname}${u.search}` === href), link.click()]);
}

/** The hits of a matched-patents list: title, holder line, reasons and whether 我有意向 is offered. */
async function hits(page) {
  return page.locator('main ol.hits > li.hit').evaluateAll((lis) =>
    lis.map((li) => ({
      title: li.querySelector('h3 a').textContent.trim(),
      href: li.querySelector('h3 a').getAttribute('href'),
      meta: li.querySelector('.meta').textContent.trim(),
      reasons: [...li.querySelectorAll('ul.reasons li')].map((r) => r.textContent.trim()),
      interest: !!li.querySelector('form[action$="/interest"] button'),
    })),
  );
}

/** No horizontal scrollbar: the document is no wider than the viewport. */
async function assertNoHorizontalScroll(page, what) {
  const w = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `${what}: horizontal overflow ${JSON.stringify(w)}`);
}

describe('供需对接：需求找专利、企业意向、专利推送', () => {
  test('(a) the enterprise types its need in 找专利, gets the selenium-tea patents first with reasons, and declares interest', async () => {
    const { context, page } = await newPage('enterprise_user');
    try {
      await navigate(page, '供需对接', '/match');
      assert.equal((await page.locator('main h1').innerText()).trim(), '找专利：用一段话描述技术需求');
      const form = page.locator('main form[action="/match"]');
      await form.locator('input[name="title"]').fill(NEED);
      await Promise.all([page.waitForURL((u) => u.pathname === '/match' && u.search.includes('title=')), form.locator('button[type="submit"]', { hasText: '匹配专利' }).click()]);

      const found = await hits(page);
      assert.ok(found.length >= 5, `only ${found.length} hits for ${NEED}`);
      // The relevant demo patents come first: selenium-rich tea in the title of each of the top three.
      for (const h of found.slice(0, 3)) {
        assert.ok(h.title.includes('富硒') && h.title.includes('茶'), `a top hit is not about selenium-rich tea: ${h.title}`);
      }
      // Each hit says why it matched.
      for (const h of found.slice(0, 5)) {
        assert.ok(h.reasons.some((r) => r.startsWith('命中关键词：')), `no 命中关键词 for ${h.title}: ${h.reasons}`);
        assert.ok(h.reasons.some((r) => r.startsWith('法律状态：')), `no legal status for ${h.title}`);
      }
      assert.ok(await page.locator('main ol.hits li.hit h3 .score').first().isVisible(), 'no 匹配度 shown');
      // The enterprise's own patents are marked, not offered.
      const own = found.filter((h) => h.meta.endsWith(ENTERPRISE));
      assert.ok(own.every((h) => !h.interest), '我有意向 offered on the enterprise’s own patent');

      // The first institution patent with 我有意向, high in the list.
      const index = found.findIndex((h) => h.interest && h.meta.endsWith(INSTITUTION));
      assert.ok(index >= 0 && index < 5, `no patent of ${INSTITUTION} among the top five: ${found.map((h) => h.meta).join(' | ')}`);
      const chosen = found[index];
      assert.ok(chosen.title.includes('富硒') && chosen.title.includes('茶'), chosen.title);
      flow.patentTitle = chosen.title;
      flow.patentHref = chosen.href;
      await screenshot(page, 'match-need');

      const button = page.locator('main ol.hits > li.hit').nth(index).locator('form[action$="/interest"] button', { hasText: '我有意向' });
      await Promise.all([page.waitForURL((u) => /^\/matches\/\d+$/.test(u.pathname)), button.click()]);
      flow.recordHref = pathname(page);
      assert.match(await flashText(page), /已表达意向/);
      assert.equal((await page.locator('#match-state').innerText()).trim(), '有意向');
      assert.equal((await page.locator('main h1').innerText()).trim(), chosen.title);
      assert.match(await page.locator('main dl.facts').innerText(), /企业意向/);
      await screenshot(page, 'match-interest');
    } finally {
      await context.close();
    }
  });

  test('phones get 找专利 and 专利检索 without horizontal scrolling', async () => {
    const { context, page } = await newPage('enterprise_user', { width: 390, height: 844 });
    try {
      await page.goto(`${server.base}/match?title=${encodeURIComponent(NEED)}`);
      assert.ok((await hits(page)).length > 0, 'no hits on the phone');
      await assertNoHorizontalScroll(page, '/match');
      await screenshot(page, 'match-need-phone');
      await page.goto(`${server.base}/search?q=${encodeURIComponent(NEED)}`);
      assert.ok((await page.locator('main ol.hits > li.hit').count()) > 0, 'no search hits on the phone');
      await assertNoHorizontalScroll(page, '/search');
      await page.goto(`${server.base}${flow.recordHref}`);
      await assertNoHorizontalScroll(page, 'the match record');
    } finally {
      await context.close();
    }
  });

  test('(b) the institution holding the patent sees the notification and the record in 有意向', async () => {
    const { context, page } = await newPage('institution_admin');
    try {
      const bell = page.locator('header.site .who a.notify');
      const unread = (await bell.locator('.badge').innerText()).trim();
      assert.match(unread, /^[1-9]\d*$/, 'no unread count in the header');
      await Promise.all([page.waitForURL((u) => u.pathname === '/notifications'), bell.click()]);
      const notice = page.locator('main ul.notices li.notice-item.unread', { hasText: `${ENTERPRISE}对专利“${flow.patentTitle}”有意向` });
      assert.equal(await notice.count(), 1, `no notice of the interest: ${await page.locator('main').innerText()}`);
      assert.match(await notice.locator('.chip').innerText(), /企业意向/);
      await screenshot(page, 'notifications-institution');
      await Promise.all([page.waitForURL((u) => u.pathname === flow.recordHref), notice.locator('button', { hasText: '查看' }).click()]);
      assert.equal((await page.locator('#match-state').innerText()).trim(), '有意向');
      // The holder's next step is to make contact.
      assert.ok(await page.locator('#next-steps button[value="in_contact"]').isVisible(), 'the holder cannot make contact');
      // Read now: one unread notice fewer (the demo leaves the institution other notices too).
      const badge = page.locator('header.site .who a.notify .badge');
      const left = (await badge.count()) === 0 ? 0 : Number((await badge.innerText()).trim());
      assert.equal(left, Number(unread) - 1);

      // The record is in the institution's list, in state 有意向.
      await navigate(page, '供需对接', '/matches');
      const row = page.locator('main table tbody tr', { has: page.locator(`a[href="${flow.recordHref}"]`) });
      assert.equal(await row.count(), 1, 'the record is not in the institution’s list');
      assert.match(await row.innerText(), new RegExp(`${ENTERPRISE}[\\s\\S]*企业意向[\\s\\S]*有意向`));
      await screenshot(page, 'matches-institution');
    } finally {
      await context.close();
    }
  });

  test('(c) the bureau pushes another institution patent to its best-matching enterprises', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      // The bureau looks through the institution's granted selenium-tea patents.
      await page.goto(`${server.base}/search?q=${encodeURIComponent(`申请人:${INSTITUTION} 富硒茶叶`)}&active=1`);
      const results = await page.locator('main ol.hits > li.hit').evaluateAll((lis) =>
        lis.map((li) => ({
          title: li.querySelector('h3 a').textContent.trim(),
          href: li.querySelector('h3 a').getAttribute('href'),
          meta: li.querySelector('.meta').textContent,
        })),
      );
      const pick = results.find((r) => r.href !== flow.patentHref && r.meta.includes('发明') && r.meta.includes('有权'));
      assert.ok(pick, `no other granted invention of ${INSTITUTION}: ${results.map((r) => r.title)}`);
      flow.pushedTitle = pick.title;
      await Promise.all([page.waitForURL((u) => u.pathname === pick.href), page.locator(`main ol.hits h3 a[href="${pick.href}"]`).click()]);
      await Promise.all([
        page.waitForURL((u) => u.pathname === `${pick.href}/enterprises`),
        page.locator('main a', { hasText: '匹配企业' }).click(),
      ]);
      assert.equal((await page.locator('main h1').innerText()).trim(), '可能需要该专利的企业');

      const rows = page.locator('main table tbody tr');
      const ranked = await rows.evaluateAll((trs) =>
        trs.map((tr) => ({
          name: tr.querySelector('td:nth-child(2)').textContent.trim(),
          relative: Number(tr.querySelector('td:nth-child(4)').textContent.trim().replace('%', '')),
          reasons: tr.querySelector('td:nth-child(5)').textContent.trim(),
          checked: tr.querySelector('input[name="org"]').checked,
        })),
      );
      assert.ok(ranked.length >= 3, `only ${ranked.length} enterprises ranked`);
      // The tea company that asked for this technology comes first; ranked by match, with reasons.
      assert.equal(ranked[0].name, ENTERPRISE);
      assert.equal(ranked[0].relative, 100);
      for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i].relative <= ranked[i - 1].relative, 'not ranked');
      for (const r of ranked.slice(0, 3)) {
        assert.match(r.reasons, /命中：/, `no reasons for ${r.name}`);
        assert.ok(r.checked, `${r.name} among the top three is not preselected`);
      }
      assert.match(ranked[0].reasons, /经营范围/);
      assert.ok(ranked.slice(3).every((r) => !r.checked), 'only the top three are preselected');
      await screenshot(page, 'enterprises-for-patent');

      await Promise.all([
        page.waitForURL((u) => u.pathname === '/matches' && u.searchParams.has('patent')),
        page.locator('main button[type="submit"]', { hasText: '推送给选中的企业' }).click(),
      ]);
      assert.match(await flashText(page), /^已推送给3家企业/);
      const pushed = await page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.innerText));
      assert.equal(pushed.length, 3, `records after the push: ${pushed}`);
      for (const r of pushed) {
        assert.ok(r.includes(flow.pushedTitle) && r.includes('局推送') && r.includes('已推荐'), r);
      }
      assert.ok(pushed.some((r) => r.includes(ENTERPRISE)));
      await screenshot(page, 'pushed-records');
    } finally {
      await context.close();
    }
  });

  test('(c) the pushed enterprise finds the patent under 推送给我的专利 with the reasons', async () => {
    const { context, page } = await newPage('enterprise_user');
    try {
      await navigate(page, '供需对接', '/matches?origin=push');
      assert.equal((await page.locator('main h1').innerText()).trim(), '推送给我的专利');
      const row = page.locator('main table tbody tr', { hasText: flow.pushedTitle });
      assert.equal(await row.count(), 1, `the pushed patent is not listed: ${await page.locator('main table').innerText()}`);
      assert.match(await row.innerText(), /局推送[\s\S]*已推荐/);
      // Only pushes are listed here: the interest of step (a) is not.
      assert.equal(await page.locator('main table tbody tr', { hasText: flow.patentTitle }).count(), 0);
      await screenshot(page, 'pushed-to-me');
      await Promise.all([page.waitForURL((u) => /^\/matches\/\d+$/.test(u.pathname)), row.locator('td:nth-child(2) a').first().click()]);
      // Opening it tells the holder it was seen.
      assert.equal((await page.locator('#match-state').innerText()).trim(), '已查看');
      const reasons = await page.locator('main ul.reasons li').allInnerTexts();
      assert.ok(reasons.some((r) => r.startsWith('命中：')), `reasons: ${reasons}`);
      assert.ok(await page.locator('#next-steps button[value="interested"]').isVisible(), 'the enterprise cannot answer');
      await assertNoHorizontalScroll(page, 'the pushed record (desktop)');
    } finally {
      await context.close();
    }
  });
});
