"""Loading, zero-copy views, errors on bad input, threads and the GIL."""

import mmap
import os
import threading
import time

import numpy as np
import pytest

import edgebert


def test_model_from_path_bytes_and_buffers(models):
    path = models["classifier"]
    by_path = edgebert.Model(path)
    assert by_path.path == str(path) and by_path.size == os.path.getsize(path)
    assert (by_path.task, by_path.num_layers, by_path.hidden, by_path.num_labels) == ("classification", 2, 32, 3)
    assert by_path.has_tokenizer and by_path.labels == ["negative", "neutral", "positive"]
    data = path.read_bytes()
    for source in (data, bytearray(data), memoryview(data), os.fspath(path), path):
        model = edgebert.Model(source)
        assert model.size == len(data)
        assert model.session().classify("hello world").label == by_path.session().classify("hello world").label
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        model = edgebert.Model(mapped)
        assert model.session().classify("hello").index >= 0
        del model


def test_model_keeps_its_bytes_without_copying(models):
    buffer = bytearray(models["classifier"].read_bytes())
    model = edgebert.Model(buffer)
    with pytest.raises(BufferError):  # the model views the bytearray: it cannot be resized
        buffer.extend(b"x")
    session = model.session()
    del model  # the session keeps the model, the model its bytes
    assert session.classify("hello").label in ("negative", "neutral", "positive")
    assert session.model.labels == ["negative", "neutral", "positive"]


def test_bad_models_say_what_is_wrong(models, tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        edgebert.Model(tmp_path / "missing.ebm")
    assert "missing.ebm" in str(e.value)
    empty = tmp_path / "empty.ebm"
    empty.write_bytes(b"")
    with pytest.raises(edgebert.Error) as e:
        edgebert.Model(empty)
    assert e.value.status == "EB_ERROR_INVALID_MODEL" and "empty.ebm" in str(e.value)
    garbage = tmp_path / "garbage.ebm"
    garbage.write_bytes(b"\x00" * 256)
    with pytest.raises(edgebert.Error) as e:
        edgebert.Model(garbage)
    assert e.value.status == "EB_ERROR_INVALID_MODEL" and "garbage.ebm" in str(e.value)
    assert isinstance(e.value, RuntimeError) and e.value.message
    data = bytearray(b"\x00" + models["classifier"].read_bytes())
    with pytest.raises(edgebert.Error) as e:
        edgebert.Model(memoryview(data)[1:])
    assert e.value.status == "EB_ERROR_MISALIGNED"
    with pytest.raises(TypeError):
        edgebert.Model(42)


def test_bad_options_and_inputs(models):
    model = edgebert.Model(models["classifier"])
    with pytest.raises(ValueError, match="provider"):
        model.session(provider="gpu")
    with pytest.raises(ValueError, match="max_seq 65"):
        model.session(max_seq=65)
    with pytest.raises(edgebert.Error) as e:
        model.session(kernels="no-such-set")
    assert e.value.status in ("EB_ERROR_INVALID_ARGUMENT", "EB_ERROR_UNSUPPORTED")
    session = model.session(max_seq=16)
    with pytest.raises(edgebert.Error) as e:
        session.run([2, 100000, 3])
    assert e.value.status == "EB_ERROR_INVALID_INPUT"
    with pytest.raises(edgebert.Error) as e:
        session.run(list(range(2, 20)))  # 18 tokens > max_seq 16
    assert e.value.status == "EB_ERROR_INVALID_INPUT"
    with pytest.raises(TypeError, match="integers"):
        session.run([2.5, 3.0])
    with pytest.raises(ValueError, match="int32"):
        session.run(np.array([2, 2**40], dtype=np.int64))
    with pytest.raises(ValueError, match="token_type_ids has 2"):
        session.run([2, 5, 3], [0, 0])
    with pytest.raises(ValueError, match="one-dimensional"):
        session.run([[2, 3]])
    with pytest.raises(edgebert.Error) as e:
        session.answer("who", "nobody")
    assert e.value.status == "EB_ERROR_UNSUPPORTED" and "question" in e.value.message.lower()
    with pytest.raises(ValueError, match="at least one"):
        model.session(max_batch=2).run_batch([])
    with pytest.raises(edgebert.Error):
        session.run_batch([[2, 3], [2, 3]])  # max_batch 1
    with pytest.raises(UnicodeEncodeError):
        session.classify("bad \ud800 surrogate")
    with pytest.raises(ValueError, match="output 'everything': expected last_hidden, pooled"):
        session.output("everything")
    with pytest.raises(IndexError):
        model.token(10**6)
    # A failed call leaves the session usable.
    assert session.classify("hello").label in model.labels


def test_output_views_alias_the_arena(models):
    session = edgebert.Model(models["classifier"]).session()
    assert session.output("logits") is None  # nothing ran yet
    session.run([2, 7, 3])
    a = session.output("last_hidden")
    b = session.output("last_hidden")
    assert a.shape == (3, 32) and a.dtype == np.float32
    assert np.shares_memory(a, b) and not a.flags.writeable
    before = a.copy()
    session.run([2, 9, 9, 3])
    assert not np.array_equal(a[:3], before)  # the view shows the next run: copy() to keep
    r = session.classify("hello")
    p = r.probabilities
    assert not p.flags.writeable and p.sum() == pytest.approx(1.0, abs=1e-6)
    session.classify("another text entirely")
    np.testing.assert_array_equal(r.probabilities, p)  # results own their numbers


def test_sessions_on_threads_match_serial(models):
    model = edgebert.Model(models["classifier_int8"])
    texts = [f"text number {i} about a film" for i in range(64)]
    serial = [model.session().classify(t).probabilities.copy() for t in texts]
    results = [None] * len(texts)

    def work(offset):
        session = model.session()  # one session per thread
        for i in range(offset, len(texts), 4):
            results[i] = session.classify(texts[i]).probabilities.copy()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(serial, results):
        np.testing.assert_array_equal(a, b)


def test_threaded_session(models):
    model = edgebert.Model(models["classifier_int8"])
    if not edgebert.provider_available("xnnpack"):
        with pytest.raises(edgebert.Error):
            model.session(threads=2)
        return
    two = model.session(threads=2)
    assert two.threads == 2
    text = "a film that threads its way"
    np.testing.assert_array_equal(two.classify(text).probabilities, model.session().classify(text).probabilities)


def test_the_gil_is_released_while_the_runtime_works(models):
    session = edgebert.Model(models["classifier_int8"]).session()
    window = {}

    def run():
        window["start"] = time.perf_counter()
        session._time_classify_in_c("a film about the global interpreter lock", 4000)  # one long C call
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=run)
    stamps = []
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    inside = [t for t in stamps if window["start"] < t < window["end"]]
    assert window["end"] - window["start"] > 0.02
    # Holding the GIL, the C call would stop this loop for its whole duration.
    assert len(inside) > 100


def test_a_session_runs_one_call_at_a_time(models):
    session = edgebert.Model(models["classifier_int8"]).session()
    errors = []

    def long_call():
        session._time_classify_in_c("busy", 4000)

    worker = threading.Thread(target=long_call)
    worker.start()
    deadline = time.perf_counter() + 5
    while worker.is_alive() and time.perf_counter() < deadline:
        try:
            session.classify("meanwhile")
        except RuntimeError as e:
            errors.append(str(e))
            break
    worker.join()
    assert errors and "another thread" in errors[0]


def test_type_stubs_ship_with_the_package():
    stub = os.path.join(os.path.dirname(edgebert._edgebert.__file__), "_edgebert.pyi")
    text = open(stub).read()
    assert "def classify(self, text: str, pair: str | None = None, *, stride: int | None = None) -> Classification" in text
    assert os.path.exists(os.path.join(os.path.dirname(stub), "py.typed"))
