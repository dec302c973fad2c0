"""The web app's one cache: kept answers, the least recently asked dropped first, one computation per key."""

import threading
import time

import pytest

from sahelrisk.serving.cache import Answers


def test_an_answer_is_computed_once_and_the_least_recently_asked_goes_first():
    made = []
    answers = Answers(budget=2)

    def make(value):
        made.append(value)
        return value

    assert answers.get("a", lambda: make("A")) == "A" and answers.get("a", lambda: make("again")) == "A"
    answers.get("b", lambda: make("B"))
    answers.get("a", lambda: make("again"))          # a is now the most recent
    answers.get("c", lambda: make("C"))              # over budget: b goes, not a
    assert made == ["A", "B", "C"] and len(answers) == 2
    assert answers.get("a", lambda: make("again")) == "A" and answers.get("b", lambda: make("B2")) == "B2"


def test_the_budget_weighs_answers_by_their_size_and_keeps_the_newest_alone():
    answers = Answers(budget=10, size=len)
    answers.get(1, lambda: "x" * 6)
    answers.get(2, lambda: "y" * 6)                  # 12 > 10: the first goes
    assert len(answers) == 1
    answers.get(3, lambda: "z" * 50)                 # alone over budget, still kept
    assert len(answers) == 1 and answers.get(3, lambda: "other") == "z" * 50


def test_a_failed_computation_is_not_kept_and_the_next_request_tries_again():
    answers = Answers(budget=5)
    with pytest.raises(ValueError):
        answers.get("k", lambda: (_ for _ in ()).throw(ValueError("down")))
    assert answers.get("k", lambda: "up") == "up"


def test_callers_get_copies_so_none_can_change_the_kept_answer():
    answers = Answers(budget=5, copy=list)
    first = answers.get("k", lambda: [1, 2])
    first.append(3)
    assert answers.get("k", lambda: [9]) == [1, 2]


def test_a_request_asked_at_once_by_many_is_computed_once():
    answers, calls = Answers(budget=5), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "done"

    results = []
    threads = [threading.Thread(target=lambda: results.append(answers.get("same", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["done"] * 8 and len(calls) == 1
