// Real-browser end-to-end test of `examples/demo` in headless Chromium (playwright-core
// driving Debian's /usr/bin/chromium). Run by tests/browser.rs, which starts the demo,
// mints the expired token and passes everything in:
//
//   node tests/browser/e2e.mjs <base> <expired-access-token>
//
// with E2E_USER_NAME (the name to sign in with), E2E_USER_ID (the user id the demo gave
// that name) and E2E_ARTIFACTS (where screenshots go, e.g. target/browser).
//
// No fixed sleeps: every step waits on a condition (URL, selector, response) with a
// timeout. Exit code 0 when every check passed; 1 with diagnostics otherwise.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const STEP_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = 120_000;
const CHROMIUM = '/usr/bin/chromium';

const [base, expiredToken] = process.argv.slice(2);
const userName = process.env.E2E_USER_NAME;
const expectedUserId = process.env.E2E_USER_ID;
const artifacts = process.env.E2E_ARTIFACTS || 'target/browser';
if (!base || !expiredToken || !userName || !expectedUserId) {
  console.error(
    'usage: E2E_USER_NAME=.. E2E_USER_ID=.. [E2E_ARTIFACTS=dir] node e2e.mjs <base> <expired-access-token>',
  );
  process.exit(2);
}
const origin = new URL(base).origin;
const REFRESH_URL = `${origin}/auth/session/refresh`;
const SIGN_IN_URL = `${origin}/auth/?redirectToPath=%2F`;

// Everything the browser did, printed when a check fails.
const log = [];
const note = (line) => log.push(`${new Date().toISOString()} ${line}`);

class CheckFailed extends Error {}
function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}
function ok(message) {
  console.log(`ok - ${message}`);
}

function payloadOf(jwt) {
  const segment = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

const host = new URL(base).hostname;

/// The demo's `name` cookie, whatever its path (sRefreshToken's is /auth/session/refresh).
async function cookie(context, name) {
  const all = (await context.cookies()).filter((c) => c.name === name && c.domain === host);
  check(all.length <= 1, `one ${name} cookie, found ${all.length}: ${JSON.stringify(all)}`);
  return all[0];
}

/// Replaces the access token cookie with `token`, as the server sets it: host-only on the
/// demo's origin, path `/`, HttpOnly, SameSite=Lax.
async function setAccessToken(context, token) {
  await context.addCookies([
    {
      name: 'sAccessToken',
      value: token,
      url: `${origin}/`,
      httpOnly: true,
      sameSite: 'Lax',
      expires: Math.floor(Date.now() / 1000) + 3600,
    },
  ]);
  const set = await cookie(context, 'sAccessToken');
  check(set && set.value === token, 'the expired sAccessToken cookie replaced the real one');
  check(set.path === '/' && set.httpOnly, `sAccessToken attributes: ${JSON.stringify(set)}`);
}

/// The user id printed on a Home or Verified page, once it is there.
async function shownUserId(page) {
  const line = page.locator('p', { hasText: 'Your user id is:' });
  await line.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  const text = (await line.textContent()) ?? '';
  return text.replace('Your user id is:', '').trim();
}

function watch(page, label) {
  page.on('request', (r) => note(`[${label}] -> ${r.method()} ${r.url()}`));
  page.on('response', (r) => note(`[${label}] <- ${r.status()} ${r.url()}`));
  page.on('requestfailed', (r) => note(`[${label}] !! ${r.url()} ${r.failure()?.errorText}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) note(`[${label}] navigated to ${f.url()}`);
  });
  page.on('console', (m) => note(`[${label}] console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => {
    note(`[${label}] page error: ${e}`);
    pageErrors.push(`${label}: ${e}`);
  });
}
const pageErrors = [];

/// The refresh POSTs `page` makes from now on.
function refreshRequests(page) {
  const seen = [];
  page.on('request', (r) => {
    if (r.url() === REFRESH_URL && r.method() === 'POST') seen.push(r);
  });
  return seen;
}

const isRefresh = (status) => (r) =>
  r.url() === REFRESH_URL && r.request().method() === 'POST' && r.status() === status;

async function main() {
  mkdirSync(artifacts, { recursive: true });
  // launch() gives every run a new, empty temporary --user-data-dir (deleted on close).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false, // --no-sandbox: this runs as root in CI
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
  note(`chromium ${browser.version()}`);
  let page;
  try {
    const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
    watch(page, 'main');

    // 1. `/` without a session → the sign-in page; sign in → Home with the user id.
    await page.goto(`${origin}/`);
    await page.waitForURL(SIGN_IN_URL);
    check((await page.title()) === 'Sign in', `sign-in page title: ${await page.title()}`);
    ok('/ without a session lands on /auth/?redirectToPath=%2F');
    await page.locator('#name').fill(userName);
    await Promise.all([
      page.waitForURL(`${origin}/`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    const userId = await shownUserId(page);
    check(userId.length > 0, 'Home shows a non-empty user id');
    check(userId === expectedUserId, `Home shows ${userId}, the demo gave ${expectedUserId}`);
    check((await page.locator('h1').textContent()) === 'Home', 'Home heading');
    const signedIn = await cookie(context, 'sAccessToken');
    const refreshAtSignIn = await cookie(context, 'sRefreshToken');
    check(signedIn && refreshAtSignIn, 'sign-in set sAccessToken and sRefreshToken');
    check(
      refreshAtSignIn.path === '/auth/session/refresh' && refreshAtSignIn.httpOnly,
      `sRefreshToken attributes: ${JSON.stringify(refreshAtSignIn)}`,
    );
    ok(`signed in as ${userName}: Home shows "Your user id is: ${userId}"`);
    const screenshot = join(artifacts, 'home.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    ok(`screenshot of Home saved to ${screenshot}`);

    // 2. An expired access token with the real refresh token: the try-refresh page's
    //    script refreshes and reloads, and Home comes back.
    await setAccessToken(context, expiredToken);
    const refreshes = refreshRequests(page);
    // While the refresh POST is in flight the try-refresh page is still the document:
    // look at it then (the request is held only for that look, then sent unchanged).
    let seenWhileRefreshing = null;
    await page.route(REFRESH_URL, async (route) => {
      const frame = route.request().frame();
      seenWhileRefreshing = await frame
        .evaluate((key) => ({
          url: location.href,
          title: document.title,
          status: document.getElementById('st-refresh-status')?.textContent ?? null,
          attempts: JSON.parse(sessionStorage.getItem(key) || '[]').length,
        }), 'st-ssr-refresh-attempts')
        .catch((e) => ({ error: String(e) }));
      await route.continue();
    });
    const refreshed = page.waitForResponse(isRefresh(200), { timeout: STEP_TIMEOUT_MS });
    const firstLoad = await page.goto(`${origin}/`, { waitUntil: 'commit' });
    check(firstLoad.status() === 200, `try-refresh page status ${firstLoad.status()}`);
    check(
      firstLoad.headers()['cache-control'] === 'no-store',
      `try-refresh page cache-control ${firstLoad.headers()['cache-control']}`,
    );
    const refreshResponse = await refreshed;
    const sent = refreshResponse.request().headers();
    check(
      sent.rid === 'session' && sent['st-auth-mode'] === 'cookie' && sent['fdi-version'],
      `refresh request headers: ${JSON.stringify(sent)}`,
    );
    const afterRefresh = await shownUserId(page);
    await page.unroute(REFRESH_URL);
    check(seenWhileRefreshing && !seenWhileRefreshing.error, `page during refresh: ${JSON.stringify(seenWhileRefreshing)}`);
    check(
      seenWhileRefreshing.title === 'Refreshing your session' &&
        /Refreshing your session/.test(seenWhileRefreshing.status ?? '') &&
        seenWhileRefreshing.url === `${origin}/` &&
        seenWhileRefreshing.attempts === 1,
      `the try-refresh page made the refresh call: ${JSON.stringify(seenWhileRefreshing)}`,
    );
    check(page.url() === `${origin}/`, `after the reload the URL is ${page.url()}`);
    check(afterRefresh === userId, `after refresh Home shows ${afterRefresh}, expected ${userId}`);
    check(refreshes.length === 1, `one refresh call, saw ${refreshes.length}`);
    const renewed = await cookie(context, 'sAccessToken');
    const rotated = await cookie(context, 'sRefreshToken');
    check(renewed && renewed.value !== expiredToken, 'sAccessToken was replaced by the refresh');
    check(renewed.value !== signedIn.value, 'the new sAccessToken is not the sign-in one');
    const renewedPayload = payloadOf(renewed.value);
    check(
      renewedPayload.sub === userId && renewedPayload.exp * 1000 > Date.now(),
      `new access token: ${JSON.stringify(renewedPayload)}`,
    );
    check(rotated && rotated.value !== refreshAtSignIn.value, 'sRefreshToken was rotated');
    ok(
      'expired sAccessToken: try-refresh page loaded, its script POSTed /auth/session/refresh ' +
        '(200), the page reloaded to Home with the same user id and a new, unexpired sAccessToken',
    );

    // 3. /verified needs a verified email: → /auth/verify-email, the button → /verified.
    await page.goto(`${origin}/verified`);
    await page.waitForURL(`${origin}/auth/verify-email`);
    await page.getByRole('heading', { name: 'Verify your email' }).waitFor();
    check(
      ((await page.locator('main').textContent()) ?? '').includes(userId),
      'the verify-email page names the user',
    );
    ok('/verified without a verified email lands on /auth/verify-email');
    await Promise.all([
      page.waitForURL(`${origin}/verified`),
      page.getByRole('button', { name: 'Verify my email' }).click(),
    ]);
    const verifiedId = await shownUserId(page);
    check(verifiedId === userId, `/verified shows ${verifiedId}, expected ${userId}`);
    check(
      (await page.locator('h1').textContent()) === 'Verified area',
      'Verified area heading',
    );
    const verifiedToken = await cookie(context, 'sAccessToken');
    check(payloadOf(verifiedToken.value)['st-ev']?.v === true, 'the access token now has st-ev.v true');
    ok(`clicking "Verify my email" lands on /verified showing ${userId}`);

    // 4. Loop guard: no refresh token and an expired access token → the refresh gets 401
    //    → the sign-in page, once, instead of a reload loop.
    await context.clearCookies({ name: 'sRefreshToken' });
    check(!(await cookie(context, 'sRefreshToken')), 'sRefreshToken removed');
    await setAccessToken(context, expiredToken);
    const refusals = refreshRequests(page);
    const refused = page.waitForResponse(isRefresh(401), { timeout: STEP_TIMEOUT_MS });
    const tryPage = await page.goto(`${origin}/`, { waitUntil: 'commit' });
    check(tryPage.status() === 200, `try-refresh page status ${tryPage.status()}`);
    await refused;
    await page.waitForURL(SIGN_IN_URL);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    check(refusals.length === 1, `one refresh call before the sign-in page, saw ${refusals.length}`);
    check(!(await cookie(context, 'sAccessToken')), 'the 401 cleared sAccessToken');
    const attemptsLeft = await page.evaluate(() => sessionStorage.getItem('st-ssr-refresh-attempts'));
    check(attemptsLeft === '[]', `loop guard reset on 401: ${attemptsLeft}`);
    // And it stays there: a fresh load of / goes straight to sign-in, no refresh call.
    await page.goto(`${origin}/`);
    await page.waitForURL(SIGN_IN_URL);
    check(refusals.length === 1, `no further refresh calls, saw ${refusals.length}`);
    ok('without a refresh token the refresh gets 401 and the browser ends on the sign-in page (one attempt, no loop)');
    await context.close();

    // 4b. The attempt cap: a refresh endpoint that answers 200 without renewing the token
    //     (stubbed here with page.route) would reload forever; the page stops after
    //     three attempts and shows its error.
    const capped = await browser.newContext();
    capped.setDefaultTimeout(STEP_TIMEOUT_MS);
    capped.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    await setAccessToken(capped, expiredToken);
    page = await capped.newPage();
    watch(page, 'cap');
    const stubbed = refreshRequests(page);
    await page.route(REFRESH_URL, (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: '{}' }),
    );
    await page.goto(`${origin}/`, { waitUntil: 'commit' });
    await page.locator('#st-refresh-error').waitFor({ state: 'visible' });
    check(stubbed.length === 3, `three refresh attempts before giving up, saw ${stubbed.length}`);
    check(await page.locator('#st-refresh-status').isHidden(), 'the "Refreshing" line is hidden');
    check(page.url() === `${origin}/`, `stays on ${page.url()}`);
    ok('a refresh that never helps is tried 3 times, then the page shows its error (no endless reloads)');
    await capped.close();

    check(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join('; ')}`);
    ok('no uncaught JavaScript errors');
  } catch (error) {
    if (page && !page.isClosed()) {
      const shot = join(artifacts, 'failure.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      console.error(`failure screenshot: ${shot} (at ${page.url()})`);
    }
    throw error;
  } finally {
    await browser.close();
  }
}

const watchdog = setTimeout(() => {
  console.error(`e2e: gave up after ${WATCHDOG_MS} ms`);
  console.error(log.join('\n'));
  process.exit(1);
}, WATCHDOG_MS);

main().then(
  () => {
    clearTimeout(watchdog);
    console.log('e2e: all browser checks passed');
  },
  (error) => {
    clearTimeout(watchdog);
    console.error(`not ok - ${error instanceof CheckFailed ? error.message : error.stack ?? error}`);
    console.error('--- browser log ---');
    console.error(log.join('\n'));
    process.exitCode = 1;
  },
);
