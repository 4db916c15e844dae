#!/usr/bin/env bash
# Regenerates test-fixtures/sentencepiece/: Chinese training text, two SentencePiece models trained
# with Debian's spm_train (package `sentencepiece` 0.1.97), and the ids spm_encode gives for a
# fixed list of test lines. The TypeScript SentencePiece encoder must reproduce those ids exactly.
#
# Text source: npm chinese-poetry@2.0.1 (MIT, Copyright (c) 2016 JackeyGao; the Song ci themselves
# are public domain), dist/songci/ci.song.0.json, first 150 poems; plus the hand-written lines of
# extra-lines.txt (CC0). Needs: npm, python3, spm_train/spm_encode/spm_decode on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../test-fixtures/sentencepiece"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
(cd "$work" && npm pack --silent chinese-poetry@2.0.1 >/dev/null)
echo "25b549e46919c3a0569db6b68ddc96956b04a484ea4518ad2bbd4f137e307e86  $work/chinese-poetry-2.0.1.tgz" | sha256sum -c -
tar -xzf "$work/chinese-poetry-2.0.1.tgz" -C "$work" package/dist/songci/ci.song.0.json package/dist/songci/ci.song.1000.json
python3 - "$work" "$out" "$here" <<'PY'
import json, sys
work, out, here = sys.argv[1:4]
train = json.load(open(f"{work}/package/dist/songci/ci.song.0.json", encoding="utf-8"))[:150]
with open(f"{out}/zh-train.txt", "w", encoding="utf-8") as f:
    for poem in train:
        f.write(poem["rhythmic"] + " " + "".join(poem["paragraphs"]) + "\n")
    f.write(open(f"{here}/extra-lines.txt", encoding="utf-8").read())
# Test lines: unseen poems (another file), plus the hand-written edge cases.
held = json.load(open(f"{work}/package/dist/songci/ci.song.1000.json", encoding="utf-8"))[:12]
with open(f"{out}/zh-test.txt", "w", encoding="utf-8") as f:
    for poem in held:
        f.write("".join(poem["paragraphs"][:2]) + "\n")
    f.write(open(f"{here}/edge-lines.txt", encoding="utf-8").read())
PY
cd "$out"
# 1. unigram with the default nmt_nfkc normalizer (exercises the precompiled char map).
spm_train --input=zh-train.txt --model_prefix=zh-unigram --model_type=unigram --vocab_size=2600 \
  --character_coverage=0.995 --hard_vocab_limit=false --num_threads=1 --seed_sentencepiece_size=100000 2>&1 | grep -E "Alphabet|Saving|vocab_size|Error|error" || true
# 2. BPE, identity normalizer, byte fallback, a user-defined and a control symbol.
spm_train --input=zh-train.txt --model_prefix=zh-bpe --model_type=bpe --vocab_size=2400 \
  --normalization_rule_name=identity --byte_fallback=true --user_defined_symbols='<n>' \
  --control_symbols='<ctl>' --character_coverage=0.98 --hard_vocab_limit=false --num_threads=1 2>&1 | grep -E "Alphabet|Saving|vocab_size|Error|error" || true
rm -f zh-unigram.vocab zh-bpe.vocab
for m in zh-unigram zh-bpe; do
  spm_encode --model=$m.model --output_format=id < zh-test.txt > $m.ids.txt
  spm_encode --model=$m.model --output_format=piece < zh-test.txt > $m.pieces.txt
  spm_decode --model=$m.model --input_format=id < $m.ids.txt > $m.decoded.txt
done
ls -la "$out"
