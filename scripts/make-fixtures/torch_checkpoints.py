#!/usr/bin/python3
"""Writes test-fixtures/torch/: small PyTorch checkpoints saved by real torch.save.

Run with Debian's python3 and python3-torch (1.13): /usr/bin/python3 scripts/make-fixtures/torch_checkpoints.py

  config.json, pytorch_model.bin   tiny GLM (2 layers, hidden 16, heads 2, vocab 64, P 16), F32, zip format
  expected.safetensors             the same tensors as F32 safetensors (written here by hand), the oracle
  legacy_f16.bin                   the same weights in F16, legacy (non-zip) torch.save format
  bf16.bin                         the same weights in BF16, zip format
  megatron/latest_checkpointed_iteration.txt, megatron/7/mp_rank_00_model_states.pt
                                   original layout: F16 weights under "module", plus iteration, argparse
                                   args and RNG states (numpy arrays), as Megatron/DeepSpeed save them
  views.bin, views.json            dtypes, strided / offset / shared-storage views, a 0-d tensor, a Parameter
  wrong_dtype.bin                  word_embeddings.weight stored as int64
  evil_reduce.bin, evil_exec.bin   malicious pickles: loading them with Python's pickle would run
                                   os.system / exec and create /tmp/glm-ts-pickle-pwned. Never load them in Python.
"""
import argparse, collections, json, os, random, struct, sys
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test-fixtures", "torch")
os.makedirs(OUT, exist_ok=True)
L, H, HEADS, V, P = 2, 16, 2, 64, 16
g = torch.Generator().manual_seed(1234)


def rnd(*shape, std=0.02, mean=0.0):
    return (torch.randn(*shape, generator=g) * std + mean).float()


sd = collections.OrderedDict()
sd["word_embeddings.weight"] = rnd(V, H)
sd["transformer.position_embeddings.weight"] = rnd(P + 1, H)
sd["transformer.block_position_embeddings.weight"] = rnd(P + 1, H)
for i in range(L):
    p = f"transformer.layers.{i}."
    sd[p + "input_layernorm.weight"] = rnd(H, std=0.3, mean=2.0)
    sd[p + "input_layernorm.bias"] = rnd(H, std=0.3)
    sd[p + "attention.query_key_value.weight"] = rnd(3 * H, H)
    sd[p + "attention.query_key_value.bias"] = rnd(3 * H, std=0.3)
    sd[p + "attention.dense.weight"] = rnd(H, H)
    sd[p + "attention.dense.bias"] = rnd(H, std=0.05)
    sd[p + "post_attention_layernorm.weight"] = rnd(H, std=0.3, mean=2.0)
    sd[p + "post_attention_layernorm.bias"] = rnd(H, std=0.3)
    sd[p + "mlp.dense_h_to_4h.weight"] = rnd(4 * H, H)
    sd[p + "mlp.dense_h_to_4h.bias"] = rnd(4 * H, std=1.0)
    sd[p + "mlp.dense_4h_to_h.weight"] = rnd(H, 4 * H)
    sd[p + "mlp.dense_4h_to_h.bias"] = rnd(H, std=0.05)
sd["transformer.final_layernorm.weight"] = rnd(H, std=0.5, mean=5.0)
sd["transformer.final_layernorm.bias"] = rnd(H, std=0.3)

config = {
    "model_type": "glm", "architectures": ["GLMModel"], "num_layers": L, "vocab_size": V, "hidden_size": H,
    "num_attention_heads": HEADS, "max_sequence_length": P, "embedding_dropout_prob": 0.1,
    "attention_dropout_prob": 0.1, "output_dropout_prob": 0.1, "block_position_encoding": True,
    "relative_encoding": False, "output_predict": True, "attention_scale": 1.0, "initializer_range": 0.02,
    "checkpoint_activations": False, "checkpoint_num_layers": 1, "parallel_output": True, "pool_token": "cls",
}
with open(os.path.join(OUT, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
torch.save(sd, os.path.join(OUT, "pytorch_model.bin"))


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


write_safetensors(os.path.join(OUT, "expected.safetensors"), sd)
half = collections.OrderedDict((k, v.half()) for k, v in sd.items())
torch.save(half, os.path.join(OUT, "legacy_f16.bin"), _use_new_zipfile_serialization=False)
torch.save(collections.OrderedDict((k, v.bfloat16()) for k, v in sd.items()), os.path.join(OUT, "bf16.bin"))

meg = os.path.join(OUT, "megatron")
os.makedirs(os.path.join(meg, "7"), exist_ok=True)
with open(os.path.join(meg, "latest_checkpointed_iteration.txt"), "w") as f:
    f.write("7")
args = argparse.Namespace(num_layers=L, hidden_size=H, num_attention_heads=HEADS, max_position_embeddings=P, fp16=True, task_mask=False)
random.seed(0)
np.random.seed(0)
torch.save({
    "iteration": 7, "args": args, "module": half,
    "random_rng_state": random.getstate(), "np_rng_state": np.random.get_state(), "torch_rng_state": torch.get_rng_state(),
}, os.path.join(meg, "7", "mp_rank_00_model_states.pt"))

base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
shared = torch.arange(10, dtype=torch.float32)
views = collections.OrderedDict([
    ("f32", base.clone()),
    ("f16", (base * 1.5).half()),
    ("bf16", (base * 3.25).bfloat16()),
    ("f64", base.double() / 3),
    ("i64", torch.arange(5, dtype=torch.int64) - 2),
    ("transposed", base.t()),
    ("narrow", base[1:3, 2:5]),
    ("shared_a", shared[2:6]),
    ("shared_b", shared[5:]),
    ("scalar", torch.tensor(3.5)),
    ("parameter", torch.nn.Parameter(base[0].clone())),
])
torch.save(views, os.path.join(OUT, "views.bin"))
with open(os.path.join(OUT, "views.json"), "w") as f:
    json.dump({k: {"shape": list(v.shape), "values": v.detach().double().flatten().tolist()} for k, v in views.items()}, f)

bad = collections.OrderedDict(sd)
bad["word_embeddings.weight"] = torch.arange(V * H, dtype=torch.int64).reshape(V, H)
torch.save(bad, os.path.join(OUT, "wrong_dtype.bin"))

MARKER = "/tmp/glm-ts-pickle-pwned"


class EvilSystem:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


class EvilExec:
    def __reduce__(self):
        return (exec, (f"open({MARKER!r}, 'w').write('pwned')",))


torch.save({"word_embeddings.weight": sd["word_embeddings.weight"], "evil": EvilSystem()}, os.path.join(OUT, "evil_reduce.bin"))
torch.save({"word_embeddings.weight": sd["word_embeddings.weight"], "evil": EvilExec()}, os.path.join(OUT, "evil_exec.bin"), pickle_protocol=4)
print("wrote", sorted(os.listdir(OUT)))

# Plain containers pickled with protocols 0, 2, 4 and 5, for the unpickler's opcode coverage.
shared_list = [1, 2]
obj = {
    "ints": [0, 1, 255, 256, 65535, 65536, -1, -2**31, 2**31, 2**62, 2**70, -2**70],
    "floats": [0.5, -1.25, 1e300],
    "strs": ["", "ascii", "ünïcödé", "中文", "line\nbreak"],
    "consts": [None, True, False],
    "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
    "bytes": b"\x00\x01\xff",
    "set": {3, 1, 2},
    "frozenset": frozenset({"a"}),
    "nested": {"k": [[], {}, {"deep": [shared_list, shared_list]}]},
    "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
}
import pickle
for proto in (0, 2, 4, 5):
    with open(os.path.join(OUT, f"containers_p{proto}.pkl"), "wb") as f:
        pickle.dump(obj, f, protocol=proto)
