"""The binding gives what the C API gives: transformers' numbers on the fixtures (as the C++ suites
check) and the same results as `edgebert-convert run --json`, which calls the C API."""

import json
import math

import numpy as np
import pytest

import edgebert
from conftest import convert


def test_classifier_logits_pooled_and_probabilities_match_transformers(models, classifier_reference):
    model = edgebert.Model(models["classifier"])
    assert model.labels == classifier_reference["labels"]
    session = model.session()
    for case in classifier_reference["cases"]:
        session.run(case["input_ids"], case["token_type_ids"], case["attention_mask"])
        np.testing.assert_allclose(session.output("logits"), case["logits"], atol=1e-5)
        np.testing.assert_allclose(session.output("probabilities"), case["probabilities"], atol=1e-5)
        np.testing.assert_allclose(session.output("pooled"), case["pooled"], atol=1e-5)
        assert session.label == int(np.argmax(case["logits"]))


def test_run_batch_gives_each_sequence_its_own_outputs(models, classifier_reference):
    model = edgebert.Model(models["classifier_int8"])
    cases = classifier_reference["cases"][:8]
    single = model.session()
    expected = []
    for case in cases:
        single.run(np.array(case["input_ids"], dtype=np.int32), case["token_type_ids"], case["attention_mask"])
        expected.append(single.output("logits").copy())
    batch = model.session(max_batch=8)
    batch.run_batch([c["input_ids"] for c in cases], [c["token_type_ids"] for c in cases],
                    [c["attention_mask"] for c in cases])
    logits = batch.output("logits")
    assert logits.shape == (len(cases), 3)
    np.testing.assert_array_equal(logits, np.stack(expected))  # bit for bit
    hidden = batch.output("last_hidden")
    assert hidden.shape == (sum(len(c["input_ids"]) for c in cases), model.hidden)


@pytest.mark.parametrize("family", ["", "roberta_"])
def test_answers_are_the_question_answering_pipelines(models, tasks_references, family):
    tasks_reference = tasks_references[family]
    model = edgebert.Model(models[family + "qa"])
    sessions = {}
    for case in tasks_reference["answer"]:
        max_seq = case["max_seq"]
        session = sessions.setdefault(max_seq, model.session(max_seq=max_seq))
        answers = session.answer(case["question"], case["context"], top_k=case["top_k"],
                                 max_answer_len=case["max_answer_len"], doc_stride=case["doc_stride"],
                                 handle_impossible_answer=case["handle_impossible_answer"])
        want = case["answers"]
        assert len(answers) == len(want), case["question"]
        for ours, theirs in zip(answers, want):
            assert (ours.start, ours.end) == (theirs["start"], theirs["end"]), case["question"]
            assert ours.score == pytest.approx(theirs["score"], abs=1e-4)
            assert ours.answer == case["context"][ours.start:ours.end]
            context_bytes = case["context"].encode()
            assert context_bytes[ours.byte_start:ours.byte_end].decode() == ours.answer


@pytest.mark.parametrize("family", ["", "roberta_"])
def test_entities_are_the_token_classification_pipelines(models, tasks_references, family):
    tasks_reference = tasks_references[family]
    model = edgebert.Model(models[family + "tagger"])
    sessions = {}
    seen = 0
    for case in tasks_reference["tag"]:
        session = sessions.setdefault(case["max_seq"], model.session(max_seq=case["max_seq"]))
        entities = session.tag(case["text"], aggregation=case["aggregation"])
        want = case["entities"]
        assert len(entities) == len(want), case["text"]
        for ours, theirs in zip(entities, want):
            assert ours.label == theirs["label"]
            assert (ours.start, ours.end) == (theirs["start"], theirs["end"])
            assert ours.score == pytest.approx(theirs["score"], abs=1e-4)
            if "index" in theirs:
                assert ours.first_token == theirs["index"]
            assert ours.word == case["text"][ours.start:ours.end]
        seen += len(entities)
    assert seen > 2000


@pytest.mark.parametrize("family", ["", "roberta_"])
def test_fill_mask_tokens_are_the_pipelines(models, tasks_references, family):
    tasks_reference = tasks_references[family]
    model = edgebert.Model(models[family + "mlm"])
    session = model.session(max_seq=128)
    for case in tasks_reference["fill_mask"]:
        masks = session.fill_mask(case["text"], top_k=case["top_k"])
        assert len(masks) == len(case["masks"])
        for ours, theirs in zip(masks, case["masks"]):
            assert [t.token for t in ours] == [t["token"] for t in theirs]
            for t, w in zip(ours, theirs):
                assert t.score == pytest.approx(w["probability"], abs=1e-4)
                assert t.token_str == model.token(t.token)


@pytest.mark.parametrize("family", ["", "roberta_"])
def test_scores_are_transformers_logits(models, tasks_references, family):
    tasks_reference = tasks_references[family]
    model = edgebert.Model(models[family + "reranker"])
    session = model.session(max_seq=128, max_batch=4)
    cases = tasks_reference["score"]
    for case in cases[:200]:
        logits = session.score(case["query"], [case["passage"]])
        assert logits.dtype == np.float32 and logits.shape == (1,)
        assert logits[0] == pytest.approx(case["logit"], abs=1e-4)
        probability = session.score(case["query"], [case["passage"]], sigmoid=True)[0]
        assert probability == pytest.approx(1 / (1 + math.exp(-case["logit"])), abs=1e-5)
    # One query against many passages, run four at a time: the same scores as one by one.
    query = cases[0]["query"]
    passages = [c["passage"] for c in cases[:10]]
    together = session.score(query, passages)
    one_by_one = [session.score(query, [p])[0] for p in passages]
    np.testing.assert_array_equal(together, np.array(one_by_one, dtype=np.float32))


TEXTS = ["would be too much to expect Sir Walter to descend", "Café déjà vu — naïve 北京 résumé",
         "you wo n't like roger , but you will quickly recognize him ."]


def run_json(model_path, *args):
    return json.loads(convert("run", str(model_path), *args, "--json").stdout)


@pytest.mark.parametrize("text", TEXTS)
def test_classify_is_the_c_apis(models, text):
    model = edgebert.Model(models["classifier_int8"])
    result = model.session().classify(text)
    cli = run_json(models["classifier_int8"], text)
    assert result.label == cli["label"] and result.index == cli["label_index"]
    np.testing.assert_array_equal(result.probabilities,
                                  np.array([cli["probabilities"][name] for name in model.labels], dtype=np.float32))
    pair = model.session().classify(text, "a second text")
    cli_pair = run_json(models["classifier_int8"], text, "--pair", "a second text")
    assert pair.label == cli_pair["label"]


@pytest.mark.parametrize("text", TEXTS)
def test_tag_is_the_c_apis(models, text):
    entities = edgebert.Model(models["tagger"]).session().tag(text, aggregation="simple")
    cli = run_json(models["tagger"], text, "--aggregation", "simple")
    assert [(e.label, e.word) for e in entities] == [(e["label"], e["text"]) for e in cli["entities"]]
    assert [e.score for e in entities] == pytest.approx([e["score"] for e in cli["entities"]], abs=1e-7)


def test_tokenize_offsets_and_pieces(models):
    session = edgebert.Model(models["qa"]).session()
    text = "Café déjà vu"
    tokens = session.tokenize(text, "naïve")
    assert tokens.pieces[0] == "[CLS]" and tokens.pieces[-1] == "[SEP]"
    assert len(tokens) == len(tokens.ids) == tokens.offsets.shape[0]
    assert tokens.ids.dtype == np.int32 and tokens.offsets.dtype == np.uint32
    assert list(tokens.sequence[:2]) == [-1, 0] and 1 in tokens.sequence
    data = text.encode()
    for (begin, end), seq in zip(tokens.offsets, tokens.sequence):
        if seq == 0:
            assert data[begin:end].decode()  # whole characters
    # The ids are the model's: running them gives the same outputs as the text call.
    session.run(tokens.ids, tokens.token_type_ids)
    a = session.output("token_logits").copy()
    session.answer(text, "naïve")
    session.run(tokens.ids, tokens.token_type_ids, tokens.attention_mask)
    np.testing.assert_array_equal(a, session.output("token_logits"))


def test_long_texts_read_in_windows(models):
    session = edgebert.Model(models["classifier"]).session(max_seq=16)
    text = " ".join(["you will quickly recognize him"] * 20)
    short = session.classify(text)
    long = session.classify(text, stride=4)
    assert short.windows == 1 and long.windows > 1
    assert long.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    embedding = edgebert.Model(models["classifier"]).session(max_seq=16).embed(text, stride=4)
    assert embedding.shape == (32,) and embedding.dtype == np.float32
