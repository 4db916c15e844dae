/**
 * The playground in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): load the page, type a text with two blanks, watch the streamed answer fill
 * them, check it equals the API's answer, look at a token's alternatives, score candidates, and
 * keep a screenshot (GLM_PLAYGROUND_SCREENSHOT, default <tmp>/glm-playground.png).
 *
 * CI installs chromium (.ci/run). Without it the test fails, unless GLM_SKIP_BROWSER_TESTS=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { tinyModelDir, startTestServer, postJson } from '../testing/serve.js';

const CHROMIUM = process.env['GLM_CHROMIUM'] ?? '/usr/bin/chromium';
const SHOT = process.env['GLM_PLAYGROUND_SCREENSHOT'] ?? path.join(os.tmpdir(), 'glm-playground.png');
const skip = process.env['GLM_SKIP_BROWSER_TESTS'] === '1';

test('the playground streams a filled answer in headless Chromium', { skip: skip ? 'GLM_SKIP_BROWSER_TESTS=1' : false }, async () => {
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install chromium (or set GLM_CHROMIUM, or GLM_SKIP_BROWSER_TESTS=1)`);
  const dir = tinyModelDir();
  const srv = await startTestServer(dir);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-chromium-'));
  // A persistent context on a fresh profile folder; the flags keep Chromium off the network.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(srv.url + '/');
    // (Browser-side code as strings / untyped elements: the project compiles without the DOM library.)
    await page.waitForFunction("document.getElementById('model').textContent !== '…'");
    const text = 'the capital of france is [MASK] , and the river is the [MASK] .';
    await page.fill('#prompt', text);
    await page.selectOption('#strategy', 'greedy');
    await page.fill('#max-length', '6');
    await page.click('#fill');
    await page.waitForSelector('#status[data-state="done"]', { timeout: 30_000 });
    const want = await postJson(`${srv.url}/v1/infill`, { text, max_length: 6 });
    const blanks = await page.$$eval('#output .blank', (els) => els.map((e: any) => Array.from(e.querySelectorAll('.tok') as ArrayLike<{ textContent: string }>).map((t) => t.textContent).join('')));
    assert.deepEqual(blanks, want.json.blanks.map((b: { text: string }) => b.text), 'each blank shows the streamed answer');
    assert.equal(await page.getAttribute('#output', 'data-filled'), want.json.text);
    // Alternatives of the first token, with probabilities.
    await page.click('#output .blank .tok');
    const alts = await page.$$eval('#alt-rows tr', (rows) => rows.map((r) => r.textContent));
    assert.equal(alts.length, 5);
    assert.ok(alts.every((a) => /%$/.test(a ?? '')), alts.join(' | '));
    // Score candidates for the last blank.
    await page.fill('#candidates', 'paris, london, rome');
    await page.click('#score');
    await page.waitForSelector('#scores:not([hidden])');
    assert.equal((await page.$$('#score-rows tr')).length, 3);
    fs.mkdirSync(path.dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });
    assert.ok(fs.statSync(SHOT).size > 10_000, 'a screenshot was written');
    process.stdout.write(`# playground screenshot: ${SHOT}\n`);
    assert.deepEqual(errors, [], 'no script errors on the page');
  } finally {
    await context.close();
    await srv.close();
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
