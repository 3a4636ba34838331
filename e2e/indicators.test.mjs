// 指标看板 in a real browser on the demo, as issue 6's "Done when" describes it: the bureau leader's dashboard shows
// the three targets of measure 2 with actuals, gap and a drawn trend chart; clicking a county opens its breakdown;
// a high-value patent's page lists the five criteria with ✓/✗ and the reasons; the printable report renders with
// Chinese text in a real CJK font and prints to an A4 PDF; phones (390×844) get
// the dashboard without horizontal scrolling; the bureau officer takes a snapshot by hand.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flashText, screenshot, submitLogin, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

const TARGETS = [
  ['valid_invention_patents', '有效发明专利拥有量'],
  ['high_value_invention_patents', '高价值发明专利拥有量'],
  ['valid_trademarks', '有效商标持有量'],
];

async function newPage(username, viewport = { width: 1366, height: 900 }) {
  const context = await chrome.browser.newContext({
    viewport,
    locale: 'zh-CN',
    hasTouch: viewport.width < 600,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  await submitLogin(page, server.base, username);
  assert.match(await flashText(page), /^登录成功。/, `${username} could not log in`);
  return { context, page };
}

/** Opens the dashboard once the server's first indicator refresh is done (it runs right after start). */
async function openDashboard(page) {
  for (let i = 0; i < 120; i++) {
    await page.goto(`${server.base}/indicators`);
    if ((await page.locator('#not-ready').count()) === 0) return;
    await page.waitForTimeout(500);
  }
  assert.fail('the dashboard still says 指标尚未汇总 after a minute');
}

/** Waits until the chart `id` is drawn, animation done, and its picture is not blank. */
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

/** Widths of the page against its viewport: no horizontal scrollbar means scrollWidth fits. */
const widths = (page) =>
  page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    innerWidth: window.innerWidth,
  }));

describe('indicator dashboard', () => {
  test('the bureau leader sees the three targets with actuals, gap and a drawn trend chart', async () => {
    const { context, page } = await newPage('bureau_leader');
    try {
      await openDashboard(page);
      assert.match(await page.locator('.ind-updated').innerText(), /数据更新于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（每 \d+ 分钟自动汇总/);
      for (const [code, name] of TARGETS) {
        const card = page.locator(`li.ind-target[data-indicator="${code}"]`);
        assert.equal(await card.count(), 1, `no card for ${code}`);
        assert.equal((await card.locator('.ind-name').innerText()).trim(), name);
        const actual = (await card.locator('.ind-actual').innerText()).trim();
        const days = (await card.locator('.ind-days').innerText()).trim();
        assert.match(days, /^(距截止还有 \d+ 天|今天截止|已逾期 \d+ 天)$/, `${code}: ${days}`);
        assert.match(await card.innerText(), /措施 2/);
        // Trademark statistics are entered by the bureau: a number once there are any, — before.
        if (code === 'valid_trademarks' && actual === '—') {
          assert.match(await card.locator('.ind-missing').innerText(), /尚未录入统计数据/);
          continue;
        }
        assert.match(actual, /^\d+$/, `${code}: actual ${actual}`);
        const gap = (await card.locator('.ind-gap').innerText()).trim();
        assert.match(gap, /^(差距 \d+ 件|已达到目标)$/, `${code}: gap ${gap}`);
        assert.match(await card.locator('.ind-status').innerText(), /^(已达成|推进中|逾期未达成)$/);
      }
      assert.notEqual((await page.locator('li.ind-target[data-indicator="valid_invention_patents"] .ind-actual').innerText()).trim(), '0');

      // The trend of valid invention patents: a canvas with ink on it, the target drawn dashed.
      const trend = 'c-trend-valid_invention_patents';
      await waitDrawn(page, trend);
      assert.equal(await page.locator(`#${trend} canvas`).count(), 1);
      const lines = await page.evaluate((id) => {
        const option = window.echarts.getInstanceByDom(document.getElementById(id)).getOption();
        return option.series.map((s) => ({ name: s.name, type: s.lineStyle?.type ?? 'solid', n: s.data.length }));
      }, trend);
      assert.equal(lines[0].name, '实际值');
      assert.equal(lines[1].type, 'dashed', 'the target is a dashed line');
      assert.ok(lines[0].n >= 1, 'at least one month');
      for (const id of ['c-counties', 'c-chains', 'c-criteria']) await waitDrawn(page, id);
      await screenshot(page, 'indicators-dashboard');

      // 下载图片 saves the chart as a PNG named after it.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator(`button[data-chart-png="${trend}"]`).click(),
      ]);
      assert.match(download.suggestedFilename(), /有效发明专利拥有量.*\.png$/);
    } finally {
      await context.close();
    }
  });

  test('clicking a county bar opens that county\'s breakdown', async () => {
    const { context, page } = await newPage('bureau_leader');
    try {
      await openDashboard(page);
      await waitDrawn(page, 'c-counties');
      // The middle of the longest bar of valid invention patents, from the chart's own layout (relative to the
      // chart's element).
      const target = await page.evaluate(() => {
        const chart = window.echarts.getInstanceByDom(document.getElementById('c-counties'));
        const data = chart.getModel().getSeriesByIndex(0).getData();
        const json = JSON.parse(document.getElementById('d-counties').textContent);
        let best = 0;
        for (let i = 0; i < data.count(); i++) if (data.get('x', i) > data.get('x', best)) best = i;
        const r = data.getItemLayout(best);
        return { x: r.x + r.width / 2, y: r.y + r.height / 2, key: json.keys[best], name: json.categories[best], value: data.get('x', best) };
      });
      assert.ok(target.value > 0, `no county with valid invention patents: ${JSON.stringify(target)}`);
      const chart = page.locator('#c-counties');
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      const response = page.waitForURL((u) => u.pathname === `/indicators/counties/${target.key}`);
      await page.mouse.click(box.x + target.x, box.y + target.y);
      await response;
      // The county page belongs to the breakdown pages; where it is there, it names the county.
      const status = await page.evaluate(async () => (await fetch(location.href)).status);
      if (status === 200) assert.match(await page.locator('main').innerText(), new RegExp(target.name));
    } finally {
      await context.close();
    }
  });

  test('the printable report renders with Chinese text in a CJK font and prints to A4', async () => {
    const { context, page } = await newPage('bureau_leader');
    try {
      await openDashboard(page);
      await page.goto(`${server.base}/indicators/report`);
      const heading = page.locator('main h1');
      assert.equal((await heading.innerText()).trim(), '安康市知识产权指标情况报告');
      assert.match(await page.locator('.ind-report-basis').innerText(), /安康市专利转化运用促进知识产权高质量发展若干措施/);
      assert.equal(await page.locator('#report-targets tbody tr').count(), 4, 'every target of the policy');
      // The trends are drawn with the SVG renderer, crisp in print.
      await waitDrawn(page, 'c-trend-valid_invention_patents');
      assert.equal(await page.locator('#c-trend-valid_invention_patents svg').count(), 1);

      // The heading's glyphs come from a real CJK font, not a fallback box.
      assert.ok(await page.evaluate(() => document.fonts.check('16px "WenQuanYi Micro Hei"', '报告')));
      const cdp = await context.newCDPSession(page);
      await cdp.send('DOM.enable');
      await cdp.send('CSS.enable');
      const { root } = await cdp.send('DOM.getDocument');
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'main h1' });
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      const families = fonts.map((f) => f.familyName).join(', ');
      assert.ok(/WenQuanYi|Noto Sans CJK|Source Han|Microsoft YaHei|PingFang/.test(families), `heading drawn with ${families}`);
      const cjkWidth = await page.evaluate(() => {
        const span = document.createElement('span');
        span.style.cssText = 'position: absolute; white-space: nowrap; font: 20px "WenQuanYi Micro Hei", sans-serif';
        span.textContent = '知识产权指标';
        document.body.appendChild(span);
        const w = span.getBoundingClientRect().width;
        span.remove();
        return w;
      });
      assert.ok(cjkWidth >= 110 && cjkWidth <= 130, `six CJK characters at 20px are about 120px wide, not ${cjkWidth}`);

      // Printed: no navigation, no buttons; the PDF is A4.
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header.site').isVisible(), false, 'navigation hidden in print');
      assert.equal(await page.locator('.ind-report-tools').isVisible(), false, 'print button hidden in print');
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.ok(pdf.length > 20_000, `PDF of ${pdf.length} bytes`);
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
      assert.ok(pages >= 5, `a page per section, got ${pages}`);
      // A4 is 210×297 mm, 595×842 points (Chromium writes 595.92×842.88).
      const box = pdf.toString('latin1').match(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/);
      assert.ok(box && Math.abs(box[1] - 595) < 2 && Math.abs(box[2] - 842) < 2, `page size ${box?.[0]}`);
      await page.emulateMedia({ media: 'screen' });
      await screenshot(page, 'indicators-report');
    } finally {
      await context.close();
    }
  });

  test('a high-value patent\'s page says which criteria it meets and why', async () => {
    const { context, page } = await newPage('bureau_leader');
    try {
      await openDashboard(page);
      // The award winners of the demo: 中国专利奖 makes them high-value whatever else holds.
      await page.goto(`${server.base}/patents?hv=award`);
      const first = page.locator('table tbody tr a[href^="/patents/"]').first();
      await Promise.all([page.waitForURL(/\/patents\/\d+$/), first.click()]);
      const section = page.locator('#indicators');
      await section.waitFor();
      const facts = await section.locator('dl.facts').innerText();
      assert.match(facts, /计入本市\s*是/, facts);
      assert.match(facts, /高价值发明专利\s*是/, facts);
      const rows = await section.locator('tbody tr').allInnerTexts();
      assert.equal(rows.length, 5, rows.join(' | '));
      const award = rows.find((r) => r.startsWith('获国家科学技术奖或中国专利奖'));
      assert.match(award, /✓ 满足\s*获20\d\d年中国专利奖(优秀奖|银奖)/, award);
      assert.ok(rows.some((r) => /✗ 不满足/.test(r)), 'criteria that do not hold are listed with ✗');
      await screenshot(page, 'indicators-patent-criteria');
    } finally {
      await context.close();
    }
  });

  test('phone 390×844: the dashboard has no horizontal scroll', async () => {
    const { context, page } = await newPage('bureau_leader', { width: 390, height: 844 });
    try {
      await openDashboard(page);
      for (const id of ['c-trend-valid_invention_patents', 'c-counties', 'c-chains', 'c-criteria']) await waitDrawn(page, id);
      const w = await widths(page);
      assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `horizontal overflow: ${JSON.stringify(w)}`);
      const chartWidth = await page.locator('#c-counties').evaluate((el) => el.getBoundingClientRect().width);
      assert.ok(chartWidth <= 390 && chartWidth > 300, `the county chart fits the phone: ${chartWidth}`);
      await screenshot(page, 'indicators-dashboard-phone');
    } finally {
      await context.close();
    }
  });

  test('the bureau officer takes this month\'s snapshot by hand', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      await openDashboard(page);
      await page.goto(`${server.base}/indicators/snapshots`);
      page.on('dialog', (d) => d.accept());
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/indicators/snapshots' && u.searchParams.has('month')),
        page.locator('form[action="/indicators/snapshots"] button[type="submit"]').click(),
      ]);
      assert.match(await flashText(page), /^已重新汇总并记录 \d{4}-\d{2} 月度快照：读取专利 \d+ 件/);
      const months = await page.locator('#snapshot-months tbody tr').allInnerTexts();
      assert.ok(months.some((m) => /手动/.test(m)), `a month taken by hand: ${months.join(' | ')}`);
      assert.match(await page.locator('#refresh-runs tbody tr').first().innerText(), /手动快照/);
    } finally {
      await context.close();
    }
  });
});
