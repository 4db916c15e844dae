/**
 * `glm serve` as a process: SIGTERM stops new connections, lets in-flight streams finish (or,
 * past --grace-ms, cancels them with a final error event) and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testing/helpers.js';
import { tinyModelDir, parseSse } from '../testing/serve.js';

const main = path.join(repoRoot(), 'dist', 'cli', 'main.js');
const dir = tinyModelDir({ maxSeq: 128 });
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Proc {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function serve(extra: string[]): Promise<Proc> {
  const child = spawn(process.execPath, [main, 'serve', '--model', dir, '--port', '0', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', () => reject(new Error(`exited early: ${err}`)));
  });
  return { child, url, stderr: () => err, exit };
}

/** GET on a new TCP connection: the status, or the connection error's code. */
function freshGet(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Long streamed requests; resolves once each has sent its first event, with readers for the rest. */
async function longStreams(url: string, n: number): Promise<Promise<{ text: string; endedAt: number }>[]> {
  const body = JSON.stringify({ text: 'a [MASK] b', strategy: 'beam', num_beams: 8, max_length: 120, min_length: 120, early_stopping: 'never' });
  const readers = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'a [MASK] b', max_length: 120, min_length: 120, stream: true }) });
    const reader = r.body!.getReader();
    const first = await reader.read();
    readers.push((async () => {
      let text = new TextDecoder().decode(first.value);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { text, endedAt: Date.now() };
        text += new TextDecoder().decode(value);
      }
    })());
    // Beam requests keep the batch busy for longer.
    void fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((x) => x.text()).catch(() => '');
  }
  return readers;
}

test('SIGTERM: in-flight streams finish, new connections are refused, exit code 0', async () => {
  const p = await serve(['--grace-ms', '20000']);
  const streams = await longStreams(p.url, 3);
  const termAt = Date.now();
  assert.equal(await freshGet(`${p.url}/health`), 200);
  p.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await freshGet(`${p.url}/health`), 'ECONNREFUSED', 'no new connections after SIGTERM');
  const done = await Promise.all(streams);
  for (const d of done) {
    const { messages, done: sawDone } = parseSse(d.text);
    assert.ok(sawDone, 'the stream ended with [DONE]');
    assert.equal(messages.at(-1).type, 'done', d.text.slice(-300));
    assert.equal(messages.at(-1).result.blanks[0].tokens.length, 120);
  }
  assert.ok(done.some((d) => d.endedAt > termAt), 'work was still running when SIGTERM came');
  assert.equal(await p.exit, 0, p.stderr());
  assert.match(p.stderr(), /SIGTERM: finishing in-flight requests/);
  assert.match(p.stderr(), /glm serve: stopped/);
});

test('SIGTERM past the grace period cancels what is left with an error event, still exit code 0', async () => {
  const p = await serve(['--grace-ms', '0']);
  const streams = await longStreams(p.url, 2);
  p.child.kill('SIGTERM');
  const done = await Promise.all(streams);
  assert.equal(await p.exit, 0, p.stderr());
  const ends = done.map((d) => parseSse(d.text).messages.at(-1));
  assert.ok(ends.some((m) => m.type === 'error' && m.error.code === 'E_SHUTTING_DOWN'), JSON.stringify(ends).slice(0, 400));
});
