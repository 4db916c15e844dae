// The playground: streams /v1/infill (server-sent events over fetch) into the blanks of the text,
// shows each token's alternatives, and scores candidate answers with /v1/score. No build step.
'use strict';

const $ = (id) => document.getElementById(id);
const MASK_RE = /(\[MASK\]|\[sMASK\]|\[gMASK\])/;
let controller = null;

function setStatus(text, state) {
  const s = $('status');
  s.textContent = text;
  s.dataset.state = state;
}

function showOptions() {
  const strategy = $('strategy').value;
  for (const el of document.querySelectorAll('.sample-only')) el.classList.toggle('hidden-opt', strategy !== 'sample');
  for (const el of document.querySelectorAll('.beam-only')) el.classList.toggle('hidden-opt', strategy !== 'beam');
}

/** Renders the text with one empty span per blank; returns the blank spans in order. */
function renderPrompt(text) {
  const out = $('output');
  out.replaceChildren();
  const parts = text.split(MASK_RE);
  if (!parts.some((p) => MASK_RE.test(p))) parts.push(' ', '[gMASK]');
  const blanks = [];
  for (const p of parts) {
    if (MASK_RE.test(p)) {
      const span = document.createElement('span');
      span.className = 'blank pending';
      span.dataset.mask = p;
      span.textContent = p;
      out.append(span);
      blanks.push(span);
    } else out.append(document.createTextNode(p));
  }
  return blanks;
}

function pct(logprob) {
  return (100 * Math.exp(logprob)).toFixed(1) + '%';
}

function showAlternatives(span, token) {
  for (const s of document.querySelectorAll('.tok.selected')) s.classList.remove('selected');
  span.classList.add('selected');
  $('alt-token').textContent = JSON.stringify(token.text);
  const rows = $('alt-rows');
  rows.replaceChildren();
  for (const alt of token.top ?? [{ text: token.text, logprob: token.logprob }]) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    a.textContent = JSON.stringify(alt.text);
    if (alt.token === token.token) a.style.fontWeight = 'bold';
    const b = document.createElement('td');
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = (Math.exp(alt.logprob) * 12).toFixed(2) + 'rem';
    b.append(bar, document.createTextNode(pct(alt.logprob)));
    tr.append(a, b);
    rows.append(tr);
  }
  $('alternatives').hidden = false;
}

function requestBody() {
  const strategy = $('strategy').value;
  const body = { text: $('prompt').value, strategy, max_length: Number($('max-length').value), stream: true };
  if (strategy === 'sample') Object.assign(body, { temperature: Number($('temperature').value), top_p: Number($('top-p').value), seed: Number($('seed').value) });
  if (strategy === 'beam') body.num_beams = Number($('beams').value);
  else body.top_logprobs = 5;
  return body;
}

/** Reads `data: …` messages from a server-sent-events response body. */
async function* sseMessages(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const msg = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const data = msg.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data === '[DONE]') return;
      if (data) yield JSON.parse(data);
    }
  }
}

function addToken(blank, e) {
  if (blank.classList.contains('pending')) {
    blank.classList.remove('pending');
    blank.textContent = '';
  }
  const span = document.createElement('span');
  span.className = 'tok';
  span.textContent = e.text;
  span.title = `${JSON.stringify(e.text)}: p = ${pct(e.logprob)}`;
  span.addEventListener('click', () => showAlternatives(span, e));
  blank.append(span);
}

async function fill() {
  const blanks = renderPrompt($('prompt').value);
  $('alternatives').hidden = true;
  controller = new AbortController();
  $('fill').disabled = true;
  $('stop').disabled = false;
  setStatus('Filling…', 'streaming');
  let tokens = 0;
  try {
    const r = await fetch('/v1/infill', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(requestBody()), signal: controller.signal });
    if (!r.ok) throw new Error((await r.json()).error.message);
    for await (const e of sseMessages(r)) {
      const blank = blanks[e.blank];
      if (e.type === 'token') {
        tokens++;
        addToken(blank, e);
      } else if (e.type === 'blank') {
        if (e.text) addToken(blank, { text: e.text, logprob: 0, token: -1 });
        if (blank.classList.contains('pending')) {
          blank.classList.remove('pending');
          blank.textContent = '';
        }
        blank.classList.add('done');
        const tag = document.createElement('span');
        tag.className = 'stop-tag';
        tag.textContent = e.result.stop;
        blank.append(tag);
      } else if (e.type === 'done') {
        $('output').dataset.filled = e.result.text;
        setStatus(`Done: ${tokens} tokens in ${blanks.length} blank(s).`, 'done');
      } else if (e.type === 'error') throw new Error(e.error.message);
    }
  } catch (err) {
    setStatus(err.name === 'AbortError' ? 'Stopped.' : `Error: ${err.message}`, err.name === 'AbortError' ? 'idle' : 'error');
  } finally {
    $('fill').disabled = false;
    $('stop').disabled = true;
    controller = null;
  }
}

async function score() {
  const candidates = $('candidates').value.split(',').map((c) => c.trim()).filter((c) => c);
  try {
    const r = await fetch('/v1/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: $('prompt').value, candidates }) });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error.message);
    const rows = $('score-rows');
    rows.replaceChildren();
    for (const c of body.candidates) {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = c.text + (c.text === body.best ? '  ★' : '');
      const lp = document.createElement('td');
      lp.textContent = c.logprob.toFixed(3);
      const p = document.createElement('td');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = (c.probability * 12).toFixed(2) + 'rem';
      p.append(bar, document.createTextNode((100 * c.probability).toFixed(1) + '%'));
      tr.append(name, lp, p);
      rows.append(tr);
    }
    $('scores').hidden = false;
    setStatus('Scored.', 'done');
  } catch (err) {
    setStatus(`Error: ${err.message}`, 'error');
  }
}

$('strategy').addEventListener('change', showOptions);
$('fill').addEventListener('click', fill);
$('stop').addEventListener('click', () => controller?.abort());
$('score').addEventListener('click', score);
showOptions();
fetch('/health').then((r) => r.json()).then((h) => ($('model').textContent = h.model)).catch(() => {});
