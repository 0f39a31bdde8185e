/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the real gateway started in
 * this process, with a real receiver: sign in, create a source, a destination and a connection, send a webhook and
 * see it arrive live in the events list, open it, retry it, mute another (by keyboard), and look at every page.
 * Each action is checked against the API's state, every page's form controls must have labels and its buttons be
 * reachable by keyboard, and a screenshot of each page is saved to test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../support/gatewayProcess.js';
import { startTestGateway, TEST_API_KEY, type TestGateway } from '../support/inProcessGateway.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { chromiumMissing, launch, screenshot, tabTo, unlabelledControls, unreachableControls } from './browser.js';
import { until } from '../support/until.js';

const missing = chromiumMissing();
const IN_CI = process.env.CI === 'true';
const ROOT = join(import.meta.dirname, '..', '..');

interface EventModel {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
}

if (missing !== null && IN_CI) {
  test('console in a real browser', () => {
    assert.fail(`${missing}. CI must run the browser tests.`);
  });
} else {
  // Each step waits 10 s at most (page.setDefaultTimeout); the suite's bound only has to catch a hang, and must
  // leave room for a 2-core machine at load 30, where building the console and starting Chromium alone take a minute.
  describe('console in a real browser', { skip: missing ?? false, timeout: 240_000 }, () => {
    let gw: TestGateway;
    let receiver: Receiver;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let base: string;
    const ids = { source: '', destination: '', connection: '', ingestUrl: '', delivered: '', failing: '' };

    /** Labels and keyboard reach on the page as it is now, then its screenshot. */
    async function check(name: string): Promise<void> {
      assert.deepEqual(await unlabelledControls(page), [], `${name}: every form control has a label`);
      assert.deepEqual(await unreachableControls(page), [], `${name}: buttons and links are reachable by keyboard`);
      await screenshot(page, name);
    }

    async function go(path: string, heading: string | RegExp): Promise<void> {
      await page.getByRole('link', { name: heading instanceof RegExp ? heading : new RegExp(`^${heading}$`) }).first().click();
      await page.waitForURL((url) => url.pathname.startsWith(`/console${path}`));
      await page.getByRole('heading', { level: 1 }).waitFor();
    }

    /** Opens a list page's "New …" form. */
    async function openCreate(summary: string): Promise<void> {
      await page.locator('details.create > summary').filter({ hasText: summary }).click();
    }

    before(async () => {
      // The console as `npm start` builds it (scripts/build-console.mjs → dist/console), served by the gateway.
      const build = spawnSync(process.execPath, ['scripts/build-console.mjs'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      gw = await startTestGateway({ PORT: String(port), SLUICE_PUBLIC_URL: base });
      receiver = await startReceiver();
      browser = await launch();
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    });

    after(async () => {
      await context?.close();
      await browser?.close();
      await receiver?.close();
      await gw?.stop();
    });

    test('serves the console with cache headers, and index.html for client routes', async () => {
      const index = await fetch(`${base}/console/events/evt_whatever`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(index.headers.get('cache-control'), 'no-cache');
      assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const html = await index.text();
      const script = /src="(\/console\/assets\/app-[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script !== undefined, html);
      const asset = await fetch(base + script);
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get('content-type') ?? '', /javascript/);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal((await fetch(`${base}/console/assets/nope.js`)).status, 404);
      assert.equal((await fetch(`${base}/console/assets/..%2f..%2fpackage.json`)).headers.get('content-type')?.startsWith('text/html'), true);
    });

    test('signs in with an API key (a wrong one is refused)', async () => {
      await page.goto(`${base}/console`);
      await page.waitForURL(/\/console\/signin/);
      await check('01-signin');
      await page.getByLabel('API key').fill('sk_wrong_key_0000000000000000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: /not valid/ }).waitFor();
      await page.getByLabel('API key').fill(TEST_API_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/console\/overview/);
      await page.getByText('Team default').or(page.getByText(/^Team /)).first().waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.apiKey')), TEST_API_KEY);
    });

    test('creates a source and shows its ingest URL with a copy button', async () => {
      await go('/sources', 'Sources');
      await openCreate('New source');
      await page.getByLabel('Name').fill('shop');
      await page.getByRole('button', { name: 'Create source' }).click();
      const row = page.getByRole('row').filter({ hasText: 'shop' });
      await row.waitFor();
      const sources = await gw.api.get<{ models: { id: string; name: string; url: string }[] }>('/sources');
      const source = sources.body.models.find((s) => s.name === 'shop');
      assert.ok(source !== undefined);
      ids.source = source.id;
      ids.ingestUrl = source.url;
      assert.equal(source.url, `${base}/e/${source.id}`);
      await row.getByText(source.url).waitFor();
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      await row.getByRole('button', { name: 'Copy ingest URL' }).click();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), source.url);
      await check('03-sources');
    });

    test('a source with verification (HMAC) and a rate limit; an edit keeps the unseen secret; both can be removed', async () => {
      interface SourceModel { id: string; name: string; url: string; config: { auth_type: string | null; auth: Record<string, string> | null; rate_limit: number | null; rate_limit_period: string | null } }
      const stored = async () => (await gw.api.get<{ models: SourceModel[] }>('/sources')).body.models.find((s) => s.name === 'signed');
      // The "New source" form is still open from the test before.
      const form = page.getByRole('form', { name: 'New source' });
      if (!(await form.isVisible())) await openCreate('New source');
      await form.getByLabel('Name', { exact: true }).fill('signed');
      await form.getByLabel('Verify requests with').selectOption({ label: 'HMAC signature' });
      await form.getByLabel('Signature header').fill('x-signature');
      await form.getByLabel('Algorithm').selectOption('sha256');
      await form.getByLabel('Encoding').selectOption('base64');
      await form.getByLabel('Signing secret', { exact: true }).fill('top-secret-1');
      await form.getByLabel('Requests per period').fill('100');
      await form.getByLabel('Period', { exact: true }).selectOption('minute');
      await check('03b-source-verification');
      await form.getByRole('button', { name: 'Create source' }).click();
      await page.getByRole('row').filter({ hasText: 'signed' }).waitFor();
      const created = await stored();
      assert.ok(created !== undefined);
      assert.equal(created.config.auth_type, 'HMAC');
      assert.deepEqual({ ...created.config.auth, secret: undefined }, { algorithm: 'sha256', encoding: 'base64', header_key: 'x-signature', secret: undefined });
      assert.notEqual(created.config.auth?.secret, 'top-secret-1', 'the secret is answered masked');
      assert.deepEqual([created.config.rate_limit, created.config.rate_limit_period], [100, 'minute']);
      assert.equal(await page.getByRole('form', { name: 'New source' }).getByLabel('Verify requests with').inputValue(), '', 'a fresh form after creating');

      // Edit: a new header name, the secret field left empty; the stored secret still verifies.
      await page.getByRole('link', { name: 'signed', exact: true }).click();
      const edit = page.getByRole('form', { name: 'Edit source' });
      assert.equal(await edit.getByLabel('Verify requests with').inputValue(), 'HMAC');
      assert.equal(await edit.getByLabel('Signing secret', { exact: true }).inputValue(), '', 'never shown again');
      await edit.getByLabel('Signature header').fill('x-sig-2');
      await edit.getByRole('button', { name: 'Save' }).click();
      await until(stored, (s) => s?.config.auth?.header_key === 'x-sig-2', 5000, 'the new header name');
      const body = '{"hello":"signed"}';
      const signature = createHmac('sha256', 'top-secret-1').update(body).digest('base64');
      const unsigned = await fetch(created.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(unsigned.status, 403, 'verification is on');
      const signed = await fetch(created.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sig-2': signature }, body });
      assert.notEqual(signed.status, 403, 'the secret kept across the edit still verifies');

      // Remove both: verification None, rate limit emptied.
      await edit.getByLabel('Verify requests with').selectOption({ label: 'None' });
      assert.equal(await edit.getByLabel('Signing secret', { exact: true }).count(), 0, 'the type\'s fields go with it');
      await edit.getByLabel('Requests per period').fill('');
      await edit.getByRole('button', { name: 'Save' }).click();
      const cleared = await until(stored, (s) => s?.config.auth_type === null, 5000, 'verification removed');
      assert.deepEqual([cleared?.config.auth, cleared?.config.rate_limit, cleared?.config.rate_limit_period], [null, null, null]);
      await go('/sources', 'Sources');
    });

    test('creates a destination and a connection', async () => {
      await go('/destinations', 'Destinations');
      await openCreate('New destination');
      await page.getByLabel('Name').fill('receiver');
      await page.getByLabel('URL').fill(`${receiver.url}/hooks`);
      await page.getByRole('button', { name: 'Create destination' }).click();
      await page.getByRole('row').filter({ hasText: 'receiver' }).waitFor();
      await check('04-destinations');
      const destinations = await gw.api.get<{ models: { id: string; name: string }[] }>('/destinations');
      ids.destination = destinations.body.models.find((d) => d.name === 'receiver')?.id ?? '';
      assert.ok(ids.destination !== '');

      await go('/connections', 'Connections');
      await openCreate('New connection');
      const form = page.getByRole('form', { name: 'New connection' });
      await form.getByLabel('Name').fill('shop-to-receiver');
      // Source and destination are type-aheads over the API (any of them can be picked, not a first page): a name
      // that is no one's is refused with a message, and nothing is created.
      await form.getByLabel('Source').fill('sho');
      await form.locator('datalist option[value="shop"]').waitFor({ state: 'attached' });
      await form.getByLabel('Source').fill('no-such-source');
      await form.getByLabel('Destination').fill('receiver');
      await form.getByRole('button', { name: 'Create connection' }).click();
      await form.getByText('No source is named "no-such-source"').waitFor();
      assert.equal((await gw.api.get<{ models: unknown[] }>('/connections')).body.models.length, 0);
      await form.getByLabel('Source').fill('shop');
      await form.getByRole('button', { name: 'Create connection' }).click();
      await page.getByRole('row').filter({ hasText: 'shop-to-receiver' }).waitFor();
      await check('05-connections');
      const connections = await gw.api.get<{ models: { id: string; source: { id: string }; destination: { id: string } }[] }>('/connections');
      const connection = connections.body.models[0];
      assert.equal(connection?.source.id, ids.source);
      assert.equal(connection?.destination.id, ids.destination);
      ids.connection = connection?.id ?? '';
    });

    test('a destination limited per minute: the form sends the number and what it counts, shows both on edit; emptying removes the limit', async () => {
      interface DestinationModel { id: string; name: string; config: { rate_limit: number | null; rate_limit_period: string | null } }
      const stored = async () => (await gw.api.get<{ models: DestinationModel[] }>('/destinations')).body.models.find((d) => d.name === 'paced');
      await go('/destinations', 'Destinations');
      const form = page.getByRole('form', { name: 'New destination' });
      if (!(await form.isVisible())) await openCreate('New destination');
      await form.getByLabel('Name', { exact: true }).fill('paced');
      await form.getByLabel('URL').fill(`${receiver.url}/paced`);
      assert.equal(await form.getByLabel('Counted').inputValue(), 'concurrent', 'the default, as the API takes a limit without a period');
      await form.getByLabel('Attempts', { exact: true }).fill('30');
      await form.getByLabel('Counted').selectOption({ label: 'per minute' });
      await check('04b-destination-rate-limit');
      await form.getByRole('button', { name: 'Create destination' }).click();
      await page.getByRole('row').filter({ hasText: 'paced' }).waitFor();
      assert.deepEqual(await stored().then((d) => [d?.config.rate_limit, d?.config.rate_limit_period]), [30, 'minute']);

      await page.getByRole('link', { name: 'paced', exact: true }).click();
      const edit = page.getByRole('form', { name: 'Edit destination' });
      assert.equal(await edit.getByLabel('Attempts', { exact: true }).inputValue(), '30');
      assert.equal(await edit.getByLabel('Counted').inputValue(), 'minute');
      await edit.getByLabel('Attempts', { exact: true }).fill('');
      await edit.getByRole('button', { name: 'Save' }).click();
      const cleared = await until(stored, (d) => d?.config.rate_limit === null, 5000, 'rate limit removed');
      assert.equal(cleared?.config.rate_limit_period, null);
    });

    test('editing a connection changes its retry rule and keeps the rules set through the API (filter, delay)', async () => {
      const others = [{ type: 'filter', body: { order: { $exist: true } } }, { type: 'delay', delay: 1 }];
      assert.equal((await gw.api.put(`/connections/${ids.connection}`, { rules: others })).status, 200);
      await page.goto(`${base}/console/connections/${ids.connection}`);
      const form = page.getByRole('form', { name: 'Edit connection' });
      await form.getByText(/Other rules, kept as they are/).waitFor();
      await form.getByLabel('Strategy').selectOption('linear');
      await form.getByLabel('Retries').fill('3');
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Connection saved').waitFor();
      const saved = await gw.api.get<{ rules: unknown[] }>(`/connections/${ids.connection}`);
      assert.deepEqual(saved.body.rules, [{ type: 'retry', strategy: 'linear', interval: 30_000, count: 3 }, ...others]);
      assert.equal((await gw.api.put(`/connections/${ids.connection}`, { rules: [] })).status, 200); // as the next tests expect
    });

    test('a webhook sent to the ingest URL appears live in the events list', async () => {
      await go('/events', 'Events');
      await page.getByRole('heading', { name: 'Events' }).waitFor();
      await page.getByText('0 events match').waitFor();
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 42; // survives only if the page is not reloaded
      });
      const sent = await fetch(ids.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shop': 'one' }, body: '{"order":{"id":1,"total":99}}' });
      assert.equal(sent.status, 200);
      const eventId = ((await sent.json()) as { event_ids: string[] }).event_ids[0] ?? '';
      ids.delivered = eventId;
      const row = page.locator(`tr[data-event-id="${eventId}"]`);
      await row.waitFor({ timeout: 10_000 });
      assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'no reload: the list updated itself');
      await receiver.waitFor(() => receiver.countsByEvent.get(eventId) === 1, 5000, 'the delivery');
      await row.getByText('SUCCESSFUL').waitFor({ timeout: 10_000 });
      await check('06-events');
    });

    test('the event page shows the original request and its attempts; Retry makes a manual attempt', async () => {
      await page.getByRole('link', { name: ids.delivered }).click();
      await page.waitForURL(new RegExp(`/console/events/${ids.delivered}$`));
      await page.getByRole('heading', { name: 'Original request' }).waitFor();
      await page.getByRole('rowheader', { name: 'x-shop' }).waitFor();
      const body = await page.getByLabel('Request body').textContent();
      assert.equal(body, JSON.stringify({ order: { id: 1, total: 99 } }, null, 2), 'pretty-printed');
      await page.getByRole('heading', { name: /Attempt 1/ }).waitFor();
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByText(/Retried: attempt 2 succeeded/).waitFor();
      await page.getByRole('heading', { name: /Attempt 2/ }).waitFor();
      await check('07-event');
      const attempts = await gw.api.get<{ models: { trigger: string }[] }>(`/attempts?event_id=${ids.delivered}`);
      assert.deepEqual(attempts.body.models.map((a) => a.trigger).sort(), ['INITIAL', 'MANUAL']);
      assert.equal(receiver.countsByEvent.get(ids.delivered), 2);
    });

    test('another event, failing and waiting for a retry, is muted from the keyboard', async () => {
      receiver.answerWith({ status: 500, body: 'down' });
      const sent = await fetch(ids.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":{"id":2}}' });
      ids.failing = ((await sent.json()) as { event_ids: string[] }).event_ids[0] ?? '';
      const scheduled = await until(
        async () => (await gw.api.get<EventModel>(`/events/${ids.failing}`)).body,
        (event) => event.status === 'SCHEDULED',
        10_000,
        'the failed first attempt',
      );
      assert.notEqual(scheduled.next_attempt_at, null);
      receiver.answerWith({});
      await go('/events', 'Events');
      await page.locator(`tr[data-event-id="${ids.failing}"]`).getByRole('link').click();
      await page.getByRole('heading', { name: /Attempt 1/ }).waitFor();
      assert.ok(await tabTo(page, 'button', 'Mute'), 'Mute is reachable with Tab');
      await page.keyboard.press('Enter');
      await page.getByText('Muted: no more automatic retries').waitFor();
      const muted = (await gw.api.get<EventModel>(`/events/${ids.failing}`)).body;
      assert.equal(muted.status, 'CANCELLED');
      assert.equal(muted.next_attempt_at, null);
      await page.getByText('CANCELLED').first().waitFor();
    });

    test('filters the events list by text in the body, server side', async () => {
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await page.getByLabel('Body contains').fill('"id":2');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/q=/);
      await page.getByText('1 event matches').waitFor();
      assert.equal(await page.locator(`tr[data-event-id="${ids.failing}"]`).count(), 1);
    });

    test('retries a filtered set in bulk and follows its progress', async () => {
      await page.goto(`${base}/console/events?status=CANCELLED`);
      await page.locator(`tr[data-event-id="${ids.failing}"]`).waitFor();
      assert.equal(await page.locator('tbody tr[data-event-id]').count(), 1);
      await page.getByText('1 event matches').waitFor();
      await page.getByRole('button', { name: 'Retry all matching…' }).click();
      await page.getByRole('button', { name: 'Retry 1 event' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Start bulk retry' }).click();
      await page.waitForURL(/\/console\/bulk-retries\/bch_/);
      await page.getByText('100%').waitFor();
      await screenshot(page, '12-bulk-retry');
      const delivered = await until(
        async () => (await gw.api.get<EventModel>(`/events/${ids.failing}`)).body,
        (event) => event.status === 'SUCCESSFUL',
        10_000,
        'the bulk-retried event to be delivered',
      );
      assert.equal(delivered.attempts, 2);
      const attempts = await gw.api.get<{ models: { trigger: string }[] }>(`/attempts?event_id=${ids.failing}`);
      assert.ok(attempts.body.models.some((a) => a.trigger === 'BULK_RETRY'));
    });

    test('the source filter is a type-ahead over the API: a source beyond the first 250 can be picked', async () => {
      // 300 newer sources push "shop" past any first page of 250 (the API lists newest first).
      for (let i = 0; i < 300; i++) assert.equal((await gw.api.post('/sources', { name: `filler-${i}` })).status, 201);
      await page.goto(`${base}/console/events`);
      const picker = page.getByRole('search', { name: 'Filter events' }).getByLabel('Source', { exact: true });
      await picker.fill('sho');
      await page.locator('datalist option[value="shop"]').waitFor({ state: 'attached' });
      await picker.fill('filler-29');
      await until(
        () => page.locator('datalist option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)),
        (names) => names.length === 11 && names.every((n) => n.startsWith('filler-29')),
        5000,
        'suggestions read from the API as the text changes',
      );
      await picker.fill('shop');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(new RegExp(`source_id=${ids.source}`));
      await page.getByText('2 events match').waitFor();
      // The page knows only the id from the URL and looks its name up through the API: shown once that answers.
      await until(() => picker.inputValue(), (value) => value === 'shop', 5000, 'the name shown for the id in the URL');
      await page.locator(`tr[data-event-id="${ids.delivered}"]`).getByRole('cell', { name: 'shop', exact: true }).waitFor();
      await check('13-events-by-source');

      await picker.fill('no-such-source');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('alert').filter({ hasText: 'No source is named "no-such-source"' }).waitFor();
      await picker.fill('');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL((url) => url.pathname.endsWith('/console/events') && !url.search.includes('source_id'));
    });

    test('every other page renders, with labelled controls and keyboard-reachable buttons', async () => {
      await go('/overview', 'Overview');
      await page.getByText('Events in window').waitFor();
      await check('02-overview');
      await go('/event-destinations', 'Event destinations');
      await check('08-event-destinations');
      await page.getByRole('link', { name: 'New event destination' }).click();
      await page.getByLabel('Type').selectOption('webhook');
      await page.getByLabel('Signing secret (optional)').waitFor();
      assert.equal(await page.getByLabel('Signing secret (optional)').getAttribute('type'), 'password', 'sensitive fields are password inputs');
      await check('09-event-destination-new');
      const form = page.getByRole('form', { name: 'New event destination' });
      await form.getByLabel('Name', { exact: true }).fill('impatient-hook');
      await form.getByLabel('URL', { exact: true }).fill(`${receiver.url}/v2`);
      await form.getByLabel('Timeout (ms)').fill('1500');
      await form.getByRole('button', { name: 'Create event destination' }).click();
      const created = await until(
        async () => (await gw.api.get<{ data: { name: string; timeout: number | null }[] }>('/v2/event-destinations')).body.data.find((d) => d.name === 'impatient-hook'),
        (d) => d !== undefined,
        5000,
        'the event destination created from the form',
      );
      assert.equal(created?.timeout, 1500, 'its own timeout, from the form');
      await go('/published-events', 'Published events');
      await check('10-published-events');
      await go('/bulk-retries', 'Bulk retries');
      await check('11-bulk-retries');
    });
  });
}
