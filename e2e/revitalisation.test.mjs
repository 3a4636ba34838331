// 存量专利盘活 end to end, as issue 5's "Done when" describes it, in one flow on one demo platform:
//   1. the inventor files the walk-through patent (盘点填报) and submits it for review;
//   2. the faculty reviewer approves it (待我审核);
//   3. the institution approves it, puts it in the base pool and screens it into the transferable pool, which an
//      anonymous visitor then sees at /pool — without the contact person;
//   4. the bureau pushes it (推送批次 → 发起推送, 智能匹配) to the best-matching enterprises;
//   5. the demo enterprise finds it under 推送给我的专利, gives feedback (评价反馈) and asks a question, whose
//      countdown shows the working days left;
//   6. the institution, told by a notification, answers within the deadline (按时答复);
//   7. the bureau holds a roadshow presenting the patent, follows the enterprise up one-on-one and records the
//      licence deal, which ends the project as 已成交;
//   8. the coverage page counts the patent as converted for the institution (and the deal list shows it).
// Phones (390×844) get the pool, the inventory record and the coverage page without horizontal scrolling.
//
// The tests share one platform and run in order: each step starts from what the previous one left.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flashText, screenshot, submitLogin, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

// The demo's walk-through patent: in scope, no record yet, linked to the demo inventor (化学化工学院).
const TITLE = '一种富硒茶叶深加工工艺及富硒速溶茶粉的制备方法';
const INSTITUTION = '安康理工学院';
const FACULTY = '化学化工学院';
const ENTERPRISE = '安康硒源茶业有限公司';
// The contact person of the record: confidential, never shown in the public pool.
const CONTACT = { name: '刘晓梅', phone: '13891507788' };
const BRIEF = {
  problem: '富硒茶鲜叶季节性强，夏秋茶利用率低，传统工艺难以保留有机硒，富硒茶附加值不高。',
  advantage: '低温萃取结合膜浓缩和喷雾干燥，速溶茶粉有机硒保留率85%以上，冲泡即溶、无沉淀。',
  fields: '富硒速溶茶粉、富硒茶饮料、功能性食品配料',
  route: '以普通许可方式许可本地茶叶加工企业实施，学院提供工艺包和技术培训。',
};
const DEAL = { amount: 380000, contract: 'AKLG-XK-2026-017' };

/** What one step hands to the next. */
const flow = {
  applicationNo: '',
  recordHref: '',
  poolHref: '',
  campaignHref: '',
  inquiryHref: '',
  roadshowHref: '',
  projectHref: '',
  dealHref: '',
  // The institution's coverage figures before the walk-through.
  before: null,
};

const pathname = (page) => new URL(page.url()).pathname;

/** Today in the platform's time zone (China), as YYYY-MM-DD. */
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const addYears = (iso, n) => `${Number(iso.slice(0, 4)) + n}${iso.slice(4)}`;

async function newPage(username, viewport = { width: 1366, height: 768 }) {
  const context = await chrome.browser.newContext({ viewport, locale: 'zh-CN', hasTouch: viewport.width < 600 });
  const page = await context.newPage();
  if (username) {
    await submitLogin(page, server.base, username);
    assert.match(await flashText(page), /^登录成功。/, `${username} could not log in`);
  }
  return { context, page };
}

/** Opens a link of the header's navigation group (the groups open on hover on a desktop). */
async function navigate(page, group, href) {
  const g = page.locator('nav.main .group', { has: page.locator('.group-title', { hasText: group }) });
  await g.hover();
  const link = g.locator(`a[href="${href}"]`);
  await Promise.all([page.waitForURL((u) => `${u.pathname}${u.search}` === href), link.click()]);
}

/** Clicks something that navigates and waits until the URL's path matches. */
async function clickTo(page, locator, path) {
  const test = typeof path === 'string' ? (u) => u.pathname === path : (u) => path.test(u.pathname);
  await Promise.all([page.waitForURL(test), locator.click()]);
}

/** The state label of an inventory record page. */
const recordState = (page) => page.locator('main .title-row .status').first().innerText();

/** The rows of the record's 审核记录 table. */
async function history(page) {
  const card = page.locator('main section.card', { has: page.locator('h2', { hasText: '审核记录' }) });
  return card.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
  );
}

/** Takes a review step through its form (`data-testid="step-{code}"`) and checks the record's new state. */
async function reviewStep(page, code, comment, expected) {
  const form = page.locator(`main form[data-testid="step-${code}"]`);
  assert.equal(await form.count(), 1, `no step ${code} offered: ${await page.locator('main').innerText()}`);
  if (comment) await form.locator('textarea[name="comment"]').fill(comment);
  await clickTo(page, form.locator('button[type="submit"]'), flow.recordHref);
  assert.equal((await recordState(page)).trim(), expected);
}

/** The figures of one row of the coverage table, by column header. */
async function coverageRow(page, name) {
  const table = page.locator('main table.coverage').first();
  const heads = (await table.locator('thead th').allInnerTexts()).map((h) => h.trim());
  const row = table.locator('tbody tr', { has: page.locator('td:first-child', { hasText: name }) });
  assert.equal(await row.count(), 1, `no coverage row for ${name}`);
  const cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
  return Object.fromEntries(heads.map((h, i) => [h, cells[i]]));
}

/** 150,000.00元 → 150000. */
const yuan = (text) => Number(text.replace(/[,元]/g, ''));

/** No horizontal scrollbar: the document is no wider than the viewport. */
async function assertNoHorizontalScroll(page, what) {
  const w = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(w.scrollWidth <= w.clientWidth && w.clientWidth <= w.innerWidth, `${what}: horizontal overflow ${JSON.stringify(w)}`);
}

describe('存量专利盘活：填报、审核、入库、推送、反馈、咨询、路演、成交、覆盖', () => {
  test('before: the bureau notes the institution’s coverage figures', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      await navigate(page, '存量专利盘活', '/coverage');
      assert.equal((await page.locator('main h1').innerText()).trim(), '盘点覆盖情况');
      flow.before = await coverageRow(page, INSTITUTION);
      assert.ok(Number(flow.before['应盘点']) > 0, JSON.stringify(flow.before));
    } finally {
      await context.close();
    }
  });

  test('1. the inventor files the walk-through patent and submits it for review', async () => {
    const { context, page } = await newPage('inventor');
    try {
      await navigate(page, '存量专利盘活', '/inventory');
      await clickTo(page, page.locator('main nav.tabs a', { hasText: '待填报' }), '/inventory');
      const row = page.locator('main table.inventory tbody tr', { hasText: TITLE });
      assert.equal(await row.count(), 1, `the patent is not waiting to be filed: ${await page.locator('main table').innerText()}`);
      assert.match(await row.innerText(), new RegExp(`${INSTITUTION}[\\s\\S]*${FACULTY}[\\s\\S]*未填报`));
      flow.applicationNo = (await row.locator('td code').first().innerText()).trim();
      await clickTo(page, row.locator('a.button', { hasText: '填报' }), /^\/patents\/\d+\/inventory$/);
      assert.equal((await page.locator('main h1').innerText()).trim(), `填报盘点记录：${TITLE}`);

      const form = page.locator(`main form[action="${pathname(page)}"]`);
      // The faculty comes from the inventor's account; it stays 化学化工学院.
      assert.equal(await form.locator('select[name="faculty"] option:checked').innerText(), FACULTY);
      await form.locator('select[name="faculty"]').selectOption({ label: FACULTY });
      await form.locator('select[name="transfer_intent"]').selectOption({ label: '许可' });
      await form.locator('fieldset.grades label', { hasText: 'A 近期可转化' }).locator('input[type="radio"]').check();
      await form.locator('select[name="maturity"]').selectOption({ value: '6' });
      await form.locator('textarea[name="problem_solved"]').fill(BRIEF.problem);
      await form.locator('textarea[name="advantage"]').fill(BRIEF.advantage);
      await form.locator('input[name="application_fields"]').fill(BRIEF.fields);
      await form.locator('textarea[name="route_to_market"]').fill(BRIEF.route);
      await form.locator('input[name="price_min"]').fill('30万');
      await form.locator('input[name="price_max"]').fill('60万');
      await form.locator('select[name="chain"]').selectOption({ label: '富硒食品' });
      await form.locator('input[name="contact_name"]').fill(CONTACT.name);
      await form.locator('input[name="contact_phone"]').fill(CONTACT.phone);
      await screenshot(page, 'revit-1-form');
      await clickTo(page, form.locator('button[type="submit"]', { hasText: '提交审核' }), /^\/inventory\/\d+$/);
      flow.recordHref = pathname(page);

      assert.match(await flashText(page), /盘点记录已提交审核/);
      assert.equal((await page.locator('main h1').innerText()).trim(), TITLE);
      assert.equal((await recordState(page)).trim(), '待审核');
      const facts = await page.locator('main dl.facts').first().innerText();
      for (const text of [INSTITUTION, FACULTY, '学院审核后单位审核', '许可', 'A 近期可转化', 'TRL6', '富硒食品', CONTACT.name, CONTACT.phone]) {
        assert.ok(facts.includes(text), `the record does not show ${text}: ${facts}`);
      }
      // 30万 and 60万 as typed, shown in yuan.
      assert.match(facts, /预期价格\s*300,000\.00元–600,000\.00元/);
      assert.ok((await page.locator('main').innerText()).includes(BRIEF.advantage), 'the brief is not shown');
      const rows = await history(page);
      assert.ok(rows.length >= 1, 'no history');
      // Filed as a draft and submitted at once, by the inventor.
      assert.deepEqual(rows.map((r) => r[2]), ['建立记录（草稿）', '提交审核：草稿 → 待审核'], `history: ${JSON.stringify(rows)}`);
      for (const r of rows) assert.match(r[1], /（发明人）$/, `history: ${JSON.stringify(rows)}`);
      // The inventor can still withdraw, but not review.
      assert.equal(await page.locator('main form[data-testid="step-approve"]').count(), 0);
      assert.equal(await page.locator('main form[data-testid="step-withdraw"]').count(), 1);
      await screenshot(page, 'revit-1-submitted');
    } finally {
      await context.close();
    }
  });

  test('2. the faculty reviewer approves it from 待我审核', async () => {
    const { context, page } = await newPage('faculty_reviewer');
    try {
      await navigate(page, '存量专利盘活', '/inventory?view=review');
      const row = page.locator('main table.inventory tbody tr', { has: page.locator(`a[href="${flow.recordHref}"]`) });
      assert.equal(await row.count(), 1, `the record is not waiting for the reviewer: ${await page.locator('main table').innerText()}`);
      assert.match(await row.innerText(), new RegExp(`${TITLE}[\\s\\S]*${FACULTY}[\\s\\S]*许可[\\s\\S]*待审核`));
      await clickTo(page, row.locator(`a[href="${flow.recordHref}"]`), flow.recordHref);
      // The faculty reviewer approves or returns; no pool moves.
      assert.equal(await page.locator('main form[data-testid="step-return_for_revision"]').count(), 1);
      assert.equal(await page.locator('main form[data-testid="step-add_to_base_pool"]').count(), 0);
      await reviewStep(page, 'approve', '技术路线清楚，中试数据充分，同意。', '学院已审核');
      assert.match(await flashText(page), /已审核通过，记录当前为“学院已审核”/);
      const last = (await history(page)).at(-1);
      assert.match(last[1], /（学院审核人）/);
      assert.match(last[2], /审核通过：待审核 → 学院已审核/);
      assert.equal(last[3], '技术路线清楚，中试数据充分，同意。');
      await screenshot(page, 'revit-2-faculty');
    } finally {
      await context.close();
    }
  });

  test('3. the institution approves it, takes it into the base pool and screens it into the transferable pool', async () => {
    const { context, page } = await newPage('institution_admin');
    try {
      await navigate(page, '存量专利盘活', '/inventory?view=review');
      const link = page.locator(`main table.inventory tbody tr a[href="${flow.recordHref}"]`);
      assert.equal(await link.count(), 1, `the record is not waiting for the institution: ${await page.locator('main table').innerText()}`);
      await clickTo(page, link, flow.recordHref);
      await reviewStep(page, 'approve', '同意纳入学校存量专利基础库。', '单位已审核');
      await reviewStep(page, 'add_to_base_pool', '', '专利基础库');
      await reviewStep(page, 'screen_into_pool', '技术成熟、转化意愿明确，遴选入库。', '可转化专利资源库');
      assert.match(await flashText(page), /已遴选入可转化专利资源库，记录当前为“可转化专利资源库”/);
      const steps = (await history(page)).map((r) => r[2]);
      for (const s of ['审核通过：学院已审核 → 单位已审核', '纳入专利基础库：单位已审核 → 专利基础库', '遴选入可转化专利资源库：专利基础库 → 可转化专利资源库']) {
        assert.ok(steps.includes(s), `no history row ${s}: ${JSON.stringify(steps)}`);
      }
      await screenshot(page, 'revit-3-pooled');
    } finally {
      await context.close();
    }

    // An anonymous visitor finds it in the public pool, without the contact person.
    const anon = await newPage(null);
    try {
      await anon.page.goto(`${server.base}/`);
      await navigate(anon.page, '存量专利盘活', '/pool');
      const card = anon.page.locator('main ol.pool-list > li.hit', { hasText: TITLE });
      assert.equal(await card.count(), 1, `the patent is not in the public pool: ${await anon.page.locator('main ol').innerText()}`);
      assert.match(await card.innerText(), new RegExp(`${flow.applicationNo}[\\s\\S]*${INSTITUTION}[\\s\\S]*可许可 · TRL6[\\s\\S]*预期价格：30万–60万元`));
      await clickTo(anon.page, card.locator('h3 a'), /^\/pool\/\d+$/);
      flow.poolHref = pathname(anon.page);
      const text = await anon.page.locator('main').innerText();
      assert.equal((await anon.page.locator('main h1').innerText()).trim(), TITLE);
      for (const t of [BRIEF.problem, BRIEF.advantage, '富硒食品', '许可']) assert.ok(text.includes(t), `the pool page lacks ${t}`);
      for (const t of [CONTACT.name, CONTACT.phone]) assert.ok(!text.includes(t), `the public pool shows the contact ${t}`);
      assert.ok(!(await anon.page.content()).includes(CONTACT.phone), 'the contact phone is in the page source');
      assert.ok(await anon.page.locator('main a', { hasText: '登录后可表达意向' }).isVisible());
      assert.equal(await anon.page.locator('#feedback-form').count(), 0, 'an anonymous visitor is offered the feedback form');
      await screenshot(anon.page, 'revit-3-pool-anonymous');
    } finally {
      await anon.context.close();
    }
  });

  test('4. the bureau pushes it by 智能匹配 to the best-matching enterprises', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      await navigate(page, '存量专利盘活', '/campaigns');
      await clickTo(page, page.locator('main a', { hasText: '发起推送' }), '/campaigns/new');
      const step1 = page.locator('#campaign-step1');
      await step1.locator('input[name="q"]').fill(TITLE);
      await clickTo(page, step1.locator('button', { hasText: '查找' }), '/campaigns/new');
      const patent = page.locator('#campaign-step1 fieldset.patent-choices label.check', { hasText: TITLE });
      assert.equal(await patent.count(), 1, `the patent is not offered: ${await page.locator('#campaign-step1').innerText()}`);
      await patent.locator('input[type="checkbox"]').check();
      await page.locator('#campaign-step1 select[name="selection"]').selectOption({ label: '智能匹配' });
      await clickTo(page, page.locator('#campaign-step1 button', { hasText: '下一步：选择企业' }), '/campaigns/new');

      const step2 = page.locator('#campaign-step2');
      assert.ok(await step2.isVisible(), 'no second step');
      assert.match(await page.locator('main section.card', { has: step2 }).innerText(), new RegExp(`已选专利：${TITLE}`));
      const candidates = await step2.locator('fieldset.enterprise-choices label.check').evaluateAll((labels) =>
        labels.map((l) => ({
          name: [...l.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim(),
          reasons: [...l.querySelectorAll('.hint-line')].map((r) => r.textContent.trim()),
        })),
      );
      assert.ok(candidates.length >= 3, `only ${candidates.length} candidates: ${JSON.stringify(candidates)}`);
      const scores = candidates.map((c) => Number(/匹配度 (\d+)%/.exec(c.reasons.join(' '))?.[1]));
      assert.ok(scores.every((s) => Number.isFinite(s)), `a candidate without 匹配度: ${JSON.stringify(candidates)}`);
      for (let i = 1; i < scores.length; i++) assert.ok(scores[i] <= scores[i - 1], `not ranked: ${scores}`);
      // The tea company comes first, for its business scope and its need; each candidate says why.
      assert.equal(candidates[0].name, ENTERPRISE, `candidates: ${candidates.map((c) => c.name)}`);
      assert.equal(scores[0], 100);
      assert.match(candidates[0].reasons.join(' '), /命中 .*经营范围.*同属产业链 富硒食品/);
      const best = candidates.slice(0, 3);
      for (const c of best) assert.match(c.reasons.join(' '), /命中/, `no reasons for ${c.name}`);
      await screenshot(page, 'revit-4-candidates');

      // The three best come ticked, the rest not; the officer launches the push as offered.
      const ticked = await step2.locator('fieldset.enterprise-choices input[name="enterprise"]').evaluateAll((boxes) => boxes.map((b) => b.checked));
      assert.deepEqual(ticked, candidates.map((_, i) => i < 3), `ticked: ${ticked}`);
      await step2.locator('input[name="title"]').fill('富硒速溶茶粉专利智能匹配推送');
      await clickTo(page, step2.locator('button', { hasText: '发起推送' }), /^\/campaigns\/\d+$/);
      flow.campaignHref = pathname(page);
      assert.match(await flashText(page), /^推送批次已创建：新推送 3 条/);
      assert.equal((await page.locator('main h1').innerText()).trim(), '富硒速溶茶粉专利智能匹配推送');
      assert.match(await page.locator('main dl.facts').innerText(), /选择方式\s*智能匹配[\s\S]*推送\s*3 条/);
      const pushes = await page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.innerText));
      assert.equal(pushes.length, 3, `pushes: ${pushes}`);
      for (const p of pushes) assert.ok(p.includes(TITLE) && p.includes('已推荐') && p.includes('未查看'), p);
      assert.deepEqual(
        pushes.map((p) => best.find((c) => p.includes(c.name))?.name).sort(),
        best.map((c) => c.name).sort(),
      );
      await screenshot(page, 'revit-4-campaign');
    } finally {
      await context.close();
    }
  });

  test('5. the enterprise finds the push, gives feedback and asks the holder a question', async () => {
    const { context, page } = await newPage('enterprise_user');
    try {
      await navigate(page, '供需对接', '/matches?origin=push');
      const row = page.locator('main table tbody tr', { hasText: TITLE });
      assert.equal(await row.count(), 1, `the push is not listed: ${await page.locator('main table').innerText()}`);
      assert.match(await row.innerText(), /局推送[\s\S]*已推荐/);
      await clickTo(page, row.locator('td:nth-child(2) a').first(), /^\/matches\/\d+$/);
      assert.equal((await page.locator('#match-state').innerText()).trim(), '已查看');
      await clickTo(page, page.locator('main a', { hasText: '评价反馈' }), flow.poolHref);

      const form = page.locator('#feedback-form');
      await form.locator('select[name="prospect"]').selectOption({ value: '5' });
      await form.locator('textarea[name="improvement_needs"]').fill('希望提供喷雾干燥段的能耗数据和中试产品检测报告。');
      await form.locator('select[name="intent"]').selectOption({ label: '有明确合作意向' });
      await form.locator('select[name="preferred_mode"]').selectOption({ label: '许可' });
      await clickTo(page, form.locator('button', { hasText: '提交评价反馈' }), flow.poolHref);
      assert.match(await flashText(page), /感谢您的评价反馈/);
      assert.match(await page.locator('#feedback').innerText(), /贵企业最近一次反馈[\s\S]*产业化前景 5[\s\S]*有明确合作意向（许可）/);
      await screenshot(page, 'revit-5-feedback');

      const ask = page.locator(`main form[action="${flow.poolHref}/ask"]`);
      assert.ok(await page.locator('#ask', { hasText: '向专利权人咨询' }).isVisible());
      await ask.locator('textarea[name="question"]').fill('速溶茶粉的中试线每批次产量是多少？许可后学院能否派人驻厂指导调试？');
      await clickTo(page, ask.locator('button', { hasText: '提交咨询' }), /^\/inquiries\/\d+$/);
      flow.inquiryHref = pathname(page);
      assert.match(await flashText(page), /咨询已发送/);
      assert.equal((await page.locator('#inquiry-state').innerText()).trim(), '待答复');
      const clock = (await page.locator('#inquiry-clock').innerText()).trim();
      const left = /^剩余(\d+)个工作日$/.exec(clock);
      assert.ok(left && Number(left[1]) >= 1, `countdown: ${clock}`);
      assert.match(await page.locator('main dl.facts').innerText(), new RegExp(`专利权人\\s*${INSTITUTION}[\\s\\S]*答复期限\\s*\\d{4}-\\d{2}-\\d{2}`));
      await screenshot(page, 'revit-5-inquiry');
    } finally {
      await context.close();
    }
  });

  test('6. the institution, notified, answers within the deadline', async () => {
    const { context, page } = await newPage('institution_admin');
    try {
      const bell = page.locator('header.site .who a.notify');
      await clickTo(page, bell, '/notifications');
      const notice = page.locator('main ul.notices li.notice-item.unread', { hasText: `${ENTERPRISE}咨询专利“${TITLE}”` });
      assert.equal(await notice.count(), 1, `no notice of the inquiry: ${await page.locator('main ul.notices').innerText()}`);
      await clickTo(page, notice.locator('button', { hasText: '查看' }), flow.inquiryHref);
      assert.equal((await page.locator('#inquiry-state').innerText()).trim(), '待答复');
      assert.match((await page.locator('#inquiry-clock').innerText()).trim(), /^剩余\d+个工作日$/);

      // The same inquiry is in the institution's 企业咨询 list, waiting.
      await navigate(page, '存量专利盘活', '/inquiries');
      const row = page.locator('main table.inquiries tbody tr', { has: page.locator(`a[href="${flow.inquiryHref}"]`) });
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), new RegExp(`${ENTERPRISE}[\\s\\S]*待答复[\\s\\S]*剩余\\d+个工作日`));
      await clickTo(page, row.locator(`a[href="${flow.inquiryHref}"]`).first(), flow.inquiryHref);

      const answer = '中试线每批次可产速溶茶粉约50千克。许可后学院派工艺负责人驻厂指导调试两周，并提供操作培训。';
      await page.locator('#answer textarea[name="answer"]').fill(answer);
      await clickTo(page, page.locator('#answer button', { hasText: '提交答复' }), flow.inquiryHref);
      assert.match(await flashText(page), /^已答复/);
      assert.equal((await page.locator('#inquiry-state').innerText()).trim(), '已答复');
      assert.equal((await page.locator('#inquiry-clock').innerText()).trim(), '按时答复');
      assert.equal((await page.locator('#inquiry-answer').innerText()).trim(), answer);
      await screenshot(page, 'revit-6-answered');
    } finally {
      await context.close();
    }
  });

  test('7. a roadshow presents it, the bureau follows the enterprise up and records the licence deal', async () => {
    const { context, page } = await newPage('bureau_officer');
    const day = today();
    try {
      await navigate(page, '存量专利盘活', '/roadshows');
      await clickTo(page, page.locator('main a.button', { hasText: '新建路演' }), '/roadshows/new');
      const form = page.locator('main form[action="/roadshows"]');
      await form.locator('input[name="title"]').fill('富硒速溶茶粉专利专场路演');
      await form.locator('input[name="held_on"]').fill(day);
      await form.locator('select[name="mode"]').selectOption({ label: '现场' });
      await form.locator('input[name="venue"]').fill('安康市科技创新中心二楼路演厅');
      await form.locator('select[name="chain_code"]').selectOption({ label: '富硒食品' });
      await form.locator('textarea[name="description"]').fill('安康理工学院富硒速溶茶粉制备技术专场路演，发明人讲解，企业现场洽谈。');
      await form.locator('fieldset.roadshow-patents label.check', { hasText: TITLE }).locator('input[type="checkbox"]').check();
      await clickTo(page, form.locator('button', { hasText: '保存' }), /^\/roadshows\/\d+$/);
      flow.roadshowHref = pathname(page);
      assert.match(await flashText(page), /路演活动已创建/);
      assert.equal((await page.locator('#roadshow-status').innerText()).trim(), '筹备中');
      const presented = page.locator('main section.card', { has: page.locator('h2', { hasText: '推介专利' }) });
      assert.match(await presented.locator('tbody').innerText(), new RegExp(`${flow.applicationNo}[\\s\\S]*${TITLE}[\\s\\S]*${INSTITUTION}`));

      await clickTo(page, page.locator('main button', { hasText: '标记为已举办' }), flow.roadshowHref);
      assert.equal((await page.locator('#roadshow-status').innerText()).trim(), '已举办');
      await screenshot(page, 'revit-7-roadshow');

      // One-on-one follow-up of the patent with the tea company.
      const open = page.locator(`#follow-ups form[action="${flow.roadshowHref}/follow-ups"]`);
      await open.locator('select[name="patent_id"]').selectOption({ label: TITLE });
      await open.locator('select[name="enterprise_org_id"]').selectOption({ label: ENTERPRISE });
      await clickTo(page, open.locator('button', { hasText: '建立跟踪项目' }), /^\/follow-ups\/\d+$/);
      flow.projectHref = pathname(page);
      assert.match(await flashText(page), /跟踪项目已建立/);
      assert.equal((await page.locator('main h1').innerText()).trim(), TITLE);
      assert.equal((await page.locator('#project-state').innerText()).trim(), '跟进中');
      assert.match(await page.locator('main dl.facts').innerText(), new RegExp(`企业\\s*${ENTERPRISE}[\\s\\S]*来源\\s*路演：富硒速溶茶粉专利专场路演`));

      const entry = page.locator(`#record form[action="${flow.projectHref}/entries"]`);
      assert.equal(await entry.locator('input[name="happened_on"]').inputValue(), day, 'the follow-up date is not today');
      await entry.locator('input[name="contact"]').fill('王经理');
      await entry.locator('textarea[name="content"]').fill('企业到学院中试车间考察速溶茶粉生产线，双方就普通许可和许可费用达成一致。');
      await entry.locator('input[name="next_step"]').fill('起草许可合同并办理备案');
      await clickTo(page, entry.locator('button', { hasText: '保存跟进记录' }), flow.projectHref);
      assert.match(await flashText(page), /跟进情况已记录/);
      const entries = page.locator('main section.card', { has: page.locator('h2', { hasText: '跟进记录' }) }).locator('tbody tr');
      assert.equal(await entries.count(), 1);
      assert.match(await entries.first().innerText(), /王经理[\s\S]*中试车间[\s\S]*起草许可合同[\s\S]*继续跟进/);

      // The deal, pre-filled from the project.
      await clickTo(page, page.locator('main a.button', { hasText: '登记转化交易' }), '/deals/new');
      const deal = page.locator('main form[action="/deals"]');
      assert.equal(await deal.locator('select[name="kind"] option:checked').innerText(), '许可');
      assert.equal(await deal.locator('select[name="license_scope"] option:checked').innerText(), '普通许可');
      assert.equal(await deal.locator('select[name="holder_org_id"] option:checked').innerText(), INSTITUTION);
      assert.equal((await deal.locator('textarea[name="patents"]').inputValue()).trim(), flow.applicationNo);
      assert.equal(await deal.locator('select[name="party_org_0"] option:checked').innerText(), ENTERPRISE);
      await deal.locator('select[name="kind"]').selectOption({ label: '许可' });
      await deal.locator('select[name="license_scope"]').selectOption({ label: '普通许可' });
      await deal.locator('input[name="amount"]').fill(String(DEAL.amount));
      await deal.locator('input[name="signed_on"]').fill(day);
      await deal.locator('input[name="contract_no"]').fill(DEAL.contract);
      await deal.locator('input[name="effective_from"]').fill(day);
      await deal.locator('input[name="effective_to"]').fill(addYears(day, 3));
      await deal.locator('select[name="filing_status"]').selectOption({ label: '待备案' });
      await deal.locator('textarea[name="note"]').fill('路演后一对一对接达成，普通许可三年。');
      await screenshot(page, 'revit-7-deal-form');
      await clickTo(page, deal.locator('button', { hasText: '保存交易' }), /^\/deals\/\d+$/);
      flow.dealHref = pathname(page);
      assert.match(await flashText(page), /转化交易已登记，涉及的专利计为已转化/);
      assert.equal((await page.locator('main h1').innerText()).trim(), `许可（普通许可） · ${INSTITUTION}`);
      assert.equal((await page.locator('#deal-status').innerText()).trim(), '有效');
      const facts = await page.locator('main dl.facts').innerText();
      for (const t of [`被许可方\t${ENTERPRISE}`, '38万元', DEAL.contract, '待备案', `签订日期\t${day}`, `有效期至\t${addYears(day, 3)}`, '路演']) {
        assert.ok(facts.replace(/\n/g, '\t').includes(t), `the deal does not show ${JSON.stringify(t)}: ${facts}`);
      }
      assert.match(await page.locator('main table tbody').innerText(), new RegExp(`${flow.applicationNo}\\s*${TITLE}`));
      assert.equal(await page.locator(`main a[href="${flow.projectHref}"]`, { hasText: `${TITLE} × ${ENTERPRISE}` }).count(), 1);
      await screenshot(page, 'revit-7-deal');

      // The project ends as 已成交, linked to the deal.
      await clickTo(page, page.locator(`main a[href="${flow.projectHref}"]`), flow.projectHref);
      assert.equal((await page.locator('#project-state').innerText()).trim(), '已成交');
      assert.equal(await page.locator(`main dl.facts a[href="${flow.dealHref}"]`).count(), 1);
      assert.equal(await page.locator('main a.button', { hasText: '登记转化交易' }).count(), 0, 'a second deal is offered');
    } finally {
      await context.close();
    }
  });

  test('8. the coverage page counts the patent as converted, and the deal list shows it', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      await navigate(page, '存量专利盘活', '/coverage');
      const after = await coverageRow(page, INSTITUTION);
      const b = flow.before;
      // Converted patents leave the scope of the inventory; the institution has one more converted patent and
      // one more deal, and the deal's amount is in its converted amount.
      assert.equal(Number(after['已转化']), Number(b['已转化']) + 1, `已转化: ${JSON.stringify({ b, after })}`);
      assert.equal(Number(after['交易数']), Number(b['交易数']) + 1, `交易数: ${JSON.stringify({ b, after })}`);
      assert.equal(yuan(after['转化金额']), yuan(b['转化金额']) + DEAL.amount, `转化金额: ${JSON.stringify({ b, after })}`);
      assert.equal(Number(after['应盘点']), Number(b['应盘点']) - 1, `应盘点: ${JSON.stringify({ b, after })}`);
      const city = await page.locator('#city-figures').innerText();
      assert.match(city, new RegExp(`转化金额\\s*${after['转化金额'].replace(/[.]/g, '\\.')}`));
      await screenshot(page, 'revit-8-coverage');

      // The 已转化专利 list names the patent with its licence, linked to the deal.
      const converted = page.locator('#converted tbody tr', { has: page.locator(`a[href="${flow.dealHref}"]`) });
      assert.equal(await converted.count(), 1, `the patent is not in 已转化专利: ${await page.locator('#converted').innerText()}`);
      assert.match(await converted.innerText(), new RegExp(`${flow.applicationNo}\\s*${TITLE}\\s*${INSTITUTION}\\s*许可（普通许可）\\s*${ENTERPRISE}\\s*38万元\\s*${today()}`));
      assert.equal(await converted.locator(`a[href^="/patents/"]`, { hasText: flow.applicationNo }).count(), 1);
      assert.match(await page.locator('#converted p.muted').innerText(), /共 \d+ 件/);

      // The deal list names the patent too.
      await navigate(page, '存量专利盘活', '/deals');
      const row = page.locator('main table tbody tr', { has: page.locator(`a[href="${flow.dealHref}"]`) });
      assert.equal(await row.count(), 1, 'the deal is not listed');
      assert.match(await row.innerText(), new RegExp(`许可（普通许可）\\s*${INSTITUTION}\\s*${ENTERPRISE}\\s*${TITLE}\\s*38万元\\s*${today()}\\s*待备案\\s*有效`));
      await screenshot(page, 'revit-8-deals');
    } finally {
      await context.close();
    }
  });

  test('9. phones get the pool, the inventory record and the coverage page without horizontal scrolling', async () => {
    const phone = { width: 390, height: 844 };
    const anon = await newPage(null, phone);
    try {
      await anon.page.goto(`${server.base}/pool`);
      assert.ok((await anon.page.locator('main ol.pool-list > li.hit').count()) > 0, 'no pool on the phone');
      await assertNoHorizontalScroll(anon.page, '/pool');
      await screenshot(anon.page, 'revit-9-pool-phone');
      await anon.page.goto(`${server.base}${flow.poolHref}`);
      await assertNoHorizontalScroll(anon.page, 'the pool patent');
    } finally {
      await anon.context.close();
    }
    const { context, page } = await newPage('institution_admin', phone);
    try {
      await page.goto(`${server.base}${flow.recordHref}`);
      assert.equal((await page.locator('main h1').innerText()).trim(), TITLE);
      await assertNoHorizontalScroll(page, 'the inventory record');
      await screenshot(page, 'revit-9-record-phone');
      await page.goto(`${server.base}/coverage`);
      assert.equal((await page.locator('main h1').innerText()).trim(), '盘点覆盖情况');
      await assertNoHorizontalScroll(page, '/coverage');
      await screenshot(page, 'revit-9-coverage-phone');
    } finally {
      await context.close();
    }
    // The bureau's coverage page, with the city figures and every institution's row, too.
    const bureau = await newPage('bureau_officer', phone);
    try {
      await bureau.page.goto(`${server.base}/coverage`);
      assert.ok(await bureau.page.locator('#city-figures').isVisible(), 'no city figures on the phone');
      await assertNoHorizontalScroll(bureau.page, '/coverage (bureau)');
      await screenshot(bureau.page, 'revit-9-coverage-bureau-phone');
    } finally {
      await bureau.context.close();
    }
  });
});
