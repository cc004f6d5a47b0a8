/**
 * The upload page end to end, as a person uses it: headless Chromium (Debian's chromium,
 * driven by playwright-core) against `npm start`'s local stack with the Pub/Sub emulator.
 *
 * Set MEMEGEN_PAGE_SCREENSHOTS=DIR to keep screenshots of the finished meme (desktop and
 * phone widths) in DIR.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import type { StatusDocument, UploadTicket } from '../functions/cloud/contract';
import { emulatorAvailable, RunningStack, startStack } from './support/localStack';

const SUITE = 'upload page';
const CHROMIUM = process.env.MEMEGEN_CHROMIUM ?? '/usr/bin/chromium';
const MAX_UPLOAD_BYTES = 2_000_000;
const PHOTO = join(__dirname, 'photos', 'faceapi_sample1.jpg');
const SCREENSHOTS = process.env.MEMEGEN_PAGE_SCREENSHOTS;

/**
 * Whether Chromium is installed. Without it the suite is skipped with a loud message, except
 * when MEMEGEN_REQUIRE_BROWSER=1, where that fails.
 */
function browserAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `\n*** ${suite}: SKIPPED — Chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set MEMEGEN_CHROMIUM) ***\n`;
  if (process.env.MEMEGEN_REQUIRE_BROWSER === '1')
    throw new Error(message + 'MEMEGEN_REQUIRE_BROWSER=1 makes this a failure.');
  console.warn(message);
  return false;
}

const runSuite = emulatorAvailable(SUITE) && browserAvailable(SUITE);

/**
 * The little of the browser that the in-page callbacks below touch, as `globalThis as unknown
 * as InPage` inside each callback (they run in the page, so they cannot call a helper from
 * here). This file compiles without the DOM library, which would leak browser globals into
 * Node code.
 */
interface InPageElement {
  id: string;
  hidden: boolean;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): InPageElement | null;
  querySelectorAll(selector: string): Iterable<InPageElement>;
}
interface InPage {
  document: InPageElement & {
    body: InPageElement;
    activeElement: InPageElement | null;
    getElementById(id: string): InPageElement | null;
  };
  MutationObserver: new (callback: () => void) => {
    observe(target: InPageElement, options: Record<string, boolean>): void;
  };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
  seen?: string[];
}
interface InPageImage {
  complete: boolean;
  naturalWidth: number;
  onload: (() => void) | null;
}

/** The requests a page made that would start or carry an upload. */
interface UploadTraffic {
  ticketRequests: string[];
  puts: string[];
}

(runSuite ? describe : describe.skip)('upload page in headless Chromium', () => {
  let stack: RunningStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let traffic: UploadTraffic;
  let pageErrors: string[];
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'memegen-page-'));
    [stack, browser] = await Promise.all([
      startStack({ env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    traffic = { ticketRequests: [], puts: [] };
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('request', (request) => {
      if (request.url().endsWith('/api/uploads'))
        traffic.ticketRequests.push(`${request.method()} ${request.url()}`);
      if (request.method() === 'PUT') traffic.puts.push(request.url());
    });
    await page.goto(stack.pageUrl);
    // The page has read /api/config (the 2 MB limit of this stack).
    await page.locator('html[data-config="loaded"]').waitFor({ timeout: 15_000 });
  });

  afterEach(async () => {
    await context?.close();
  });

  const fileMessage = () => page.locator('#file-message');
  const uploadButton = () => page.locator('#upload-button');

  test('the page loads with nothing from other sites, and states the limit', async () => {
    await expect(page.title()).resolves.toMatch(/memegen/);
    await expect(page.locator('h1').textContent()).resolves.toBe('memegen');
    await expect(page.locator('#drop-hint').textContent()).resolves.toContain('up to 1.9 MB');
    await expect(uploadButton().isDisabled()).resolves.toBe(true);
    // Every style and both languages are offered, with the configured defaults chosen.
    await expect(
      page
        .locator('input[name="style"]')
        .evaluateAll((inputs: { value: string; checked: boolean }[]) =>
          inputs.map((input) => [input.value, input.checked]),
        ),
    ).resolves.toEqual([
      ['classic', true],
      ['label', false],
      ['faces', false],
    ]);
    await expect(page.locator('input[name="lang"]:checked').getAttribute('value')).resolves.toBe('en');
    const origins = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((entry) => new URL(entry.name).origin),
    );
    expect(origins.every((origin) => origin === new URL(stack.pageUrl).origin)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  test('a photo with a caption and the label style becomes a meme, with progress, download and "Another one"', async () => {
    // Record every stage the page shows, however briefly.
    await page.evaluate(() => {
      const browser = globalThis as unknown as InPage;
      const document = browser.document;
      const seen: string[] = [];
      browser.seen = seen;
      const record = (): void => {
        for (const stage of document.querySelectorAll('.stage')) {
          const note = stage.querySelector('.stage-note')?.textContent ?? '';
          const entry = `${stage.dataset.stage}:${stage.dataset.state}:${note}`;
          if (!seen.includes(entry)) seen.push(entry);
        }
        const progressView = document.getElementById('progress-view');
        if (progressView && !progressView.hidden && !seen.includes('progress-view'))
          seen.push('progress-view');
      };
      new browser.MutationObserver(record).observe(document.body, {
        subtree: true,
        attributes: true,
        childList: true,
        characterData: true,
      });
    });

    // Reachable by keyboard: Tab past the skip link lands on the file chooser. (Whether Enter
    // then opens the OS dialog is the browser's business, and headless Chromium under load
    // does not always report it, so the file is set on the focused input directly.)
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(
      page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id),
    ).resolves.toBe('file-input');
    await page.locator('#file-input').setInputFiles(PHOTO);

    await page.locator('#preview-image').waitFor();
    await expect(page.locator('#preview-name').textContent()).resolves.toBe('faceapi_sample1.jpg');
    const caption = 'when the build passes on the first try';
    await page.getByLabel('Top text').fill(caption);
    await page.getByText('Label', { exact: true }).click();
    await expect(page.locator('input[name="style"][value="label"]').isChecked()).resolves.toBe(true);

    const ticketResponse = page.waitForResponse(
      (response) => response.url().endsWith('/api/uploads') && response.request().method() === 'POST',
    );
    await uploadButton().click();
    const response = await ticketResponse;
    expect(response.status()).toBe(201);
    const ticket = (await response.json()) as UploadTicket;
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({
      contentType: 'image/jpeg',
      size: statSync(PHOTO).size,
      style: 'label',
      lang: 'en',
      caption: { top: caption },
    });

    await page.locator('#result-view').waitFor({ state: 'visible', timeout: 90_000 });
    const seen = await page.evaluate((): string[] => (globalThis as unknown as InPage).seen ?? []);
    expect(seen).toContain('progress-view');
    expect(seen.some((entry) => /^upload:active:\d+%$/.test(entry))).toBe(true);
    expect(seen).toContain('upload:done:done');
    expect(seen.some((entry) => entry.startsWith('analyze:active:'))).toBe(true);
    expect(seen.some((entry) => /^analyze:done:\d+ faces?: /.test(entry))).toBe(true);
    expect(seen).toContain('render:done:done');
    expect(traffic.puts).toEqual([ticket.uploadUrl]);

    // The meme is shown (loaded, not a broken image) and the download link is the meme's URL.
    const image = page.locator('#result-image');
    await expect(image.getAttribute('src')).resolves.toBe(ticket.resultUrl);
    await expect(
      image.evaluate((img: InPageImage) => img.complete && img.naturalWidth),
    ).resolves.toBeGreaterThan(0);
    await expect(image.getAttribute('alt')).resolves.toContain(caption);
    const download = page.getByRole('link', { name: 'Download' });
    await expect(download.getAttribute('href')).resolves.toBe(ticket.resultUrl);
    await expect(download.getAttribute('download')).resolves.toBe('faceapi_sample1-meme.jpg');

    // The status document agrees.
    const status = (await (await fetch(ticket.statusUrl)).json()) as StatusDocument;
    expect(status.state).toBe('done');
    expect(status.request).toEqual({ style: 'label', lang: 'en', caption: { top: caption } });
    expect(status.caption).toMatchObject({ source: 'user', top: caption });
    expect(status.resultUrl).toBe(ticket.resultUrl);
    const meme = await fetch(ticket.resultUrl);
    expect(meme.status).toBe(200);
    expect(meme.headers.get('content-type')).toMatch(/^image\/jpeg/);

    // Clicking Download saves the meme under the offered name.
    const [saved] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(saved.suggestedFilename()).toBe('faceapi_sample1-meme.jpg');

    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'page.png') });
      await page.screenshot({ path: join(SCREENSHOTS, 'page-full.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(SCREENSHOTS, 'page-mobile.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }

    // "Another one" brings back the empty form.
    await page.getByRole('button', { name: 'Another one' }).click();
    await page.locator('#upload-form').waitFor({ state: 'visible' });
    await expect(page.locator('#result-view').isHidden()).resolves.toBe(true);
    await expect(page.locator('#drop-empty').isVisible()).resolves.toBe(true);
    await expect(page.locator('#drop-preview').isHidden()).resolves.toBe(true);
    await expect(
      page
        .locator('#file-input')
        .evaluate((input: { files: { length: number } | null }) => input.files?.length ?? 0),
    ).resolves.toBe(0);
    await expect(page.getByLabel('Top text').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Bottom text').inputValue()).resolves.toBe('');
    await expect(uploadButton().isDisabled()).resolves.toBe(true);
    await expect(fileMessage().isHidden()).resolves.toBe(true);
    expect(pageErrors).toEqual([]);
  });

  test('a text file is refused as not a picture, and nothing is uploaded', async () => {
    const notes = join(work, 'notes.txt');
    writeFileSync(notes, 'these are my notes, not a photo\n');
    await page.locator('#file-input').setInputFiles(notes);
    await fileMessage().waitFor({ state: 'visible' });
    const message = await fileMessage().textContent();
    expect(message).toContain('“notes.txt” is not a picture');
    expect(message).toContain('JPEG, PNG, WebP, GIF or AVIF');
    await expect(uploadButton().isDisabled()).resolves.toBe(true);
    await expect(page.locator('#drop-preview').isHidden()).resolves.toBe(true);
    // Enter in a caption field does not submit a form without a photo.
    await page.getByLabel('Top text').fill('hello');
    await page.getByLabel('Top text').press('Enter');
    await page.waitForTimeout(300);
    expect(traffic).toEqual({ ticketRequests: [], puts: [] });

    // A picture chosen afterwards clears the message.
    await page.locator('#file-input').setInputFiles(PHOTO);
    await expect(fileMessage().isHidden()).resolves.toBe(true);
    await expect(uploadButton().isEnabled()).resolves.toBe(true);
  });

  test('a picture over the limit is refused in the browser with its size and the limit, before any upload', async () => {
    // Noise does not compress: a 1,000×1,000 RGB PNG of it is about 3 MB.
    const big = join(work, 'big.png');
    await sharp(randomBytes(1000 * 1000 * 3), { raw: { width: 1000, height: 1000, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toFile(big);
    const size = statSync(big).size;
    expect(size).toBeGreaterThan(MAX_UPLOAD_BYTES);

    await page.locator('#file-input').setInputFiles(big);
    await fileMessage().waitFor({ state: 'visible' });
    const message = await fileMessage().textContent();
    expect(message).toContain('“big.png” is too large');
    expect(message).toContain(`it is ${(size / 1048576).toFixed(1)} MB`);
    expect(message).toContain('the limit is 1.9 MB');
    await expect(uploadButton().isDisabled()).resolves.toBe(true);
    await page.waitForTimeout(300);
    expect(traffic).toEqual({ ticketRequests: [], puts: [] });
  });

  test('drag and drop: a dropped photo is chosen, a dropped text file is refused', async () => {
    const drop = async (name: string, type: string, bytes: Buffer): Promise<void> => {
      const dataTransfer = await page.evaluateHandle(
        ({ name, type, base64 }) => {
          const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          const browser = globalThis as unknown as InPage;
          const transfer = new browser.DataTransfer();
          transfer.items.add(new browser.File([data], name, { type }));
          return transfer;
        },
        { name, type, base64: bytes.toString('base64') },
      );
      const zone = page.locator('#drop-zone');
      await zone.dispatchEvent('dragenter', { dataTransfer });
      await zone.dispatchEvent('dragover', { dataTransfer });
      await expect(zone.getAttribute('class')).resolves.toContain('is-dragging');
      await zone.dispatchEvent('drop', { dataTransfer });
    };

    await drop('notes.txt', 'text/plain', Buffer.from('not a photo'));
    await fileMessage().waitFor({ state: 'visible' });
    await expect(fileMessage().textContent()).resolves.toContain('not a picture');

    await drop('dropped.jpg', 'image/jpeg', readFileSync(PHOTO));
    await page.locator('#drop-preview').waitFor({ state: 'visible' });
    await expect(page.locator('#drop-zone').getAttribute('class')).resolves.not.toContain('is-dragging');
    await expect(page.locator('#preview-name').textContent()).resolves.toBe('dropped.jpg');
    await expect(
      page.locator('#preview-image').evaluate(
        (image: InPageImage) =>
          new Promise<number>((resolve) => {
            if (image.complete) resolve(image.naturalWidth);
            else image.onload = () => resolve(image.naturalWidth);
          }),
      ),
    ).resolves.toBe(1920);
    await expect(fileMessage().isHidden()).resolves.toBe(true);
    await expect(uploadButton().isEnabled()).resolves.toBe(true);
    expect(traffic).toEqual({ ticketRequests: [], puts: [] });
  });

  test('a file that claims to be a JPEG but is not one ends with the reason from the status document', async () => {
    const fake = join(work, 'fake.jpg');
    writeFileSync(fake, randomBytes(4096));
    await page.locator('#file-input').setInputFiles(fake);
    await uploadButton().click();
    const message = page.locator('#form-message');
    await message.waitFor({ state: 'visible', timeout: 90_000 });
    await expect(message.textContent()).resolves.toMatch(/^memegen couldn't make a meme of this photo: .+/);
    // Back on the form with the photo still chosen, to try again or choose another.
    await expect(page.locator('#upload-form').isVisible()).resolves.toBe(true);
    await expect(page.locator('#preview-name').textContent()).resolves.toBe('fake.jpg');
    expect(traffic.ticketRequests).toHaveLength(1);
    expect(traffic.puts).toHaveLength(1);
  });

  test('an upload refused by storage is reported in plain words', async () => {
    // Tamper with the signed headers the page receives: storage must refuse the PUT.
    await page.route('**/api/uploads', async (route) => {
      const response = await route.fetch();
      const ticket = (await response.json()) as UploadTicket;
      ticket.uploadHeaders['x-goog-meta-memegen-style'] = 'faces';
      await route.fulfill({ response, json: ticket });
    });
    await page.locator('#file-input').setInputFiles(PHOTO);
    await uploadButton().click();
    const message = page.locator('#form-message');
    await message.waitFor({ state: 'visible', timeout: 30_000 });
    await expect(message.textContent()).resolves.toMatch(/^The photo was not accepted by storage \(HTTP 403/);
    expect(traffic.puts).toHaveLength(1);
  });

  test('a server error on the upload request is shown with its reason', async () => {
    await page.route('**/api/uploads', (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({
          error: 'memegen could not prepare the upload; please try again',
          code: 'INTERNAL',
        }),
      }),
    );
    await page.locator('#file-input').setInputFiles(PHOTO);
    await uploadButton().click();
    const message = page.locator('#form-message');
    await message.waitFor({ state: 'visible' });
    await expect(message.textContent()).resolves.toBe(
      'Memegen could not prepare the upload; please try again.',
    );
    expect(traffic.puts).toEqual([]);
  });
});
