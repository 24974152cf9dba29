#!/usr/bin/env python3
"""Performance model of the int8 kernels' inner loops, from the compiled objects, by llvm-mca.

For each kernel set's object (aarch64 neon, dotprod, i8mm; armv7 neon; x86 avx2, avxvnni,
avx512vnni), disassembles the kernels (llvm-objdump), finds every innermost loop (a backward
branch with no other loop inside and no call), and keeps the steady-state loops of:
  gemm           the GEMM's full-tile k loop (the innermost loop with the most multiplies)
  quantize_rows  f32_qd8_quantize_rows's vector loops
  layer_norm     f32_layer_norm's vector loops
  softmax_rows   f32_qd8_softmax_rows's vector loops
  attention      attend<4>'s vector loops (f32_attention's 4-row pass)
Each loop goes through llvm-mca (1000 iterations) on the scheduling model standing in for each
core, which gives cycles per iteration; for GEMM loops the multiplies are counted (sdot 16 MACs,
smmla 32, smull.8h 8, vpdpbusd zmm 64, ...) to give MACs per cycle and the fraction of the
core's peak: the same core model's throughput on 12 independent copies of the loop's own
multiply instruction ("own peak"), and of the core's best int8 instruction ("core peak": smmla
where the core has i8mm, else sdot where it has dotprod, else the loop's own).

Cores and the models standing in for them (LLVM 16):
  cortex-a53   Cortex-A53 (Pi 3, Zero 2 W)          its own in-order model
  cortex-a72   Cortex-A72 (Pi 4)                    Cortex-A57's model (LLVM schedules the A72,
                                                    an A57 derivative with the same pipes, by it)
  cortex-a76   Cortex-A76 (Pi 5)                    Neoverse N2's model: LLVM 16 has none for the
                                                    A76 (-mcpu=cortex-a76 and neoverse-n1 fall
                                                    back to A57's: one load pipe, no real sdot
                                                    timing); N2 (Cortex-A710 class) has the A76's
                                                    two 128-bit SIMD pipes with sdot on both,
                                                    multiply-accumulate on one, two load pipes
  neoverse-n2  an i8mm core (Neoverse N2, Cortex-A710 phones)   its own model
  armv7 objects run on cortex-a72 in AArch32 (A57 model; LLVM 16 has no AArch32 model of A53/A7)
  x86: znver4 (Zen 4; the nearest to the Zen 5 EPYCs here) and icelake-server (AVX-512 VNNI
  Xeon; no AVX-VNNI there).

usage: bench/perf_model.py [--json] [--check] [--aarch64 DIR] [--armv7 DIR] [--x86 DIR]
  DIR: a build tree (default build-cross/aarch64, build-cross/armv7, build); missing objects
  are skipped with a note (scripts/cross_test.sh or `cmake --build DIR --target
  edgebert_objects` makes them). --json: one JSON object per (set, kernel, loop, core) line.
  --check: exit 1 unless every present set's GEMM loop was found with the multiply count its
  entry's tile implies (MR x NR x KR per k step) and every prediction is sane.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OBJ_DIR = "lib/CMakeFiles/edgebert_objects.dir/src/kernels"

# (set, arch, object path under a build tree)
SETS = [
    ("neon", "aarch64", "arm/kernels_neon.cc.o"),
    ("dotprod", "aarch64", "arm/kernels_dotprod.cc.o"),
    ("i8mm", "aarch64", "arm/kernels_i8mm.cc.o"),
    ("neon", "armv7", "arm/kernels_neon.cc.o"),
    ("avx2", "x86", "x86/kernels_avx2.cc.o"),
    ("avxvnni", "x86", "x86/kernels_avxvnni.cc.o"),
    ("avx512vnni", "x86", "x86/kernels_avx512vnni.cc.o"),
]

# name, what it stands for, arch, llvm-mca arguments, the sets it can run, its best int8 multiply
CORES = [
    ("cortex-a53", "Cortex-A53 (Pi 3, Zero 2 W)", "aarch64",
     ["-mtriple=aarch64", "-mcpu=cortex-a53"], {"neon"}, "smull"),
    ("cortex-a72", "Cortex-A72 (Pi 4), Cortex-A57 model", "aarch64",
     ["-mtriple=aarch64", "-mcpu=cortex-a72"], {"neon"}, "smull"),
    ("cortex-a76", "Cortex-A76 (Pi 5), Neoverse N2 model", "aarch64",
     ["-mtriple=aarch64", "-mcpu=neoverse-n2", "-mattr=+dotprod"], {"neon", "dotprod"}, "sdot"),
    ("neoverse-n2", "Neoverse N2 (i8mm)", "aarch64",
     ["-mtriple=aarch64", "-mcpu=neoverse-n2", "-mattr=+dotprod,+i8mm"],
     {"neon", "dotprod", "i8mm"}, "smmla"),
    ("cortex-a72-aarch32", "Cortex-A72 (Pi 4, 32-bit OS), Cortex-A57 model", "armv7",
     ["-mtriple=thumbv7a-linux-gnueabihf", "-mcpu=cortex-a72"], {"neon"}, "vmull"),
    ("znver4", "Zen 4 model (stand-in for the Zen 5 at hand)", "x86",
     ["-mtriple=x86_64", "-mcpu=znver4", "-mattr=+avxvnni"], {"avx2", "avxvnni", "avx512vnni"},
     "vpdpbusd-zmm"),
    ("icelake-server", "Ice Lake Xeon model (AVX-512 VNNI)", "x86",
     ["-mtriple=x86_64", "-mcpu=icelake-server"], {"avx2", "avx512vnni"}, "vpdpbusd-zmm"),
]

# The multiply instructions: (key, regex on "mnemonic operands", MACs, peak template with {i}).
MULTIPLIES = [
    ("smmla", r"^[su]?s?mmla\s+v\d+\.4s", 32, "smmla v{i}.4s, v28.16b, v29.16b"),
    ("sdot", r"^(s|u|us)dot\s+v\d+\.4s", 16, "sdot v{i}.4s, v28.16b, v29.16b"),
    ("smull", r"^[su]m(ull|lal)2?\s+v\d+\.8h", 8, "smull v{i}.8h, v28.8b, v29.8b"),
    ("vmull", r"^vm(ull|lal)\.[su]8\s+q", 8, "vmull.s8 q{i}, d28, d29"),
    ("vpdpbusd-zmm", r"^(\{vex\}\s+)?vpdpbusds?\s+.*%zmm", 64, "vpdpbusd %zmm30, %zmm31, %zmm{i}"),
    ("vpdpbusd-ymm", r"^(\{vex\}\s+)?vpdpbusds?\s+.*%ymm", 32,
     "{{vex}} vpdpbusd %ymm14, %ymm15, %ymm{i}"),
    ("vpmaddubsw-ymm", r"^vpmaddubsw\s+.*%ymm", 32, "vpmaddubsw %ymm14, %ymm15, %ymm{i}"),
]

# The functions whose loops are kept: kernel name -> regex on the demangled function name.
KERNELS = [
    ("gemm", r"::\(anonymous namespace\)::tile[_a-z0-9]*<|::qd8_f32_qc[478]w_gemm_"),
    ("quantize_rows", r"::f32_qd8_quantize_rows\("),
    ("layer_norm", r"::f32_layer_norm\("),
    ("softmax_rows", r"::f32_qd8_softmax_rows\(|::exp_shifted_row\("),  # the latter when not inlined
    ("attention", r"::attend<4>\("),
]

# GEMM entries per set: (entry, regex on the function holding its full-tile loop, MACs per k
# step of that tile = MR x NR x KR).
GEMM_ENTRIES = {
    # The 4-bit entries' k loops: one quarter (4 channels) of their tiles, 8 k a step.
    ("neon", "aarch64"): [("qd8_f32_qc8w_gemm_2x16c4__neon", r"::tile<2>", 2 * 16 * 4),
                          ("qd8_f32_qc4w_gemm_8x16c4__neon",
                           r"tile_int4_quarters<8>|walk_tiles<8, .*qc4w_gemm_x16c4", 8 * 4 * 8)],
    ("dotprod", "aarch64"): [("qd8_f32_qc8w_gemm_4x16c4__neondot", r"::tile<4>", 4 * 16 * 4),
                             # its k loop: one quarter (4 channels) of the 20 x 16 tile
                             ("qd8_f32_qc4w_gemm_20x16c4__neondot",
                              r"tile_int4_quarters<20>|walk_tiles<20, .*qc4w_gemm_20x16c4",
                              20 * 4 * 8)],
    # The dense layers' tiles, on row-pair activations: each k loop computes one quarter (4
    # channels) of the 16 x 16 tile.
    ("i8mm", "aarch64"): [("qd8_f32_qc8w_gemm_16x16c8__neoni8mm", r"tile_row_pairs<16, false>",
                           16 * 4 * 8),
                          ("qd8_f32_qc4w_gemm_16x16c8__neoni8mm", r"tile_row_pairs<16, true>",
                           16 * 4 * 8)],
    ("neon", "armv7"): [("qd8_f32_qc8w_gemm_1x16c4__neon", r"::tile<1>|qc8w_gemm_x16c4", 1 * 16 * 4),
                        ("qd8_f32_qc4w_gemm_4x16c4__neon", r"tile_int4_quarters<4>|qc4w_gemm_x16c4",
                         4 * 4 * 8)],
    ("avx2", "x86"): [("qd8_f32_qc8w_gemm_4x16c4__avx2", r"tile_sign<4, .*Int8Halves", 4 * 16 * 4),
                      ("qd8_f32_qc7w_gemm_5x16c4__avx2", r"tile_u8s7<5>", 5 * 16 * 4),
                      ("qd8_f32_qc4w_gemm_4x16c4__avx2", r"tile_sign<4, .*Int4Halves", 4 * 16 * 4)],
    ("avxvnni", "x86"): [("qd8_f32_qc8w_gemm_6x16c4__avxvnni", r"tile<6, .*Int8Halves", 6 * 16 * 4),
                         ("qd8_f32_qc4w_gemm_4x16c4__avxvnni", r"tile<4, .*Int4Halves", 4 * 16 * 4)],
    ("avx512vnni", "x86"): [("qd8_f32_qc8w_gemm_8x32c4__avx512vnni", r"tile<8, 2, .*Int8Weights",
                             8 * 32 * 4),
                            ("qd8_f32_qc4w_gemm_8x32c4__avx512vnni", r"tile<8, 2, .*Int4Weights",
                             8 * 32 * 4)],
}

# Branches: aarch64 (b.cond, b, cbz, tbz), x86 (jcc, jmp), armv7 (bne, bhi, ...).
BRANCH = re.compile(r"^(b\.[a-z]+|b|cbn?z|tbn?z|j[a-z]+|b[a-z]{2}(\.[nw])?)$")
CALL = re.compile(r"^(bl|blx|call[a-z]*)$")
VECTOR = {"aarch64": re.compile(r"\bv\d+\.|\bq\d+\b"), "armv7": re.compile(r"\bq\d+\b|\bd\d+\b|\bs\d+\b"),
          "x86": re.compile(r"%[xyz]mm\d+")}


def tool(name):
    path = shutil.which(name)
    if path is None:
        sys.exit(f"perf_model: {name} not found (Debian: apt-get install llvm-16)")
    return path


def disassemble(objdump, path):
    """{function name: [(address, mnemonic, operands)]} of an object's text."""
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", "-C", path], check=True,
                         capture_output=True, text=True).stdout
    functions, current = {}, None
    for line in out.splitlines():
        head = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if head and re.match(r"^\$[atdx](\.|$)", head.group(2)):
            continue  # an ARM mapping symbol ($t code, $d a literal pool): the same function
        if head:
            current = head.group(2)
            functions.setdefault(current, [])
            continue
        ins = re.match(r"^\s*([0-9a-f]+):\s+(\S+)(?:\s+(.*))?$", line)
        if ins and current is not None:
            mnemonic, operands = ins.group(2), (ins.group(3) or "").strip()
            if mnemonic == "{vex}":  # the prefix is part of the instruction
                parts = operands.split(None, 1)
                mnemonic, operands = "{vex} " + parts[0], parts[1] if len(parts) > 1 else ""
            functions[current].append((int(ins.group(1), 16), mnemonic, operands))
    return functions


def branch_target(mnemonic, operands):
    if not BRANCH.match(mnemonic.split()[-1]):
        return None
    m = re.search(r"(?:0x)?([0-9a-f]+) <", operands)
    return int(m.group(1), 16) if m else None


def innermost_loops(instructions):
    """[(start, end)] index ranges of loops with no loop nested inside and no call."""
    index = {addr: i for i, (addr, _, _) in enumerate(instructions)}
    loops = []
    for i, (addr, mnemonic, operands) in enumerate(instructions):
        target = branch_target(mnemonic, operands)
        if target is not None and target <= addr and target in index:
            loops.append((index[target], i))
    inner = [(s, e) for s, e in loops
             if not any((s2, e2) != (s, e) and s <= s2 and e2 <= e for s2, e2 in loops)]
    return [(s, e) for s, e in inner
            if not any(CALL.match(m) for _, m, _ in instructions[s:e + 1])]


def assembly(instructions, arch):
    """llvm-mca input: the loop body with its branches pointed at labels."""
    lines = []
    for _, mnemonic, operands in instructions:
        operands = re.sub(r"\s*//.*$|\s*@.*$|\s*#\s*0x[0-9a-f]+\s*<.*$", "", operands)
        if branch_target(mnemonic, operands + " <") is not None or "<" in operands:
            operands = re.sub(r"(?:0x)?[0-9a-f]+ <[^>]*>", ".Lloop", operands)
            operands = re.sub(r"^0x[0-9a-f]+$", ".Lloop", operands)
        if arch == "x86" and re.search(r"<.*>", operands):
            operands = re.sub(r"0x[0-9a-f]+\s*<[^>]*>", ".Lloop", operands)
        lines.append(f"{mnemonic} {operands}".strip())
    return ".Lloop:\n" + "\n".join(lines) + "\n"


def run_mca(mca, args, text, iterations=1000):
    with tempfile.NamedTemporaryFile("w", suffix=".s", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        r = subprocess.run([mca, *args, f"-iterations={iterations}", path], capture_output=True,
                           text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[0] if r.stderr.strip() else "llvm-mca failed"
    total = int(re.search(r"Total Cycles:\s+(\d+)", r.stdout).group(1))
    rthroughput = float(re.search(r"Block RThroughput:\s+([\d.]+)", r.stdout).group(1))
    # The most used resource per iteration: the bound when throughput limits.
    bound = ""
    table = re.search(r"Resource pressure per iteration:\n(.*?)\n(.*?)\n", r.stdout)
    names = re.findall(r"\[(\d+(?:\.\d+)?)\]\s+-\s+(\S+)", r.stdout)
    if table and names:
        values = table.group(2).split()
        best = max(range(len(values)), key=lambda k: float(values[k]) if values[k] != "-" else 0)
        if best < len(names):
            bound = f"{names[best][1]} {values[best]}"
    return {"cycles": total / iterations, "rthroughput": rthroughput, "bound": bound}, None


def multiplies(instructions):
    """(MACs per iteration, the multiply key most of them use)."""
    counts = {}
    for _, mnemonic, operands in instructions:
        text = f"{mnemonic} {operands}"
        for key, pattern, macs, _ in MULTIPLIES:
            if re.search(pattern, text):
                counts[key] = counts.get(key, 0) + 1
                break
    if not counts:
        return 0, None
    macs = {key: m for key, _, m, _ in MULTIPLIES}
    total = sum(n * macs[key] for key, n in counts.items())
    return total, max(counts, key=lambda k: counts[k] * macs[k])


_peaks = {}


def peak(mca, core, key):
    """MACs per cycle of 12 independent copies of multiply `key` on `core`'s model."""
    if (core[0], key) not in _peaks:
        template = next(t for k, _, _, t in MULTIPLIES if k == key)
        macs = next(m for k, _, m, _ in MULTIPLIES if k == key)
        text = "\n".join(template.format(i=i) for i in range(12)) + "\n"
        result, _ = run_mca(mca, core[3], text)
        _peaks[(core[0], key)] = 12 * macs / result["cycles"] if result else None
    return _peaks[(core[0], key)]


def loops_of(functions, arch, entries):
    """[(kernel, loop label, instructions, entry or None)] of one object."""
    found = []
    vector = VECTOR[arch]
    for kernel, pattern in KERNELS:
        candidates = []
        for name, instructions in functions.items():
            if not re.search(pattern, name):
                continue
            for s, e in innermost_loops(instructions):
                body = instructions[s:e + 1]
                simd = sum(1 for _, m, o in body if vector.search(o))
                candidates.append((name, instructions[s][0], body, simd))
        if kernel == "gemm":  # per entry, the loop with the most multiplies of its tile
            for entry, holder, _ in entries:
                mine = [c for c in candidates if re.search(holder, c[0])]
                best = max(mine, key=lambda c: multiplies(c[2])[0], default=None)
                if best and multiplies(best[2])[0] > 0:
                    found.append((kernel, short_name(best[0]), best[2], entry))
        else:
            seen = set()  # inlined copies of one loop: the first only
            for name, addr, body, simd in candidates:
                shape = tuple(m for _, m, _ in body)
                if simd >= 4 and shape not in seen:
                    seen.add(shape)
                    found.append((kernel, f"{short_name(name)}+0x{addr:x}", body, None))
    return found


def short_name(name):
    name = re.sub(r"^.*::\(anonymous namespace\)::", "", name)
    name = re.sub(r"^(void )?edgebert::kernels::[a-z0-9]+::", "", name)
    return re.sub(r"\(.*$", "", name)


# Boards for the whole-model estimate: (board, core model row, kernel set, GHz, cores).
BOARDS = [
    ("Pi 3 B+ / Zero 2 W", "cortex-a53", "neon", 1.4, 4),  # the Zero 2 W runs at 1.0 GHz
    ("Pi 4 B", "cortex-a72", "neon", 1.8, 4),               # 1.5 GHz on boards before 2021
    ("Pi 5", "cortex-a76", "dotprod", 2.4, 4),
]
# name, layers, hidden, heads, intermediate (the bench models' shapes: bench/make_bench_models)
SHAPES = [("bert-mini", 4, 256, 4, 1024), ("minilm-l6", 6, 384, 12, 1536),
          ("bert-base", 12, 768, 12, 3072)]
SEQS = (16, 64, 128)
ATTENTION_INT8_FROM = 64  # kQd8AttentionMinTokens: int8 q k^T and p v from 64 tokens on
DENSE_STEPS = ("qkv", "attention_output", "intermediate", "output")


def dense_macs(layers, hidden, heads, inter, seq):
    """Multiply-accumulates of the int8 GEMMs of one run: the six dense layers a layer, and the
    attention products where they run in int8 (q k^T and p v per head)."""
    dense = seq * (4 * hidden * hidden + 2 * hidden * inter)
    attention = 2 * seq * seq * hidden if seq >= ATTENTION_INT8_FROM else 0
    return layers * dense, layers * attention


def x86_dense_share(bench, models, shape, seq):
    """Shares of a run in the dense steps and in attention, measured here by edgebert-bench
    --per-op (the ARM shares of the steps not modelled are taken from x86, where they are
    larger: its int8 GEMMs are relatively faster than its float code, so this errs slower)."""
    path = os.path.join(models, f"{shape}-int8.ebm")
    if not (os.path.exists(bench) and os.path.exists(path)):
        return None
    r = subprocess.run([bench, path, "--seq", str(seq), "--runs", "10", "--warmup", "2",
                        "--per-op", "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    ops = json.loads(r.stdout)["results"][0]["per_op"]
    share = lambda names: sum(o["percent"] for o in ops if o["op"] in names) / 100
    return share(DENSE_STEPS), share(("attention",))


def estimate(rows, bench, models, as_json):
    """Whole-model latency per Pi from the modelled GEMM throughput and the op counts."""
    gemm = {(r["core"], r["set"]): r["macs_per_cycle"] for r in rows
            if r["kernel"] == "gemm" and "macs_per_cycle" in r}
    out = []
    for shape, layers, hidden, heads, inter in SHAPES:
        for seq in SEQS:
            shares = x86_dense_share(bench, models, shape, seq)
            dense, attention = dense_macs(layers, hidden, heads, inter, seq)
            for board, core, set_name, ghz, cores in BOARDS:
                rate = gemm.get((core, set_name))
                if rate is None:
                    continue
                gemm_ms = (dense + attention) / rate / (ghz * 1e6)
                for threads in (1, cores):
                    row = {"board": board, "core": core, "set": set_name, "ghz": ghz,
                           "model": shape, "seq": seq, "threads": threads,
                           "gemm_macs": dense + attention,
                           "gemm_ms": round(gemm_ms / threads, 3)}
                    if shares:
                        # Not modelled: embeddings, LayerNorms, heads, and attention where it
                        # runs in fp32 (< 64 tokens), at x86's share relative to the dense
                        # steps; kept whole with threads (LayerNorm and the heads do not split).
                        # From 64 tokens attention's products are modelled; its softmax is not.
                        dense_share, attention_share = shares
                        modelled = dense_share + (attention_share if attention else 0)
                        dense_ms = dense / rate / (ghz * 1e6)
                        rest = dense_ms * (1 - modelled) / dense_share
                        row.update(x86_dense_share=round(dense_share, 3),
                                   x86_attention_share=round(attention_share, 3),
                                   estimate_ms=round(gemm_ms / threads + rest, 3))
                    out.append(row)
    if as_json:
        for row in out:
            print(json.dumps(row))
        return
    print("\nwhole-model estimate (ms): int8 GEMMs at the modelled MACs/cycle and clock; "
          "'total' adds the other steps at x86's measured share")
    print(f"{'board':<20}{'set':<9}{'model':<11}{'seq':>5}{'thr':>5}{'GEMM ms':>10}"
          f"{'total ms':>10}")
    for r in out:
        total = f"{r['estimate_ms']:>10.2f}" if "estimate_ms" in r else f"{'-':>10}"
        print(f"{r['board']:<20}{r['set']:<9}{r['model']:<11}{r['seq']:>5}{r['threads']:>5}"
              f"{r['gemm_ms']:>10.2f}{total}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--check", action="store_true",
                   help="fail unless every GEMM loop is found and sane")
    p.add_argument("--aarch64", default=os.path.join(ROOT, "build-cross/aarch64"))
    p.add_argument("--armv7", default=os.path.join(ROOT, "build-cross/armv7"))
    p.add_argument("--x86", default=os.path.join(ROOT, "build"))
    p.add_argument("--kernels", default="", help="only these kernels, comma separated (gemm, ...)")
    p.add_argument("--estimate", action="store_true",
                   help="then whole-model latency per Pi (BERT-Mini, MiniLM-L6, BERT-base; "
                        "seq 16, 64, 128; 1 and 4 threads)")
    p.add_argument("--bench", default=os.path.join(ROOT, "build/bench/edgebert-bench"),
                   help="host edgebert-bench for the dense steps' share (--estimate)")
    p.add_argument("--models", default=os.path.join(ROOT, "build/bench-models"),
                   help="its models (build/bench/edgebert_make_bench_models DIR)")
    a = p.parse_args()
    mca, objdump = tool("llvm-mca-16"), tool("llvm-objdump-16")
    trees = {"aarch64": a.aarch64, "armv7": a.armv7, "x86": a.x86}
    rows, problems = [], []
    for set_name, arch, relative in SETS:
        path = os.path.join(trees[arch], OBJ_DIR, relative)
        if not os.path.exists(path):
            print(f"perf_model: no {path}: skipping {arch} {set_name}", file=sys.stderr)
            continue
        functions = disassemble(objdump, path)
        if arch == "x86" and not any(re.search(r"::" + set_name + r"::", n) for n in functions):
            continue
        entries = GEMM_ENTRIES[(set_name, arch)]
        loops = loops_of(functions, arch, entries)
        if a.kernels:
            loops = [l for l in loops if l[0] in a.kernels.split(",")]
        for entry, _, tile_macs in entries:
            gemm = [l for l in loops if l[3] == entry]
            if not gemm:
                problems.append(f"{entry}: no k loop found in {path}")
                continue
            macs, _ = multiplies(gemm[0][2])
            if macs % tile_macs != 0:
                problems.append(f"{entry}: its k loop has {macs} MACs, not a multiple of the "
                                f"tile's {tile_macs} a k step")
        for core in CORES:
            if core[2] != arch or set_name not in core[4]:
                continue
            for kernel, label, body, entry in loops:
                result, error = run_mca(mca, core[3], assembly(body, arch))
                row = {"set": set_name, "arch": arch, "kernel": kernel, "loop": label,
                       "core": core[0], "model": core[1], "instructions": len(body)}
                if result is None:
                    row["error"] = error
                    problems.append(f"{arch} {set_name} {kernel} {label} on {core[0]}: {error}")
                    rows.append(row)
                    continue
                row.update(cycles_per_iteration=round(result["cycles"], 2),
                           ipc=round(len(body) / result["cycles"], 2), bound=result["bound"])
                if kernel == "gemm":
                    macs, key = multiplies(body)
                    own = peak(mca, core, key)
                    best = peak(mca, core, core[5] if core[5] else key)
                    best = max(best or 0, own or 0)
                    per_cycle = macs / result["cycles"]
                    row.update(entry=entry, macs_per_iteration=macs, multiply=key,
                               macs_per_cycle=round(per_cycle, 2),
                               own_peak_macs_per_cycle=round(own, 2) if own else None,
                               fraction_of_own_peak=round(per_cycle / own, 3) if own else None,
                               core_peak_macs_per_cycle=round(best, 2),
                               fraction_of_core_peak=round(per_cycle / best, 3) if best else None)
                    if not own or not 0 < per_cycle / own <= 1.05:
                        problems.append(f"{entry} on {core[0]}: {per_cycle:.2f} MACs/cycle of a "
                                        f"{own} peak")
                rows.append(row)
    if a.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(f"{'set':<11}{'kernel':<14}{'loop':<28}{'core':<20}{'instr':>6}{'cyc/it':>8}"
              f"{'IPC':>6}{'MAC/cyc':>9}{'own pk':>8}{'%own':>6}{'%core':>7}  bound")
        for r in rows:
            if "error" in r:
                print(f"{r['set']:<11}{r['kernel']:<14}{r['loop'][:27]:<28}{r['core']:<20}"
                      f"  {r['error']}")
                continue
            gemm = r["kernel"] == "gemm"
            print(f"{r['set']:<11}{r['kernel']:<14}{r['loop'][:27]:<28}{r['core']:<20}"
                  f"{r['instructions']:>6}{r['cycles_per_iteration']:>8.2f}{r['ipc']:>6.2f}"
                  + (f"{r['macs_per_cycle']:>9.1f}{r['own_peak_macs_per_cycle']:>8.1f}"
                     f"{100 * r['fraction_of_own_peak']:>5.0f}%"
                     f"{100 * r['fraction_of_core_peak']:>6.0f}%"
                     if gemm else f"{'':>9}{'':>8}{'':>6}{'':>7}")
                  + f"  {r['bound']}")
    if a.estimate:
        estimate(rows, a.bench, a.models, a.json)
    for problem in problems:
        print(f"perf_model: {problem}", file=sys.stderr)
    if a.check and (problems or not rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
