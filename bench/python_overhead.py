#!/usr/bin/env python3
"""What the Python binding adds to the C API's latency: Session.classify(text) from Python against
the same eb_session_classify_text loop run in C on the same session (Session._time_classify_in_c),
in alternating rounds in one process; prints the per-round ratios and their median.

    build/python-venv/bin/python bench/python_overhead.py build/demo/sst2_int8.ebm --max-seq 16
"""

import argparse
import statistics
import time

import edgebert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help=".ebm classifier with a tokenizer")
    parser.add_argument("--text", default="a gripping, funny and moving film about growing up")
    parser.add_argument("--max-seq", type=int, default=16, help="session max_seq (the text is cut to it)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=3000, help="calls per round and side")
    args = parser.parse_args()

    session = edgebert.Model(args.model).session(max_seq=args.max_seq)
    tokens = len(session.tokenize(args.text))
    for _ in range(500):  # warm up both paths
        session.classify(args.text)
    session._time_classify_in_c(args.text, 500)
    c_times, py_times, ratios = [], [], []
    for _ in range(args.rounds):
        c = session._time_classify_in_c(args.text, args.calls)
        start = time.perf_counter()
        for _ in range(args.calls):
            session.classify(args.text)
        py = (time.perf_counter() - start) / args.calls
        c_times.append(c)
        py_times.append(py)
        ratios.append(py / c)
    print(f"model {args.model}, {tokens} tokens, kernels {session.kernels}, {args.rounds} rounds x {args.calls} calls")
    print(f"C API  median {statistics.median(c_times) * 1e6:.2f} us per classify")
    print(f"Python median {statistics.median(py_times) * 1e6:.2f} us per classify")
    print("ratios " + " ".join(f"{r:.3f}" for r in ratios))
    print(f"Python / C median ratio {statistics.median(ratios):.3f} "
          f"(overhead {100 * (statistics.median(ratios) - 1):+.1f}%)")


if __name__ == "__main__":
    main()
