// The web UI in a real browser: Debian's Chromium driven by playwright-core, against a real `calyx serve` seeded
// by `calyx demo` — once on SQLite and once on PostgreSQL when the test command started one.
// Run: CALYX_BUILD_DIR=build node --test web/tests/browser/   (the README's test command does it)
// Screenshots of the main pages land in <build>/screenshots/<database>/ for review.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

import { startCalyx } from './server.mjs';

const buildDir = resolve(process.env.CALYX_BUILD_DIR ?? 'build');
const password = 'calyx-demo-password';
const backends = ['sqlite', ...(process.env.CALYX_TEST_POSTGRES_URL ? ['postgresql'] : [])];

const rgb = (hex) => {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
};

for (const backend of backends) {
  describe(`web UI on ${backend}`, () => {
    let calyx;
    let browser;
    const shots = join(buildDir, 'screenshots', backend);
    // Every page opened by a test reports dialogs (a script ran), page errors and console errors (a CSP
    // violation among them); each test asserts there were none unless it expects them.
    const trouble = [];

    before(async () => {
      mkdirSync(shots, { recursive: true });
      calyx = await startCalyx(buildDir, backend);
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    });

    after(async () => {
      await browser?.close();
      await calyx?.stop();
    });

    async function newPage(viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.on('dialog', async (dialog) => {
        trouble.push(`dialog: ${dialog.message()}`);
        await dialog.dismiss();
      });
      page.on('pageerror', (error) => trouble.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // A 4xx page is expected where a test asks for one; anything else logged as an error is trouble.
        if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) trouble.push(`console: ${message.text()}`);
      });
      return page;
    }

    function expectNoTrouble() {
      const seen = trouble.splice(0);
      assert.deepEqual(seen, [], 'no script may run and no error may show');
    }

    async function signIn(page, tenant, email) {
      await page.goto(`${calyx.origin(tenant)}/sign-in`);
      await page.fill('#email', email);
      await page.fill('#password', password);
      await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.click('main button[type=submit]')]);
    }

    const style = (page, selector, property) =>
      page.locator(selector).first().evaluate((element, name) => getComputedStyle(element)[name], property);

    async function unlabelledControls(page) {
      return page.evaluate(() =>
        [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
          .map((e) => e.name || e.id));
    }

    test('each workspace shows its own colours and logo', async () => {
      const page = await newPage();
      const expected = {
        acme: { primary: '#c2410c', background: '#fff7ed' },
        globex: { primary: '#0f766e', background: '#f0fdfa' },
      };
      for (const [tenant, colours] of Object.entries(expected)) {
        await page.goto(`${calyx.origin(tenant)}/sign-in`);
        assert.equal(await style(page, 'main button[type=submit]', 'backgroundColor'), rgb(colours.primary), `${tenant} button`);
        assert.equal(await style(page, 'body', 'backgroundColor'), rgb(colours.background), `${tenant} background`);
        const logo = page.locator('img[data-logo]');
        assert.equal(await logo.count(), 1, `${tenant} has a logo`);
        assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth > 0), `${tenant} logo loaded`);
        assert.deepEqual(await unlabelledControls(page), []);
        await page.screenshot({ path: join(shots, `sign-in-${tenant}.png`), fullPage: true });
      }
      expectNoTrouble();
    });

    test('a tenant admin changes the primary colour: the preview shows it at once, the next page load too', async () => {
      const page = await newPage();
      await signIn(page, 'acme', 'ann@acme.localhost');
      await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
      await page.goto(`${calyx.origin('acme')}/admin/theme`);
      assert.deepEqual(await unlabelledControls(page), []);
      await page.fill('#theme-primary_color', '#1d4ed8');
      assert.equal(await style(page, '[data-preview-primary]', 'backgroundColor'), rgb('#1d4ed8'), 'live preview');
      // Nothing is saved yet: the page's own button still has the saved colour.
      assert.equal(await style(page, 'form[data-theme-form] > button[type=submit]', 'backgroundColor'), rgb('#c2410c'));
      await page.screenshot({ path: join(shots, 'theme-editor.png'), fullPage: true });
      await Promise.all([page.waitForURL('**/admin/theme'), page.click('form[data-theme-form] > button[type=submit]')]);
      assert.match(await page.locator('[data-flash]').innerText(), /theme is saved/);
      await page.goto(`${calyx.origin('acme')}/`);
      assert.equal(await style(page, 'a[aria-current=page]', 'color'), rgb('#1d4ed8'));
      // Another workspace is untouched.
      const other = await newPage();
      await other.goto(`${calyx.origin('globex')}/sign-in`);
      assert.equal(await style(other, 'main button[type=submit]', 'backgroundColor'), rgb('#0f766e'));
      // Put it back for the other tests.
      await page.goto(`${calyx.origin('acme')}/admin/theme`);
      await page.fill('#theme-primary_color', '#c2410c');
      await Promise.all([page.waitForURL('**/admin/theme'), page.click('form[data-theme-form] > button[type=submit]')]);
      expectNoTrouble();
    });

    test('turning Blog off removes it from the sidebar and its URLs answer 404; turning it on brings it back', async () => {
      const page = await newPage();
      await signIn(page, 'acme', 'ann@acme.localhost');
      const sidebarBlog = () => page.locator('[data-sidebar] a[href^="/blog"]').count();
      assert.ok((await sidebarBlog()) > 0, 'Blog is in the sidebar');
      await page.goto(`${calyx.origin('acme')}/admin/modules`);
      await page.screenshot({ path: join(shots, 'modules.png'), fullPage: true });
      await Promise.all([page.waitForURL('**/admin/modules'), page.click('[data-module=blog] button[type=submit]')]);
      assert.equal(await page.locator('[data-module=blog] [data-state]').innerText(), 'Off');
      assert.equal(await sidebarBlog(), 0, 'Blog left the sidebar');
      assert.equal((await page.goto(`${calyx.origin('acme')}/blog/editor`)).status(), 404);
      assert.equal((await page.goto(`${calyx.origin('acme')}/blog`)).status(), 404);
      await page.goto(`${calyx.origin('acme')}/admin/modules`);
      await Promise.all([page.waitForURL('**/admin/modules'), page.click('[data-module=blog] button[type=submit]')]);
      assert.equal(await page.locator('[data-module=blog] [data-state]').innerText(), 'On');
      assert.ok((await sidebarBlog()) > 0, 'Blog is back');
      assert.equal((await page.goto(`${calyx.origin('acme')}/blog/editor`)).status(), 200);
      expectNoTrouble();
    });

    test('a member without blog.editor sees no editor entry and gets 403 from the editor', async () => {
      const page = await newPage();
      await signIn(page, 'acme', 'carl@acme.localhost');
      assert.equal(await page.locator('[data-sidebar] a[href^="/blog/editor"]').count(), 0);
      assert.equal(await page.locator('[data-sidebar] a[href^="/admin/"]').count(), 0, 'no admin entries either');
      const response = await page.goto(`${calyx.origin('acme')}/blog/editor`);
      assert.equal(response.status(), 403);
      assert.equal((await page.goto(`${calyx.origin('acme')}/admin/theme`)).status(), 403);
      expectNoTrouble();
    });

    test('the DataTable of the blog editor pages, sorts and filters without reloading the page', async () => {
      const page = await newPage();
      await signIn(page, 'acme', 'ann@acme.localhost');
      await page.goto(`${calyx.origin('acme')}/blog/editor/new`);
      // Enough posts for two pages, written through the editor's own form endpoint.
      await page.evaluate(async () => {
        const csrf = document.querySelector('input[name=_csrf]').value;
        for (let i = 1; i <= 22; i += 1) {
          const n = String(i).padStart(2, '0');
          const body = new URLSearchParams({ _csrf: csrf, title: `Bulk post ${n}`, body: `Number ${n}` });
          const response = await fetch('/blog/editor/posts', { method: 'POST', body, redirect: 'manual' });
          if (![0, 303].includes(response.status)) throw new Error(`post ${n}: ${response.status}`);
        }
      });
      await page.goto(`${calyx.origin('acme')}/blog/editor`);
      const status = page.locator('[data-page-status]');
      assert.match(await status.innerText(), /Page 1 of 2/);
      await page.evaluate(() => { window.sameDocument = true; });
      const stillSameDocument = () => page.evaluate(() => window.sameDocument === true);

      await page.click('[data-datatable] a[rel=next]');
      await page.waitForFunction(() => /Page 2 of 2/.test(document.querySelector('[data-page-status]').textContent));
      assert.match(page.url(), /page=2/);
      assert.ok(await stillSameDocument(), 'paging did not reload the page');

      await page.click('[data-datatable] th a[data-sort=title]');
      await page.waitForFunction(() => /sort=title/.test(location.search) &&
        document.querySelector('th[aria-sort=ascending] a[data-sort=title]'));
      const titles = await page.locator('[data-datatable] tbody tr td:first-child').allInnerTexts();
      assert.deepEqual(titles, [...titles].sort((a, b) => a.localeCompare(b)), 'sorted by title');
      assert.match(await status.innerText(), /Page 1 of 2/, 'sorting starts again at page 1');
      assert.ok(await stillSameDocument(), 'sorting did not reload the page');

      await page.fill('[data-datatable] input[type=search]', 'bulk post 1');
      await page.waitForFunction(() => /q=bulk/.test(location.search) &&
        document.querySelectorAll('[data-datatable] tbody tr').length === 10);
      const filtered = await page.locator('[data-datatable] tbody tr td:first-child').allInnerTexts();
      assert.ok(filtered.every((title) => /^Bulk post 1\d$/.test(title)), filtered.join(', '));
      assert.ok(await stillSameDocument(), 'filtering did not reload the page');
      await page.screenshot({ path: join(shots, 'blog-editor-datatable.png'), fullPage: true });

      // The state is in the URL: opening it afresh shows the same table.
      await page.goto(page.url());
      assert.equal(await page.locator('[data-datatable] tbody tr').count(), 10);
      expectNoTrouble();
    });

    test('the default theme is readable (WCAG AA contrast) and the keyboard reaches the content first', async () => {
      calyx.cli('tenant', 'create', '--slug', 'plain', '--name', 'Plain', '--isolation', 'shared');
      const page = await newPage();
      await page.goto(`${calyx.origin('plain')}/sign-in`);
      const ratios = await page.evaluate(() => {
        const rgb = (text) => text.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((c) => {
          const v = c / 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const ratio = (a, b) => {
          const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((m, n) => n - m);
          return (x + 0.05) / (y + 0.05);
        };
        const style = (selector) => getComputedStyle(document.querySelector(selector));
        const card = style('.card').backgroundColor;
        return {
          button: ratio(style('main button[type=submit]').color, style('main button[type=submit]').backgroundColor),
          link: ratio(style('main a[href="/password/forgot"]').color, card),
          text: ratio(style('h1').color, card),
          footer: ratio(style('footer').color, style('body').backgroundColor),
        };
      });
      for (const [what, ratio] of Object.entries(ratios)) assert.ok(ratio >= 4.5, `${what}: ${ratio.toFixed(2)}:1`);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'email', 'then the form, in reading order');
      await page.screenshot({ path: join(shots, 'sign-in-default-theme.png'), fullPage: true });
      expectNoTrouble();
    });

    test('the sidebar works on a phone-width screen', async () => {
      const page = await newPage({ width: 375, height: 740 });
      await signIn(page, 'globex', 'bob@globex.localhost');
      const sidebar = page.locator('#sidebar');
      assert.equal(await sidebar.isVisible(), false, 'hidden until the menu opens');
      await page.click('button[aria-controls=sidebar]');
      await sidebar.waitFor({ state: 'visible' });
      assert.equal(await page.locator('button[aria-controls=sidebar]').getAttribute('aria-expanded'), 'true');
      await page.screenshot({ path: join(shots, 'phone-menu.png'), fullPage: true });
      assert.equal(await page.locator('#user-menu').isVisible(), false, 'the user menu starts closed');
      await page.click('[data-user-menu]');
      await page.locator('#user-menu').waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await page.locator('#user-menu').waitFor({ state: 'hidden' });
      expectNoTrouble();
    });

    test('a person chooses Portuguese and the interface follows', async () => {
      const page = await newPage();
      await signIn(page, 'globex', 'dana@globex.localhost');
      await page.goto(`${calyx.origin('globex')}/account/language`);
      await page.selectOption('#locale', 'pt-BR');
      await Promise.all([page.waitForURL('**/account/language'), page.click('main button[type=submit]')]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'pt-BR');
      assert.match(await page.locator('[data-sidebar]').innerText(), /Painel/);
      assert.match(await page.locator('[data-flash]').innerText(), /idioma foi alterado/);
      expectNoTrouble();
    });

    test('script injected through any theme field or blog content never runs and never breaks the page', async () => {
      const page = await newPage();
      await signIn(page, 'acme', 'ann@acme.localhost');
      const attempts = {
        company_name: `<img src=x onerror="alert('company')">`,
        copyright_text: `</footer><script>alert('copyright')</script>`,
        support_email: `"><script>alert('email')</script>@example.com`,
        font_family: `x;}</style><script>alert('font')</script>`,
        heading_font: `"Inter", sans-serif; background:url(javascript:alert(1))`,
        primary_color: `red;}body{background:url(javascript:alert('color'))}`,
        secondary_color: `expression(alert('ie'))`,
        logo_url: `javascript:alert('logo')`,
        favicon_url: `https://example.com/x.ico" onerror="alert('favicon')`,
        login_background_url: `//evil.example/bg.png`,
        custom_css: `</style><script>alert('css')</script>`,
      };
      await page.goto(`${calyx.origin('acme')}/admin/theme`);
      for (const [field, payload] of Object.entries(attempts)) await page.fill(`#theme-${field}`, payload);
      await page.click('form[data-theme-form] > button[type=submit]');
      await page.waitForLoadState();
      const refused = await page.locator('[data-field-error]').evaluateAll((nodes) => nodes.map((n) => n.dataset.fieldError));
      // The plain-text fields take any text (it is escaped wherever shown); everything else is refused.
      assert.deepEqual(refused.sort(), Object.keys(attempts).filter((f) => !['company_name', 'copyright_text'].includes(f)).sort());
      expectNoTrouble();
      // CSS that would fetch from elsewhere is refused too.
      for (const css of ['@import url(https://evil.example/x.css);', 'body{background:url(https://evil.example/x.png)}',
        'a{color:red}/* */@im/**/port "x.css";', 'body{behavior:url(/x.htc)}']) {
        await page.goto(`${calyx.origin('acme')}/admin/theme`);
        await page.fill('#theme-custom_css', css);
        await page.click('form[data-theme-form] > button[type=submit]');
        await page.waitForLoadState();
        assert.equal(await page.locator('[data-field-error=custom_css]').count(), 1, css);
      }
      // The text fields saved with markup in them show it as text.
      await page.goto(`${calyx.origin('acme')}/admin/theme`);
      await page.fill('#theme-company_name', attempts.company_name);
      await page.fill('#theme-copyright_text', attempts.copyright_text);
      // Custom JavaScript is not this admin's to set: the field is disabled and a forged post is ignored.
      assert.equal(await page.locator('#theme-custom_js').isDisabled(), true);
      await Promise.all([page.waitForURL('**/admin/theme'), page.click('form[data-theme-form] > button[type=submit]')]);
      const forged = await page.evaluate(async () => {
        const csrf = document.querySelector('input[name=_csrf]').value;
        const body = new URLSearchParams({ _csrf: csrf, custom_js: "alert('forged')", company_name: 'Acme Inc' });
        return (await fetch('/admin/theme', { method: 'POST', body, redirect: 'manual' })).status;
      });
      assert.ok([0, 303].includes(forged), `the forged post was answered ${forged}`);
      // A blog post full of script.
      await page.goto(`${calyx.origin('acme')}/blog/editor/new`);
      await page.fill('[name=title]', 'Injected <script>alert("title")</script>');
      await page.fill('[name=body]', `<script>alert('body')</script><img src=x onerror="alert('img')">\n\n[click](javascript:alert('link'))`);
      await Promise.all([page.waitForURL('**/edit'), page.click('main button[type=submit]')]);
      await page.goto(`${calyx.origin('acme')}/blog/editor?q=injected`);
      await Promise.all([page.waitForURL('**/blog/editor'), page.click('[data-datatable] form[action$="/publish"] button')]);
      for (const path of ['/', '/blog', '/blog/editor', '/admin/theme']) {
        await page.goto(`${calyx.origin('acme')}${path}`);
        assert.equal(await page.locator('main').count(), 1, `${path} still renders`);
      }
      const anonymous = await newPage();
      for (const path of ['/sign-in', '/blog']) {
        await anonymous.goto(`${calyx.origin('acme')}${path}`);
        assert.equal(await anonymous.locator('main').count(), 1);
      }
      await anonymous.goto(`${calyx.origin('acme')}/blog`);
      const post = anonymous.locator('main a', { hasText: 'Injected' });
      assert.equal(await post.count(), 1, 'the post is listed, its title as text');
      await post.click();
      await anonymous.waitForLoadState();
      assert.equal(await anonymous.locator('main a[href^="javascript:"]').count(), 0, 'no javascript: links survive');
      assert.match(await anonymous.locator('footer').innerText(), /<\/footer><script>/, 'markup shown as text');
      await anonymous.screenshot({ path: join(shots, 'blog-post.png'), fullPage: true });
      expectNoTrouble();
      // Put the demo's names back.
      await page.goto(`${calyx.origin('acme')}/admin/theme`);
      await page.fill('#theme-company_name', 'Acme Inc');
      await page.fill('#theme-copyright_text', '© Acme Inc. Everything, made well.');
      await Promise.all([page.waitForURL('**/admin/theme'), page.click('form[data-theme-form] > button[type=submit]')]);
    });

    test('custom JavaScript runs only once a platform admin allows it, as a file under the CSP', async () => {
      const admin = await newPage();
      await signIn(admin, 'globex', 'admin@calyx.localhost');
      await admin.goto(`${calyx.origin('globex')}/platform/tenants`);
      await admin.screenshot({ path: join(shots, 'platform-tenants.png'), fullPage: true });
      await Promise.all([admin.waitForURL('**/platform/tenants'),
        admin.click('[data-tenant=acme] form:has(input[value=allow_js]) button')]);
      const owner = await newPage();
      await signIn(owner, 'acme', 'ann@acme.localhost');
      await owner.goto(`${calyx.origin('acme')}/admin/theme`);
      assert.equal(await owner.locator('#theme-custom_js').isDisabled(), false);
      await owner.fill('#theme-custom_js', "document.documentElement.dataset.customJs = 'ran';");
      await Promise.all([owner.waitForURL('**/admin/theme'), owner.click('form[data-theme-form] > button[type=submit]')]);
      await owner.goto(`${calyx.origin('acme')}/`);
      await owner.waitForFunction(() => document.documentElement.dataset.customJs === 'ran');
      // An inline script would still be refused by the CSP (no 'unsafe-inline'):
      const csp = (await owner.goto(`${calyx.origin('acme')}/`)).headers()['content-security-policy'];
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      await admin.goto(`${calyx.origin('globex')}/platform/tenants`);
      await Promise.all([admin.waitForURL('**/platform/tenants'),
        admin.click('[data-tenant=acme] form:has(input[value=forbid_js]) button')]);
      const again = await newPage();
      await again.goto(`${calyx.origin('acme')}/sign-in`);
      assert.equal(await again.evaluate(() => document.documentElement.dataset.customJs ?? null), null);
      expectNoTrouble();
    });

    test('platform admin pages: module catalog and audit log', async () => {
      const page = await newPage();
      await signIn(page, 'globex', 'admin@calyx.localhost');
      await page.goto(`${calyx.origin('globex')}/platform/modules`);
      assert.match(await page.locator('[data-catalog=blog]').innerText(), /loaded/);
      await page.goto(`${calyx.origin('globex')}/platform/audit`);
      assert.match(await page.locator('main').innerText(), /platform\.tenant_allow_js/);
      await page.screenshot({ path: join(shots, 'platform-audit.png'), fullPage: true });
      expectNoTrouble();
    });
  });
}
