#!/usr/bin/env python3
"""Drives the Java binding's test (ctest java.binding): imports the fixture models with the
converter, runs dev.edgebert.BindingTest on the JVM with the JNI library, feeds it cases (fields as
hex of their UTF-8) from the fixtures' transformers results and checks its answers: the same spans, entities, tokens and
scores as transformers' pipelines (scores to 1e-4), and the classifier's labels and
probabilities as `edgebert-convert run --json` (the C API).

usage: run_test.py CONVERT JAVA CLASSPATH LIBRARY_DIR FIXTURES WORK_DIR
"""

import json
import math
import pathlib
import subprocess
import sys


def utf16(text: str, index: int) -> int:
    """Java's String index of Python's (code point) index: astral characters are two chars."""
    return len(text[:index].encode("utf-16-le")) // 2


def main() -> int:
    convert, java, classpath, library_dir, fixtures, work = sys.argv[1:7]
    fixtures, work = pathlib.Path(fixtures), pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    models = {}
    for name, source in [("classifier", fixtures / "tiny_bert" / "classifier"), ("qa", fixtures / "tasks" / "qa"),
                         ("tagger", fixtures / "tasks" / "tagger"), ("mlm", fixtures / "tasks" / "mlm"),
                         ("reranker", fixtures / "tasks" / "reranker")]:
        models[name] = work / f"{name}.ebm"
        subprocess.run([convert, "import", "--hf", str(source), "-o", str(models[name])], check=True,
                       capture_output=True)
    reference = json.loads((fixtures / "tasks" / "reference.json").read_text())
    texts = ["would be too much to expect Sir Walter to descend", "Café déjà vu — naïve 北京 résumé",
             "you wo n't like roger , but you will quickly recognize him ."]
    cases, expected = [], []
    for t in texts:
        cases.append(["classify", "0", t])
        expected.append(("classify", json.loads(subprocess.run(
            [convert, "run", str(models["classifier"]), t, "--json"], check=True, capture_output=True,
            text=True).stdout)))
    for c in reference["answer"]:
        if c["doc_stride"] is None and c["max_answer_len"] == 15 and not c["handle_impossible_answer"]:
            cases.append(["answer", str(c["max_seq"]), c["question"], c["context"], str(c["top_k"])])
            expected.append(("answer", c))
    for c in reference["tag"]:
        cases.append(["tag", str(c["max_seq"]), c["text"], c["aggregation"]])
        expected.append(("tag", c))
    for c in reference["fill_mask"]:
        cases.append(["fill_mask", "128", c["text"], str(c["top_k"])])
        expected.append(("fill_mask", c))
    for c in reference["score"][:100]:
        cases.append(["score", "128", c["query"], c["passage"]])
        expected.append(("score", c))
    # Fields as hex of their UTF-8: texts hold tabs, newlines and carriage returns.
    stdin = "".join("\t".join(f.encode().hex() for f in c) + "\n" for c in cases)
    result = subprocess.run([java, f"-Djava.library.path={library_dir}", "-cp", classpath,
                             "dev.edgebert.BindingTest", str(models["classifier"]), str(models["qa"]),
                             str(models["tagger"]), str(models["mlm"]), str(models["reranker"])],
                            input=stdin, capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-4000:])
        return 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(cases), (len(lines), len(cases))
    failures = 0
    counts = {}
    for line, (task, want) in zip(lines, expected):
        fields = line.split("\t")[1:]
        counts[task] = counts.get(task, 0) + 1
        ok = True
        if task == "classify":
            labels = list(want["probabilities"])
            ok = fields[0] == want["label"] and all(
                abs(float(p) - want["probabilities"][l]) <= 1e-6 for p, l in zip(fields[1:], labels))
        elif task == "answer":
            ours = [f.split(" ") for f in fields]
            ok = len(ours) == len(want["answers"]) and all(
                int(s) == utf16(want["context"], a["start"]) and int(e) == utf16(want["context"], a["end"])
                and abs(float(p) - a["score"]) <= 1e-4
                for (s, e, p), a in zip(ours, want["answers"]))
        elif task == "tag":
            ours = [f.split(" ") for f in fields]
            ok = len(ours) == len(want["entities"]) and all(
                l == w["label"] and int(s) == utf16(want["text"], w["start"])
                and int(e) == utf16(want["text"], w["end"]) and abs(float(p) - w["score"]) <= 1e-4
                for (l, s, e, p), w in zip(ours, want["entities"]))
        elif task == "fill_mask":
            ok = [[int(i) for i in f.split(" ")] for f in fields] == [[t["token"] for t in m] for m in want["masks"]]
        elif task == "score":
            ok = len(fields) == 1 and abs(float(fields[0]) - want["logit"]) <= 1e-4
        if not ok:
            failures += 1
            if failures <= 5:
                print(f"MISMATCH {task}: ours {fields} want {json.dumps(want)[:400]}")
    print(f"java binding: {counts}; {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
