#!/usr/bin/env bash
# How models/glm-en-small was made, step by step (run from the repository root after `npm install`).
# Deterministic: the same commands give the same corpus (sha256 in data-manifest.json) and the
# same training run. The run was planned for 2,600 steps and shortened on the shared machine at
# steps 300, 600 and 900 by resuming with a shorter schedule; the four legs below replay that
# exactly (--decay-iters is the schedule length each leg ran with).
set -euo pipefail
C=${GLM_CACHE_DIR:-$HOME/.cache/glm-ts}
CORPUS=$C/corpus/english-v1
R=${RUN_DIR:-runs/glm-en-small}

apt-get update -qq                                   # Debian sources are fetched with apt-get download
node scripts/build-corpus.mjs --out $CORPUS          # train.jsonl, test.jsonl, manifest.json
node -e "const fs=require('fs');fs.writeFileSync(process.argv[2],fs.readFileSync(process.argv[1],'utf8').trim().split('\n').map(l=>JSON.parse(l).text).join('\n\n')+'\n')" $CORPUS/train.jsonl $R-corpus.txt
node dist/cli/main.js tokenizer train --type wordpiece --vocab-size 16000 --data $R-corpus.txt --out $R-tokenizer
cat > $R-config.json <<'JSON'
{"model_type":"glm","num_layers":4,"hidden_size":256,"num_attention_heads":4,"vocab_size":16128,"max_sequence_length":256}
JSON

leg() {  # leg STEPS DECAY_ITERS [--resume]
  nice -n 3 node dist/cli/main.js pretrain --config $R-config.json --data $CORPUS/train.jsonl --tokenizer $R-tokenizer \
    --seq 256 --batch 16 --steps $1 --decay-iters $2 --lr 1.5e-3 --warmup 0.02 --decay-style cosine --decay-ratio 0.1 \
    --dropout 0 --weight-decay 0.1 --clip 1.0 --bert-prob 0.7 --gpt-prob 0.3 --task-mask \
    --valid-fraction 0.01 --eval-interval 100 --eval-batches 16 --checkpoint-interval 100 --keep-checkpoints 2 \
    --max-minutes 0 --seed 1234 --samples 8 --no-progress --out $R ${3:-}
}
leg 300 2600
leg 600 1800 --resume
leg 900 1500 --resume
leg 1200 1200 --resume

node dist/cli/main.js convert $R/model models/glm-en-small --dtype f16   # float16 weights + config + tokenizer
cp $R/metrics.jsonl models/glm-en-small/train-metrics.jsonl
cp $CORPUS/manifest.json models/glm-en-small/data-manifest.json
node scripts/evaluate-model.mjs --model models/glm-en-small --corpus $CORPUS --out models/glm-en-small/eval
node scripts/model-card.mjs models/glm-en-small
