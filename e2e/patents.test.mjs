// Patent records in the browser: the filtered list, a patent's detail and history, the xlsx export,
// importing CNIPA-style CSV files (UTF-8 with BOM and GB18030) through the upload form, re-importing
// without changes, the error report, linking an unmatched applicant name, and who may import.
//
// The tests of this file share one platform and run in order: the applicant linked in the third test
// is the one the second test's files bring in.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, flashText, screenshot, submitLogin, useBrowser, usePlatform } from './server.mjs';

const server = usePlatform();
const chrome = useBrowser();

const pathname = (page) => new URL(page.url()).pathname;

async function newPage(username) {
  const context = await chrome.browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  if (username) {
    await submitLogin(page, server.base, username);
    assert.match(await flashText(page), /^登录成功。/, `${username} could not log in`);
  }
  return { context, page };
}

/** Clicks something that starts a download; returns the downloaded bytes and the suggested name. */
async function download(page, locator, saveAs) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), locator.click()]);
  const failure = await dl.failure();
  assert.equal(failure, null, `download failed: ${failure}`);
  const file = path.join(ARTIFACTS, saveAs);
  await dl.saveAs(file);
  return { bytes: fs.readFileSync(file), name: dl.suggestedFilename() };
}

function assertXlsx({ bytes, name }, minBytes, what) {
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', `${what} is not a zip/xlsx (starts ${bytes.subarray(0, 8).toString('hex')})`);
  assert.ok(bytes.length > minBytes, `${what} is only ${bytes.length} bytes`);
  assert.match(name, /\.xlsx$/, `${what} is offered as ${name}`);
}

/** The "label → value" pairs of a <dl class="facts">. */
async function facts(page) {
  return page.locator('main dl.facts').first().evaluate((dl) => {
    const out = {};
    for (const dt of dl.querySelectorAll('dt')) out[dt.textContent.trim()] = dt.nextElementSibling?.textContent.trim() ?? '';
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------
// Application numbers: 12 digits YYYY T NNNNNNN, then a check character (weighted sum mod 11, 10 → X).

function applicationNo(year, type, serial) {
  const digits = `${year}${type}${String(serial).padStart(7, '0')}`;
  const weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  const sum = [...digits].reduce((s, d, i) => s + Number(d) * weights[i], 0) % 11;
  return `${digits}.${sum === 10 ? 'X' : sum}`;
}

/** The same number with a different (so wrong) check character. */
function withWrongCheck(no) {
  const right = no.at(-1);
  const wrong = right === '0' ? '1' : '0';
  return no.slice(0, -1) + wrong;
}

// An applicant name that is no demo organisation, so it lands on /applicants.
const NEW_APPLICANT = '西安某某科技有限公司';
// The first title carries 䶮 (U+4DAE, CJK extension A): outside GBK, four bytes in GB18030.
const GOOD = [
  { no: applicationNo(2024, 1, 9_000_001), title: '一种富硒茶䶮饮料的制备方法', date: '2024-03-05', applicant: NEW_APPLICANT, ipc: 'A23F3/06', status: '有权', type: '发明' },
  { no: applicationNo(2024, 1, 9_000_002), title: '一种魔芋粉低温干燥装置及方法', date: '2024/4/6', applicant: `${NEW_APPLICANT};安康魔芋食品股份有限公司`, ipc: 'A23L19/10', status: '审中', type: '发明' },
  { no: applicationNo(2024, 2, 9_000_003), title: '一种尾矿再生骨料建筑板材', date: '20240507', applicant: NEW_APPLICANT, ipc: 'C04B28/04', status: '有权', type: '实用新型' },
];
const BAD = [
  // A wrong check digit.
  { no: withWrongCheck(applicationNo(2024, 1, 9_000_004)), title: '校验位错误的专利', date: '2024-05-08', applicant: NEW_APPLICANT, ipc: 'A23F3/06', status: '有权', type: '发明' },
  // No title.
  { no: applicationNo(2024, 1, 9_000_005), title: '', date: '2024-05-09', applicant: NEW_APPLICANT, ipc: 'A23F3/06', status: '审中', type: '发明' },
];
const HEADER = ['申请号', '专利名称', '申请日', '申请人', '主分类号', '法律状态', '专利类型'];

function csvText() {
  const line = (r) => [r.no, r.title, r.date, r.applicant, r.ipc, r.status, r.type].join(',');
  return [HEADER.join(','), line(GOOD[0]), line(BAD[0]), line(GOOD[1]), line(BAD[1]), line(GOOD[2])].join('\r\n') + '\r\n';
}

const files = { dir: '', utf8: '', gb18030: '' };

before(() => {
  files.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipbridge-e2e-csv-'));
  const text = csvText();
  // What Excel writes for "CSV UTF-8": a byte order mark, then UTF-8.
  files.utf8 = path.join(files.dir, 'cnipa-utf8.csv');
  fs.writeFileSync(files.utf8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
  // What Excel/WPS on Chinese Windows write for plain "CSV": GB18030 (Node has no encoder; Python has).
  files.gb18030 = path.join(files.dir, '专利导出-gb18030.csv');
  execFileSync('python3', [
    '-c',
    "import sys; open(sys.argv[2], 'wb').write(open(sys.argv[1], encoding='utf-8-sig', newline='').read().encode('gb18030'))",
    files.utf8,
    files.gb18030,
  ]);
  const gb = fs.readFileSync(files.gb18030);
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(gb), 'the GB18030 file is valid UTF-8: encoding did not happen');
  assert.equal(new TextDecoder('gb18030').decode(gb), text, 'GB18030 file does not decode back to the CSV text');
  // Two bytes a common character instead of UTF-8's three.
  assert.ok(gb.length < Buffer.byteLength(text, 'utf8'), 'the GB18030 file is not smaller than its UTF-8 text');
});

after(() => {
  if (files.dir) fs.rmSync(files.dir, { recursive: true, force: true });
});

/** The five counters of an import run's progress block. */
async function counts(page) {
  return page.locator('#progress ul.targets li').evaluateAll((lis) =>
    Object.fromEntries(lis.map((li) => [li.querySelector('strong').textContent.trim(), Number(li.querySelector('.big').textContent.trim())])),
  );
}

/** Uploads a file through /imports/new and waits for the run page to show 已完成; returns the run id. */
async function uploadAndWait(page, file) {
  await page.goto(`${server.base}/imports/new`);
  assert.equal((await page.locator('main h1').innerText()).trim(), '导入数据');
  const form = page.locator('form#upload-form');
  await form.locator('select[name="kind"]').selectOption('patents');
  await form.locator('input[type="file"][name="file"]').setInputFiles(file);
  await Promise.all([
    page.waitForURL((u) => /^\/imports\/\d+$/.test(u.pathname), { timeout: 15_000 }),
    form.locator('button[type="submit"]', { hasText: '上传并导入' }).click(),
  ]);
  const id = Number(pathname(page).split('/').pop());
  assert.equal((await page.locator('main h1').innerText()).trim(), `专利导入：${path.basename(file)}`);
  // The run goes on in the background; the block polls itself every second until the run ends.
  await page.locator('#progress p b', { hasText: '已完成' }).waitFor({ timeout: 15_000 });
  return id;
}

describe('patents', () => {
  test('bureau_officer filters the list, opens a patent, and exports the filtered list', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      const res = await page.goto(`${server.base}/patents`);
      assert.equal(res.status(), 200);
      assert.equal((await page.locator('main h1').innerText()).trim(), '专利');
      const pagerText = async () => (await page.locator('main nav.pager span').first().innerText()).trim();
      const all = Number((await pagerText()).match(/^共 (\d+) 条/)?.[1]);
      assert.ok(all >= 300 && all <= 400, `the demo should hold ~320 patents, the pager says: ${await pagerText()}`);
      const rows = page.locator('main table tbody tr');
      assert.ok((await rows.count()) >= 10, 'the first page shows too few rows');
      const pages = Number((await pagerText()).match(/第 1\/(\d+) 页/)?.[1]);
      assert.ok(pages > 1, `one page for ${all} patents: ${await pagerText()}`);
      const firstPageNos = await rows.locator('td:first-child').allInnerTexts();
      await Promise.all([page.waitForNavigation(), page.locator('main nav.pager a', { hasText: '下一页' }).click()]);
      assert.equal(new URL(page.url()).searchParams.get('page'), '2');
      assert.match(await pagerText(), new RegExp(`^共 ${all} 条，第 2/${pages} 页`));
      const secondPageNos = await rows.locator('td:first-child').allInnerTexts();
      assert.ok(secondPageNos.length > 0 && secondPageNos.every((n) => !firstPageNos.includes(n)), 'page 2 repeats page 1');

      // --- Filters through the form.
      const form = page.locator('main form.filters');
      await form.locator('select[name="type"]').selectOption({ label: '发明' });
      await form.locator('select[name="in_force"]').selectOption({ label: '有效' });
      await form.locator('input[name="ipc"]').fill('A23F');
      await Promise.all([page.waitForNavigation(), form.locator('button[type="submit"]', { hasText: '查询' }).click()]);
      const params = new URL(page.url()).searchParams;
      assert.equal(params.get('type'), 'invention');
      assert.equal(params.get('in_force'), '1');
      assert.equal(params.get('ipc'), 'A23F');
      // The form keeps the chosen filters.
      assert.equal(await form.locator('select[name="type"]').inputValue(), 'invention');
      assert.equal(await form.locator('select[name="in_force"]').inputValue(), '1');
      assert.equal(await form.locator('input[name="ipc"]').inputValue(), 'A23F');

      const filtered = Number((await pagerText()).match(/^共 (\d+) 条/)?.[1]);
      assert.ok(filtered > 0 && filtered < all, `filtered total ${filtered} is not below ${all}`);
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => {
          const td = tr.querySelectorAll('td');
          return {
            href: td[0].querySelector('a')?.getAttribute('href'),
            no: td[0].textContent.trim(),
            type: td[2].textContent.trim(),
            status: td[4].textContent.trim(),
            statusOk: !!td[4].querySelector('span.ok'),
            ipc: td[5].textContent.trim(),
          };
        }),
      );
      assert.equal(shown.length, Math.min(filtered, shown.length));
      assert.ok(shown.length > 0, 'no rows shown for a non-empty result');
      for (const r of shown) {
        assert.equal(r.type, '发明', `row ${r.no} has type ${r.type}`);
        assert.equal(r.status, '有权', `row ${r.no} has status ${r.status}`);
        assert.ok(r.statusOk, `row ${r.no} is not marked as in force`);
      }
      assert.ok(shown.some((r) => r.ipc.startsWith('A23F')), `no row's main IPC starts with A23F: ${shown.map((r) => r.ipc)}`);
      // The prefix matches any of a patent's classification codes, not only the main one: a row whose main
      // code is elsewhere must carry an A23F code among its others.
      for (const r of shown.filter((r) => !r.ipc.startsWith('A23F'))) {
        const html = await (await context.request.get(`${server.base}${r.href}`)).text();
        assert.match(html, /<code>A23F/, `row ${r.no} (main IPC ${r.ipc}) has no A23F code at all`);
      }
      await screenshot(page, 'patents-list');
      const filteredUrl = page.url();

      // --- A patent's detail page.
      const first = shown.find((r) => r.ipc.startsWith('A23F'));
      await Promise.all([
        page.waitForURL((u) => u.pathname === first.href),
        page.locator(`main table tbody tr td:nth-child(2) a[href="${first.href}"]`).click(),
      ]);
      assert.equal((await page.locator('main p.muted code').first().innerText()).trim(), first.no);
      const f = await facts(page);
      assert.equal(f['申请号'], first.no);
      assert.equal(f['专利类型'], '发明');
      assert.match(f['法律状态'] ?? '', /^有权（.*）\s*·\s*有效$/, `法律状态: ${f['法律状态']}`);
      assert.match(f['保护期届满日'] ?? '', /^\d{4}-\d{2}-\d{2}$/, `保护期届满日: ${f['保护期届满日']}`);
      // An invention is protected for 20 years from filing: the expiry lies 20 years (less a day) after it.
      const [y, m, d] = f['申请日'].split('-').map(Number);
      const expiry = new Date(Date.UTC(y + 20, m - 1, d - 1)).toISOString().slice(0, 10);
      assert.equal(f['保护期届满日'], expiry, `filed ${f['申请日']}`);

      const card = page.locator('main section.card').first();
      const applicants = card.locator('h2:text-is("申请人 / 专利权人") + ol li');
      assert.ok((await applicants.count()) >= 1, 'no applicant listed');
      const orgLink = applicants.locator('a[href^="/orgs/"]').first();
      assert.ok(await orgLink.isVisible(), 'the applicant is not linked to an organisation');
      assert.ok((await orgLink.innerText()).trim().length > 0);

      const codes = (await card.locator('h2:text-is("分类号") + ul li code').allInnerTexts()).map((c) => c.trim());
      assert.ok(codes.includes(first.ipc), `分类号 ${codes} lacks the main IPC ${first.ipc}`);

      const history = page.locator('main section.card', { has: page.locator('h2', { hasText: '变更历史' }) });
      const kinds = (await history.locator('table tbody tr td:nth-child(3)').allInnerTexts()).map((k) => k.trim());
      assert.ok(kinds.some((k) => k.startsWith('创建')), `变更历史 has no 创建 entry: ${kinds}`);
      await screenshot(page, 'patent-detail');

      // --- Back to the filtered list, then 导出 Excel.
      await page.goBack();
      assert.equal(page.url(), filteredUrl);
      const exportLink = page.locator('main a.button', { hasText: '导出 Excel' });
      const href = await exportLink.getAttribute('href');
      const exportParams = new URL(href, server.base).searchParams;
      assert.equal(exportParams.get('type'), 'invention', `export link ${href} lost the filters`);
      assert.equal(exportParams.get('ipc'), 'A23F');
      const xlsx = await download(page, exportLink, 'patents-export.xlsx');
      assertXlsx(xlsx, 5 * 1024, 'the patent export');
      // The export follows the filters: the whole list exports to a larger file.
      const whole = await (await context.request.get(`${server.base}/patents/export`)).body();
      assert.equal(whole.subarray(0, 2).toString('latin1'), 'PK');
      assert.ok(whole.length > xlsx.bytes.length, `unfiltered export (${whole.length} B) is not larger than the filtered one (${xlsx.bytes.length} B)`);
    } finally {
      await context.close();
    }
  });

  test('bureau_officer imports CNIPA CSV files (UTF-8 with BOM, GB18030) and re-imports them unchanged', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      await page.goto(`${server.base}/imports/new`);
      const kinds = (await page.locator('form#upload-form select[name="kind"] option').allInnerTexts()).map((o) => o.trim());
      assert.deepEqual(kinds, ['专利', '机构']);

      // --- First upload: three new patents, two rejected rows.
      const first = await uploadAndWait(page, files.utf8);
      assert.deepEqual(await counts(page), { 读取: 5, 新增: 3, 更新: 0, 未变化: 0, 拒绝: 2 });
      const report = page.locator('#progress a', { hasText: '下载错误报告' });
      assert.equal(await report.getAttribute('href'), `/imports/${first}/report`);
      await screenshot(page, 'import-result');
      const xlsx = await download(page, report, 'import-report.xlsx');
      assertXlsx(xlsx, 1024, 'the error report');

      // --- The same file again: nothing new, nothing changed, the same two rows rejected.
      const second = await uploadAndWait(page, files.utf8);
      assert.ok(second > first, `second run #${second} is not after #${first}`);
      assert.deepEqual(await counts(page), { 读取: 5, 新增: 0, 更新: 0, 未变化: 3, 拒绝: 2 });
      const message = await page.locator('#progress').innerText();
      assert.ok(/没有任何改动/.test(message) || /未变化\s*3\s*条/.test(message), `message of the re-import: ${message}`);
      assert.ok(await page.locator('#progress a', { hasText: '下载错误报告' }).isVisible());

      // --- The same rows in GB18030 under a Chinese file name: decoded to exactly the same records.
      const third = await uploadAndWait(page, files.gb18030);
      assert.ok(third > second);
      assert.deepEqual(await counts(page), { 读取: 5, 新增: 0, 更新: 0, 未变化: 3, 拒绝: 2 });
      await screenshot(page, 'import-result-gb18030');

      // --- The history lists the three runs with their counts.
      await page.goto(`${server.base}/imports`);
      assert.equal((await page.locator('main h1').innerText()).trim(), '数据导入');
      for (const [id, name, inserted, unchanged] of [
        [first, 'cnipa-utf8.csv', '3', '0'],
        [second, 'cnipa-utf8.csv', '0', '3'],
        [third, path.basename(files.gb18030), '0', '3'],
      ]) {
        const row = page.locator('main table tbody tr', { has: page.locator(`a[href="/imports/${id}"]`) });
        assert.equal(await row.count(), 1, `run #${id} missing from /imports`);
        const cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
        assert.equal(cells[0], `#${id}`);
        assert.equal(cells[1], '专利');
        assert.equal(cells[2], name);
        assert.equal(cells[5], '已完成');
        assert.deepEqual(cells.slice(6), ['5', inserted, '0', unchanged, '2'], `counts of run #${id}`);
      }

      // --- The imported patent is in the list, its title intact (the extension-A character too).
      await page.goto(`${server.base}/patents?q=${encodeURIComponent(GOOD[0].no)}`);
      const hit = page.locator('main table tbody tr', { hasText: GOOD[0].no });
      assert.equal(await hit.count(), 1, `${GOOD[0].no} not found after the import`);
      assert.equal((await hit.locator('td:nth-child(2)').innerText()).trim(), GOOD[0].title);
      assert.equal((await hit.locator('td:nth-child(3)').innerText()).trim(), '发明');
      // Neither rejected row made it in.
      for (const bad of BAD) {
        await page.goto(`${server.base}/patents?q=${encodeURIComponent(bad.no.slice(0, 12))}`);
        assert.match(await page.locator('main table tbody').innerText(), /没有符合条件的专利/, `${bad.no} was imported`);
      }
      // The detail page records the import in its history.
      await page.goto(`${server.base}/patents?q=${encodeURIComponent(GOOD[0].no)}`);
      await Promise.all([page.waitForNavigation(), hit.locator('td:nth-child(2) a').click()]);
      const kinds2 = (await page.locator('main section.card', { has: page.locator('h2', { hasText: '变更历史' }) }).locator('tbody tr td:nth-child(3)').allInnerTexts()).map((k) => k.trim());
      assert.deepEqual(kinds2, [`创建（批次 #${first}）`], `history after an unchanged re-import: ${kinds2}`);
    } finally {
      await context.close();
    }
  });

  test('bureau_officer links the unmatched applicant to a demo enterprise', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      const res = await page.goto(`${server.base}/applicants`);
      assert.equal(res.status(), 200);
      assert.equal((await page.locator('main h1').innerText()).trim(), '申请人关联');
      const row = page.locator('main table tbody tr', { has: page.locator(`td:first-child:text-is("${NEW_APPLICANT}")`) });
      assert.equal(await row.count(), 1, `${NEW_APPLICANT} is not listed as unmatched`);
      assert.equal((await row.locator('td:nth-child(2)').innerText()).trim(), String(GOOD.length));
      // A demo organisation named in the file was matched, so it is not listed.
      assert.equal(await page.locator('main table tbody tr td:first-child:text-is("安康魔芋食品股份有限公司")').count(), 0);

      const select = row.locator('select[name="org_id"]');
      const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent.trim() })));
      const target = options.find((o) => o.label.startsWith('企业 · '));
      assert.ok(target, `no enterprise to link to among: ${options.map((o) => o.label)}`);
      const orgName = target.label.replace(/^企业 · /, '');
      await select.selectOption(target.value);
      await Promise.all([page.waitForNavigation(), row.locator('button[type="submit"]', { hasText: '关联' }).click()]);
      assert.equal(pathname(page), '/applicants');
      const flash = await flashText(page);
      assert.match(flash, new RegExp(`已将“${NEW_APPLICANT}”关联到所选机构，${GOOD.length}件专利随之更新`), `flash: ${flash}`);
      assert.equal(await page.locator('main .flash.success').count(), 1);
      assert.equal(await page.locator(`main table tbody td:text-is("${NEW_APPLICANT}")`).count(), 0, 'the linked name is still listed');
      await screenshot(page, 'applicants-linked');

      // The imported patent now leads to the organisation.
      await page.goto(`${server.base}/patents?q=${encodeURIComponent(GOOD[2].no)}`);
      await Promise.all([page.waitForNavigation(), page.locator('main table tbody tr td:nth-child(2) a').first().click()]);
      const link = page.locator('main ol li', { hasText: NEW_APPLICANT }).locator(`a[href="/orgs/${target.value}"]`);
      assert.equal((await link.innerText()).trim(), orgName);
      // The list shows the organisation as the holder too.
      await page.goto(`${server.base}/patents?q=${encodeURIComponent(GOOD[2].no)}`);
      assert.equal((await page.locator('main table tbody tr td:nth-child(7)').first().innerText()).trim(), orgName);
    } finally {
      await context.close();
    }
  });

  test('institution_admin may import patents only; enterprise_user may not import at all', async () => {
    {
      const { context, page } = await newPage('institution_admin');
      try {
        const group = page.locator('nav.main .group', { has: page.locator('.group-title', { hasText: '专利数据' }) });
        await group.hover();
        const item = group.locator('a[href="/imports"]');
        assert.equal((await item.innerText()).trim(), '数据导入');
        await Promise.all([page.waitForURL((u) => u.pathname === '/imports'), item.click()]);
        const res = await page.goto(`${server.base}/imports/new`);
        assert.equal(res.status(), 200);
        const kinds = (await page.locator('form#upload-form select[name="kind"] option').allInnerTexts()).map((o) => o.trim());
        assert.deepEqual(kinds, ['专利'], `institution_admin may choose: ${kinds}`);
        assert.match(await page.locator('main').innerText(), /单位管理员只能导入本单位/);
        // The file names none of the administrator's own organisation: every row is refused, nothing changes.
        const id = await uploadAndWait(page, files.utf8);
        assert.deepEqual(await counts(page), { 读取: 5, 新增: 0, 更新: 0, 未变化: 0, 拒绝: 5 });
        // Their import history holds their own run only, not the bureau's.
        await page.goto(`${server.base}/imports`);
        const runs = await page.locator('main table tbody tr td:first-child a').allInnerTexts();
        assert.deepEqual(runs.map((r) => r.trim()), [`#${id}`]);
      } finally {
        await context.close();
      }
    }
    {
      const { context, page } = await newPage('enterprise_user');
      try {
        assert.equal(await page.locator('nav.main a[href="/imports"]').count(), 0, 'enterprise_user sees 数据导入');
        assert.equal(await page.locator('nav.main a[href="/applicants"]').count(), 0, 'enterprise_user sees 申请人关联');
        for (const url of ['/imports/new', '/applicants', '/imports']) {
          const res = await page.goto(`${server.base}${url}`);
          assert.equal(res.status(), 403, `${url} answered ${res.status()}`);
          assert.equal((await page.locator('main h1').innerText()).trim(), '无权访问', url);
        }
        // The patent list itself is open to every signed-in user.
        assert.equal((await page.goto(`${server.base}/patents`)).status(), 200);
      } finally {
        await context.close();
      }
    }
  });


  test('without JavaScript the upload form still imports', async () => {
    const context = await chrome.browser.newContext({ locale: 'zh-CN', javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await submitLogin(page, server.base, 'bureau_officer');
      await page.goto(`${server.base}/imports/new`);
      await page.locator('form#upload-form input[type="file"]').setInputFiles(files.utf8);
      const [res] = await Promise.all([page.waitForNavigation(), page.locator('form#upload-form button[type="submit"]').click()]);
      assert.notEqual(res?.status(), 403, `the plain form post was refused: ${await page.locator('main').innerText()}`);
      assert.match(pathname(page), /^\/imports\/\d+$/);
    } finally {
      await context.close();
    }
  });

  test('an empty file shows the form error', async () => {
    const { context, page } = await newPage('bureau_officer');
    try {
      const empty = path.join(files.dir, 'empty.csv');
      fs.writeFileSync(empty, '');
      await page.goto(`${server.base}/imports/new`);
      await page.locator('form#upload-form input[type="file"]').setInputFiles(empty);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${server.base}/imports` && r.request().method() === 'POST'),
        page.locator('form#upload-form button[type="submit"]').click(),
      ]);
      assert.equal(res.status(), 422);
      await page.locator('main .flash.error', { hasText: '请选择要导入的文件' }).waitFor({ timeout: 3_000 });
    } finally {
      await context.close();
    }
  });
});
