"""The analysis both database backends share: folding, elisions, plurals, typo allowance."""

from search.text import (
    analyze,
    edit_distance,
    fold,
    fuzzy_matches,
    max_edits,
    prefix_terms,
    query_terms,
    snippet,
)


def test_fold():
    assert fold("Société QUÉBEC Œuvre Straße") == "societe quebec oeuvre strasse"


def test_analyze_drops_elisions_plurals_and_common_words():
    assert analyze("L'innovation d'entreprises et les réseaux sociaux de Montréal") == [
        "innovation", "entreprise", "reseau", "social", "montreal"]
    assert analyze("the company's innovations") == ["company", "innovation"]
    assert query_terms("innovation Innovations") == ["innovation"]


def test_typo_allowance_grows_with_the_word():
    assert [max_edits(word) for word in ("data", "ville", "montreal", "innovaton")] == [0, 1, 1, 2]
    assert fuzzy_matches("innovaton", ["innovation", "innovateur", "novation"]) == ["innovation"]
    assert fuzzy_matches("dato", ["data"]) == []
    assert edit_distance("vlile", "ville", 1) == 1  # a transposition is one typo
    assert edit_distance("abcdef", "uvwxyz", 2) == 3


def test_prefix_terms_and_snippet():
    assert prefix_terms("Soc inno") == ["soc", "inno"]
    assert prefix_terms("innovations ") == ["innovation"]
    text = " ".join(["mot"] * 30) + " un laboratoire d'innovation " + " ".join(["fin"] * 30)
    extract = snippet(text, {"innovation"})
    assert "innovation" in extract and extract.startswith("… ") and extract.endswith(" …")
