from __future__ import annotations

from concord.domain.rfi_duplicates import fingerprint, jaccard, possible_duplicates

OPEN = [
    (1, "Vehicle movements at the Ibrahim Khalil crossing\nDid your border police record unusual truck "
        "movements on 28 November after 22:00?"),
    (2, "Casualties in the Sinat valley shelling\nHow many civilians were wounded in the shelling of "
        "27 November?"),
    (3, "Sınır kapısında araç hareketleri\nSınır polisiniz 28 Kasım gecesi olağandışı kamyon hareketleri "
        "kaydetti mi?"),
]


def test_a_reworded_question_is_pointed_out() -> None:
    found = possible_duplicates(
        "Truck movements at Ibrahim Khalil crossing\nDid border police record unusual trucks on 28 November?",
        OPEN)
    assert [d.rfi_id for d in found] == [1]
    assert 0.4 <= found[0].score < 1


def test_unrelated_questions_are_not() -> None:
    assert possible_duplicates("Weather forecast for the Hakurk plateau\nWill roads be passable on Monday?",
                               OPEN) == []


def test_turkish_suffixes_and_dotted_capitals_fold_together() -> None:
    assert fingerprint("SINIRDAKİ") == fingerprint("sınırdaki") == fingerprint("sinirda")
    found = possible_duplicates(
        "Sınırdaki kamyon hareketleri\n28 Kasım gecesi olağandışı araç hareketi var mı?", OPEN)
    assert [d.rfi_id for d in found] == [3]


def test_identical_text_scores_one_and_best_come_first() -> None:
    found = possible_duplicates(OPEN[1][1], OPEN, threshold=0.0)
    assert found[0].rfi_id == 2 and found[0].score == 1.0
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


def test_a_short_subset_does_not_count_as_a_duplicate_of_a_long_text() -> None:
    # A token-set *ratio* would give 100 here; Jaccard does not.
    assert jaccard(fingerprint("border police"), fingerprint(OPEN[0][1])) < 0.4
    assert possible_duplicates("the of and", OPEN) == []  # only function words
