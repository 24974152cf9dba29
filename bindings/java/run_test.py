#!/usr/bin/env python3
"""Drives the Java binding's test (ctest java.binding): makes the fixture models with the
converter, runs dev.edgebert.BindingTest on the JVM with the JNI library, feeds it cases and
checks its answers against transformers (the fixtures' reference.json: run on ids, tokenize, the
task pipelines; scores to 1e-4) and against the C API (`edgebert-convert run --json`: classify,
pairs, long texts, embeddings, tagging, bit for bit).

Each case is one line of tab-separated fields, each hex of its UTF-8 (texts hold tabs, newlines
and carriage returns): model, max_seq, operation, arguments. BindingTest answers one line per
case: tab-separated results (see its main()).

usage: run_test.py CONVERT JAVA CLASSPATH LIBRARY_DIR FIXTURES WORK_DIR
"""

import json
import math
import os
import pathlib
import struct
import subprocess
import sys


def utf16(text: str, index: int) -> int:
    """Java's String index of Python's (code point) index: astral characters are two chars."""
    return len(text[:index].encode("utf-16-le")) // 2


def ints(values) -> str:
    return " ".join(str(v) for v in values)


def floats(field: str) -> list:
    return [float(x) for x in field.split(" ")] if field else []


def f32(values) -> list:
    """The float32 values of numbers (Java prints a float's shortest digits, the CLI's JSON its
    exact value as a double): equal lists are bit-identical floats."""
    return list(struct.unpack(f"{len(values)}f", struct.pack(f"{len(values)}f", *values)))


def close(ours, theirs, tolerance) -> bool:
    return len(ours) == len(theirs) and all(abs(a - b) <= tolerance for a, b in zip(ours, theirs))


class Cases:
    """Cases for BindingTest, each with the check of its answer line."""

    def __init__(self):
        self.lines, self.checks = [], []

    def add(self, fields, check):
        self.lines.append("\t".join(str(f).encode().hex() for f in fields) + "\n")
        self.checks.append((fields[2], check))


def main() -> int:
    convert, java, classpath, library_dir, fixtures, work = sys.argv[1:7]
    fixtures, work = pathlib.Path(fixtures), pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)

    def run_convert(*args) -> str:
        return subprocess.run([convert, *map(str, args)], check=True, capture_output=True, text=True).stdout

    def run_json(model, text, *args) -> dict:
        return json.loads(run_convert("run", models[model], text, *args, "--json"))

    models = {}
    for name, source in [("classifier", fixtures / "tiny_bert" / "classifier"),
                         ("sentence", fixtures / "tiny_bert" / "sentence"), ("qa", fixtures / "tasks" / "qa"),
                         ("tagger", fixtures / "tasks" / "tagger"), ("mlm", fixtures / "tasks" / "mlm"),
                         ("reranker", fixtures / "tasks" / "reranker")]:
        models[name] = work / f"{name}.ebm"
        run_convert("import", "--hf", source, "-o", models[name])
    models["classifier_int8"] = work / "classifier_int8.ebm"
    run_convert("quantize", models["classifier"], "-o", models["classifier_int8"])
    classifier = json.loads((fixtures / "tiny_bert" / "reference.json").read_text())
    reference = json.loads((fixtures / "tasks" / "reference.json").read_text())
    cases = Cases()

    # Token ids in, outputs out: transformers' logits, probabilities and pooled output.
    for c in classifier["cases"]:
        def check(f, c=c):
            return (close(floats(f[0]), c["logits"], 1e-5) and close(floats(f[1]), c["probabilities"], 1e-5)
                    and close(floats(f[2]), c["pooled"], 1e-5)
                    and int(f[3]) == max(range(3), key=lambda i: c["logits"][i]))
        cases.add(["classifier", 0, "run", ints(c["input_ids"]), ints(c["token_type_ids"]),
                   ints(c["attention_mask"]), "logits,probabilities,pooled"], check)
    # Texts tokenized as transformers does, and the task heads' token logits on those ids.
    for c in reference["logits"]:
        cases.add(["qa", 0, "tokenize", c["text"]], lambda f, c=c: f[0] == ints(c["ids"]))
        # Ours are (tokens, 2) for QA; the reference lists the start logits, then the end logits.
        cases.add(["qa", 0, "run", ints(c["ids"]), "", "", "token_logits"],
                  lambda f, c=c: close(floats(f[0])[0::2] + floats(f[0])[1::2], c["qa"], 1e-4))
        cases.add(["tagger", 0, "run", ints(c["ids"]), "", "", "token_logits"],
                  lambda f, c=c: close(floats(f[0]), c["tagger"], 1e-4))

    # The C API's results, bit for bit: classify (text, pair, long text in windows), embed, tag.
    texts = ["would be too much to expect Sir Walter to descend", "Café déjà vu — naïve 北京 résumé 😀",
             "you wo n't like roger , but you will quickly recognize him ."]
    long_text = " ".join(["you will quickly recognize him, but not in 北京"] * 12)

    def same_classification(want):
        labels = list(want["probabilities"])
        return lambda f: (f[0] == want["label"] and int(f[1]) == want["label_index"]
                          and int(f[2]) == want.get("windows", 1)
                          and f32(floats(f[3])) == f32([want["probabilities"][l] for l in labels]))

    for t in texts:
        cases.add(["classifier_int8", 0, "classify", t], same_classification(run_json("classifier_int8", t)))
        cases.add(["classifier_int8", 0, "classify_pair", t, "a second text"],
                  same_classification(run_json("classifier_int8", t, "--pair", "a second text")))
        want = run_json("sentence", t)["embedding"]
        cases.add(["sentence", 0, "embed", t], lambda f, want=want: f32(floats(f[0])) == f32(want))
        for aggregation in ("none", "simple", "first", "average", "max"):
            want = run_json("tagger", t, "--aggregation", aggregation)["entities"]
            cases.add(["tagger", 0, "tag", t, aggregation],
                      lambda f, want=want, t=t: [x.split(" ")[0] for x in f] == [e["label"] for e in want]
                      and f32([float(x.split(" ")[3]) for x in f]) == f32([e["score"] for e in want])
                      and [t.encode("utf-16-le")[2 * int(x.split(" ")[1]):2 * int(x.split(" ")[2])]
                           .decode("utf-16-le") for x in f] == [e["text"] for e in want])
    for stride in (0, 4):
        want = run_json("classifier_int8", long_text, "--max-seq", "16", "--stride", str(stride))
        assert want["windows"] > 1
        cases.add(["classifier_int8", 16, "classify_long", long_text, stride], same_classification(want))
        want = run_json("sentence", long_text, "--max-seq", "16", "--stride", str(stride))["embedding"]
        cases.add(["sentence", 16, "embed_long", long_text, stride], lambda f, want=want: f32(floats(f[0])) == f32(want))

    # The task pipelines of transformers.
    for c in reference["answer"]:
        def check(f, c=c):
            ours = [x.split(" ") for x in f]
            context = c["context"].encode()
            return len(ours) == len(c["answers"]) and all(
                int(s) == utf16(c["context"], a["start"]) and int(e) == utf16(c["context"], a["end"])
                and context[int(bs):int(be)].decode() == c["context"][a["start"]:a["end"]]
                and abs(float(p) - a["score"]) <= 1e-4
                for (s, e, bs, be, p), a in zip(ours, c["answers"]))
        stride = -1 if c["doc_stride"] is None else c["doc_stride"]
        cases.add(["qa", c["max_seq"], "answer", c["question"], c["context"], c["top_k"], c["max_answer_len"],
                   stride, int(c["handle_impossible_answer"])], check)
    for c in reference["tag"]:
        def check(f, c=c):
            ours = [x.split(" ") for x in f]
            return len(ours) == len(c["entities"]) and all(
                l == w["label"] and int(s) == utf16(c["text"], w["start"]) and int(e) == utf16(c["text"], w["end"])
                and abs(float(p) - w["score"]) <= 1e-4 and ("index" not in w or int(first) == w["index"])
                for (l, s, e, p, first), w in zip(ours, c["entities"]))
        cases.add(["tagger", c["max_seq"], "tag", c["text"], c["aggregation"]], check)
    for c in reference["fill_mask"]:
        def check(f, c=c):
            ours = [[x.split(":") for x in mask.split(" ")] for mask in f]
            return len(ours) == len(c["masks"]) and all(
                len(o) == len(m) and all(int(i) == t["token"] and abs(float(p) - t["probability"]) <= 1e-4
                                         for (i, p), t in zip(o, m))
                for o, m in zip(ours, c["masks"]))
        cases.add(["mlm", 128, "fill_mask", c["text"], c["top_k"]], check)
    for c in reference["score"]:
        cases.add(["reranker", 128, "score", c["query"], c["passage"]],
                  lambda f, c=c: abs(float(f[0]) - c["logit"]) <= 1e-4
                  and abs(float(f[1]) - 1 / (1 + math.exp(-c["logit"]))) <= 1e-5)

    paths = [f"{name}={path}" for name, path in models.items()]
    (work / "cases.txt").write_text("".join(cases.lines))  # to rerun BindingTest by hand
    # -Xcheck:jni: the JVM checks every JNI call of the shim (types, pending exceptions, refs).
    # In the ASan tree the JVM gets the ASan runtime preloaded (the JVM's own signals and leaks
    # are its business: handle_segv=0, detect_leaks=0); the converter above is linked with it.
    env = dict(os.environ)
    if os.environ.get("EDGEBERT_JAVA_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["EDGEBERT_JAVA_PRELOAD"]
        env["ASAN_OPTIONS"] = "handle_segv=0:detect_leaks=0:abort_on_error=1:strict_string_checks=1"
    result = subprocess.run([java, "-Xcheck:jni", f"-Djava.library.path={library_dir}", "-cp", classpath,
                             "dev.edgebert.BindingTest", *paths], env=env,
                            input="".join(cases.lines), capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-4000:])
        return 1
    lines = result.stdout.splitlines()
    warnings = [l for l in lines if l.startswith("WARNING")]  # -Xcheck:jni's
    if warnings or len(lines) != len(cases.lines):
        print(f"{len(lines)} result lines for {len(cases.lines)} cases; JNI warnings: {warnings[:5]}")
        return 1
    failures, counts = 0, {}
    for line, (operation, check) in zip(lines, cases.checks):
        counts[operation] = counts.get(operation, 0) + 1
        fields = line.split("\t")[1:]  # after the echoed operation
        if not check(fields):
            failures += 1
            if failures <= 5:
                print(f"MISMATCH {operation}: ours {fields}"[:800])
    print(f"java binding: {sum(counts.values())} cases {counts}; {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
