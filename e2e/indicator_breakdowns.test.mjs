// 分类统计 and 产业链专利态势 in a real browser on the demo: the bureau leader opens the chain comparison, sees how
// each IPC prefix and keyword placed the city's patents in a chain, clicks a chain and finds its landscape —
// years, applicants, the mapping, the transferable-pool patents, the enterprises' demands and the gaps; from
// the breakdown by county (table and bar chart) a county's page opens. Phones (390×844) get every one of these
// pages without horizontal scrolling.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flashText, screenshot, submitLogin, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

// The demo's flagship chain and its published demand (see crates/service/src/demo.rs).
const CHAIN = { code: 'selenium_food', name: '富硒食品' };
const DEMAND = '富硒茶叶深加工工艺';

async function newPage(username, viewport = { width: 1366, height: 900 }) {
  const context = await chrome.browser.newContext({ viewport, locale: 'zh-CN', hasTouch: viewport.width < 600 });
  const page = await context.newPage();
  await submitLogin(page, server.base, username);
  assert.match(await flashText(page), /^登录成功。/, `${username} could not log in`);
  return { context, page };
}

/** Opens `path` once the server's first indicator refresh (run right after start) is done. */
async function openComputed(page, path) {
  for (let i = 0; i < 120; i++) {
    await page.goto(`${server.base}${path}`);
    if (!(await page.locator('main').innerText()).includes('指标尚未汇总')) return;
    await page.waitForTimeout(500);
  }
  assert.fail(`${path} still says 指标尚未汇总 after a minute`);
}

/** Waits until the chart `id` is drawn and its picture is not blank. */
async function waitDrawn(page, id) {
  await page.waitForFunction(
    (id) => {
      const el = document.getElementById(id);
      if (!el || el.getAttribute('data-finished') !== '1' || !window.echarts?.getInstanceByDom(el)) return false;
      const canvas = el.querySelector('canvas');
      if (!canvas) return el.querySelector('svg path') !== null;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
      return inked > 2000;
    },
    id,
    { timeout: 15_000 },
  );
}

async function assertNoHorizontalScroll(page, what) {
  const w = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `${what}: horizontal overflow ${JSON.stringify(w)}`);
}

/** Integer text of a table cell. */
const count = async (locator) => Number((await locator.innerText()).trim());

describe('indicator breakdowns and chain landscapes', () => {
  test('the bureau leader compares the chains, sees the mapping and opens a chain\'s landscape', async () => {
    const { context, page } = await newPage('bureau_leader');
    try {
      await openComputed(page, '/indicators/chains');
      assert.equal((await page.locator('main h1').innerText()).trim(), '产业链专利态势');
      await waitDrawn(page, 'c-chains');
      // The rule is explained, and each chain's prefixes and keywords come with what they placed.
      assert.match(await page.locator('.ind-rule').innerText(), /A23F3 匹配 A23F3\/06.*不匹配 A23F30\/00/s);
      const card = page.locator(`#mapping-${CHAIN.code}`);
      const prefix = card.locator('tr', { has: page.locator('code', { hasText: /^A23F3$/ }) });
      assert.equal(await prefix.count(), 1, 'the A23F3 prefix of 富硒食品 is listed');
      const placed = await count(prefix.locator('td').nth(1));
      assert.ok(placed > 0, `the demo's tea patents are placed by A23F3: ${placed}`);
      const keywords = await card.locator('table').nth(1).locator('tbody tr').count();
      assert.ok(keywords > 0, 'the keywords are listed');
      // The leader reads; only the bureau officer maintains the chains.
      assert.equal(await page.locator('a[href="/chains"]').count(), 0);
      // The table's total of the chain equals the chart's bar.
      const row = page.locator('table.ind-bd tbody tr', { has: page.locator(`a[href="/indicators/chains/${CHAIN.code}"]`) });
      const patents = await count(row.locator('td').nth(1));
      const bar = await page.evaluate((code) => {
        const json = JSON.parse(document.getElementById('d-chains').textContent);
        return json.series[0].data[json.keys.indexOf(code)];
      }, CHAIN.code);
      assert.equal(bar, patents);
      await screenshot(page, 'indicator-chains');

      // Click the chain: its landscape.
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/indicators/chains/${CHAIN.code}`),
        row.locator('a').click(),
      ]);
      assert.equal((await page.locator('main h1').innerText()).trim(), `${CHAIN.name}专利态势`);
      for (const id of ['c-chain-years', 'c-chain-applicants', 'c-chain-counties', `c-trend-valid_invention_patents-chain-${CHAIN.code}`]) {
        await waitDrawn(page, id);
      }
      const mapping = page.locator('#mapping');
      assert.match(await mapping.innerText(), /IPC 分类号前缀[\s\S]*A23F3/);
      assert.match(await mapping.innerText(), /关键词/);
      // The institutions' pool patents of the chain, opening their pool pages.
      const pool = page.locator('#pool tbody a[href^="/pool/"]');
      assert.ok((await pool.count()) > 0, 'the demo\'s selenium-tea patents are in the pool');
      // The enterprises' published demands, and the gaps computed for them.
      assert.equal(await page.locator('#demands tbody a', { hasText: DEMAND }).count(), 1);
      const gap = page.locator('#gaps tbody tr', { has: page.locator('a', { hasText: DEMAND }) });
      assert.equal(await gap.count(), 1, 'the demand has its line in the gap analysis');
      assert.match(await gap.locator('td').nth(2).innerText(), /^\d+ \/ \d+$/);
      assert.match(await gap.locator('td').nth(4).innerText(), /^(缺口|本地有匹配)$/);
      await screenshot(page, 'indicator-chain-landscape');

      // A pool patent opens its pool page.
      const first = pool.first();
      const href = await first.getAttribute('href');
      await Promise.all([page.waitForURL((u) => u.pathname === href), first.click()]);
      assert.equal((await page.locator('main h1').innerText()).trim().length > 0, true);
    } finally {
      await context.close();
    }
  });

  test('the breakdown by county opens a county\'s page, from the table and from the chart', async () => {
    const { context, page } = await newPage('bureau_leader');
    try {
      await openComputed(page, '/indicators/breakdown');
      assert.equal((await page.locator('main h1').innerText()).trim(), '分类统计：全市');
      assert.equal((await page.locator('nav.tabs a[aria-current="page"]').innerText()).trim(), '县（市、区）');
      await waitDrawn(page, 'c-breakdown');
      // The first county of the table (most patents) opens its page.
      const link = page.locator('table.ind-bd tbody a[href^="/indicators/counties/"]').first();
      const name = (await link.innerText()).trim();
      const href = await link.getAttribute('href');
      await Promise.all([page.waitForURL((u) => u.pathname === href), link.click()]);
      assert.equal((await page.locator('main h1').innerText()).trim(), `${name}知识产权指标`);
      const figures = await page.locator('ul.ind-county-figures').innerText();
      assert.match(figures, /有效发明专利\s*\d+ 件/);
      assert.match(figures, /每万人口高价值发明专利\s*(\d+\.\d\d 件|—\s*未设置常住人口)/);
      const code = href.split('/').pop();
      await waitDrawn(page, `c-trend-valid_invention_patents-county-${code}`);
      await screenshot(page, 'indicator-county');

      // Back on the breakdown, a click on the longest bar opens that county.
      await page.goto(`${server.base}/indicators/breakdown`);
      await waitDrawn(page, 'c-breakdown');
      const target = await page.evaluate(() => {
        const chart = window.echarts.getInstanceByDom(document.getElementById('c-breakdown'));
        const data = chart.getModel().getSeriesByIndex(0).getData();
        const json = JSON.parse(document.getElementById('d-breakdown').textContent);
        let best = -1;
        for (let i = 0; i < data.count(); i++) if (json.keys[i] && (best < 0 || data.get('y', i) > data.get('y', best))) best = i;
        const r = data.getItemLayout(best);
        return { x: r.x + r.width / 2, y: r.y + r.height / 2, key: json.keys[best], name: json.categories[best] };
      });
      const chart = page.locator('#c-breakdown');
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/indicators/counties/${target.key}`),
        page.mouse.click(box.x + target.x, box.y + target.y),
      ]);
      assert.equal((await page.locator('main h1').innerText()).trim(), `${target.name}知识产权指标`);
    } finally {
      await context.close();
    }
  });

  test('phone 390×844: the breakdown, county and chain pages have no horizontal scroll', async () => {
    const { context, page } = await newPage('bureau_leader', { width: 390, height: 844 });
    try {
      const pages = [
        ['/indicators/breakdown', 'c-breakdown'],
        ['/indicators/breakdown?scope=chain%3Aselenium_food&dim=applicant', 'c-breakdown'],
        ['/indicators/counties/610902', 'c-county-chain'],
        ['/indicators/chains', 'c-chains'],
        [`/indicators/chains/${CHAIN.code}`, 'c-chain-applicants'],
      ];
      for (const [path, id] of pages) {
        await openComputed(page, path);
        await waitDrawn(page, id);
        await assertNoHorizontalScroll(page, path);
        const width = await page.locator(`#${id}`).evaluate((el) => el.getBoundingClientRect().width);
        assert.ok(width <= 390 && width > 280, `${path}: the chart fits the phone (${width})`);
      }
      await screenshot(page, 'indicator-chain-landscape-phone');
    } finally {
      await context.close();
    }
  });
});
