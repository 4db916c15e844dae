/**
 * The Porter stemmer exactly as NLTK's `PorterStemmer()` in its default NLTK_EXTENSIONS mode,
 * which is what Google's `rouge_score` applies when `use_stemmer=True`.
 *
 * Written from the published algorithm (Porter 1980) plus NLTK's documented departures:
 * an irregular-forms table, words of ≤ 2 letters left alone, 'ies'/'ied' on 4-letter words
 * → 'ie', the *o condition also true for a 2-letter vowel–consonant stem, Step 1c
 * y → i only after a consonant that is not the first letter, Step 2's 'alli' rule applied
 * first and repeated, 'bli' → 'ble', 'fulli' → 'ful' and 'logi' → 'log' (with the 'l' in the
 * measured stem). Checked against NLTK 3.8 output (see porter.test.ts).
 *
 * Input is expected lower-case ASCII (rouge_score lower-cases and strips non-[a-z0-9] first).
 */

const IRREGULAR: Readonly<Record<string, string>> = {
  sky: 'sky', skies: 'sky',
  dying: 'die', lying: 'lie', tying: 'tie',
  news: 'news',
  innings: 'inning', inning: 'inning',
  outings: 'outing', outing: 'outing',
  cannings: 'canning', canning: 'canning',
  howe: 'howe',
  proceed: 'proceed', exceed: 'exceed', succeed: 'succeed',
};

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** True when w[i] is a consonant: not a vowel, and a 'y' only when not after a consonant. */
function isConsonant(w: string, i: number): boolean {
  const c = w[i]!;
  if (VOWELS.has(c)) return false;
  if (c === 'y') return i === 0 ? true : !isConsonant(w, i - 1);
  return true;
}

/** Porter's measure m: the number of vowel→consonant transitions in the stem's c/v pattern. */
function measure(stem: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const cons = isConsonant(stem, i);
    if (cons && prevVowel) m++;
    prevVowel = !cons;
  }
  return m;
}

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

/** Condition *d: ends with a double consonant. */
function endsDoubleConsonant(w: string): boolean {
  const n = w.length;
  return n >= 2 && w[n - 1] === w[n - 2] && isConsonant(w, n - 1);
}

/** Condition *o: ends consonant–vowel–consonant with the last not w, x, y; or (NLTK) is a 2-letter vc word. */
function endsCvc(w: string): boolean {
  const n = w.length;
  if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) && !'wxy'.includes(w[n - 1]!)) return true;
  return n === 2 && !isConsonant(w, 0) && isConsonant(w, 1);
}

type Condition = ((stem: string) => boolean) | null;
/** [suffix, replacement, condition]; the suffix '*d' means "ends with a double consonant". */
type Rule = readonly [string, string, Condition];

/**
 * Applies the first rule whose suffix matches. A matching rule whose condition fails stops the
 * search (the word is returned unchanged), as in the published algorithm.
 */
function applyRules(word: string, rules: readonly Rule[]): string {
  for (const [suffix, repl, cond] of rules) {
    if (suffix === '*d') {
      if (endsDoubleConsonant(word)) {
        const stem = word.slice(0, -2);
        return cond === null || cond(stem) ? stem + repl : word;
      }
      continue;
    }
    if (word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return cond === null || cond(stem) ? stem + repl : word;
    }
  }
  return word;
}

const positive = (s: string): boolean => measure(s) > 0;
const greaterThanOne = (s: string): boolean => measure(s) > 1;

function step1a(w: string): string {
  if (w.endsWith('ies') && w.length === 4) return w.slice(0, -3) + 'ie';
  return applyRules(w, [['sses', 'ss', null], ['ies', 'i', null], ['ss', 'ss', null], ['s', '', null]]);
}

function step1b(w: string): string {
  if (w.endsWith('ied')) return w.slice(0, -3) + (w.length === 4 ? 'ie' : 'i');
  if (w.endsWith('eed')) {
    const stem = w.slice(0, -3);
    return measure(stem) > 0 ? stem + 'ee' : w;
  }
  let stem: string | null = null;
  for (const suffix of ['ed', 'ing']) {
    if (w.endsWith(suffix)) {
      const s = w.slice(0, w.length - suffix.length);
      if (containsVowel(s)) { stem = s; break; }
    }
  }
  if (stem === null) return w;
  const last = stem[stem.length - 1] ?? '';
  return applyRules(stem, [
    ['at', 'ate', null],
    ['bl', 'ble', null],
    ['iz', 'ize', null],
    ['*d', last, () => !'lsz'.includes(last)],
    ['', 'e', (s) => measure(s) === 1 && endsCvc(s)],
  ]);
}

function step1c(w: string): string {
  return applyRules(w, [['y', 'i', (s) => s.length > 1 && isConsonant(s, s.length - 1)]]);
}

function step2(w: string): string {
  if (w.endsWith('alli') && positive(w.slice(0, -4))) return step2(w.slice(0, -4) + 'al');
  return applyRules(w, [
    ['ational', 'ate', positive],
    ['tional', 'tion', positive],
    ['enci', 'ence', positive],
    ['anci', 'ance', positive],
    ['izer', 'ize', positive],
    ['bli', 'ble', positive],
    ['alli', 'al', positive],
    ['entli', 'ent', positive],
    ['eli', 'e', positive],
    ['ousli', 'ous', positive],
    ['ization', 'ize', positive],
    ['ation', 'ate', positive],
    ['ator', 'ate', positive],
    ['alism', 'al', positive],
    ['iveness', 'ive', positive],
    ['fulness', 'ful', positive],
    ['ousness', 'ous', positive],
    ['aliti', 'al', positive],
    ['iviti', 'ive', positive],
    ['biliti', 'ble', positive],
    ['fulli', 'ful', positive],
    // The 'l' of 'logi' stays with the measured stem, so 'geo', 'theo' behave like 'archaeo'.
    ['logi', 'log', () => positive(w.slice(0, -3))],
  ]);
}

function step3(w: string): string {
  return applyRules(w, [
    ['icate', 'ic', positive],
    ['ative', '', positive],
    ['alize', 'al', positive],
    ['iciti', 'ic', positive],
    ['ical', 'ic', positive],
    ['ful', '', positive],
    ['ness', '', positive],
  ]);
}

function step4(w: string): string {
  return applyRules(w, [
    ['al', '', greaterThanOne],
    ['ance', '', greaterThanOne],
    ['ence', '', greaterThanOne],
    ['er', '', greaterThanOne],
    ['ic', '', greaterThanOne],
    ['able', '', greaterThanOne],
    ['ible', '', greaterThanOne],
    ['ant', '', greaterThanOne],
    ['ement', '', greaterThanOne],
    ['ment', '', greaterThanOne],
    ['ent', '', greaterThanOne],
    ['ion', '', (s) => measure(s) > 1 && (s.endsWith('s') || s.endsWith('t'))],
    ['ou', '', greaterThanOne],
    ['ism', '', greaterThanOne],
    ['ate', '', greaterThanOne],
    ['iti', '', greaterThanOne],
    ['ous', '', greaterThanOne],
    ['ive', '', greaterThanOne],
    ['ize', '', greaterThanOne],
  ]);
}

function step5a(w: string): string {
  // Both rules share the suffix 'e', so both conditions are tried (unlike applyRules).
  if (w.endsWith('e')) {
    const stem = w.slice(0, -1);
    const m = measure(stem);
    if (m > 1) return stem;
    if (m === 1 && !endsCvc(stem)) return stem;
  }
  return w;
}

function step5b(w: string): string {
  return applyRules(w, [['ll', 'l', () => measure(w.slice(0, -1)) > 1]]);
}

/** Stems one lower-case word like NLTK's `PorterStemmer().stem(word)` (mode NLTK_EXTENSIONS). */
export function porterStem(word: string): string {
  const w = word.toLowerCase();
  const irregular = IRREGULAR[word];
  if (irregular !== undefined && Object.prototype.hasOwnProperty.call(IRREGULAR, word)) return irregular;
  if (word.length <= 2) return w;
  return step5b(step5a(step4(step3(step2(step1c(step1b(step1a(w))))))));
}
