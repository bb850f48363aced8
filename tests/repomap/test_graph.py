"""The reference graph and PageRank, on small graphs whose answer is known."""

from __future__ import annotations

import pytest

from talkgit.repomap import graph


def ranks_of(weights: dict[int, dict[int, float]], count: int, **options) -> list[float]:
    return graph.pagerank(graph.links(weights, count), **options)


def test_ranks_add_up_to_one_and_without_links_are_equal():
    ranks = ranks_of({}, 4)

    assert ranks == pytest.approx([0.25] * 4)


def test_a_file_many_others_use_ranks_highest():
    ranks = ranks_of({0: {3: 1.0}, 1: {3: 1.0}, 2: {3: 1.0}}, 4)

    assert sum(ranks) == pytest.approx(1.0)
    assert max(range(4), key=ranks.__getitem__) == 3
    assert ranks[0] == pytest.approx(ranks[1]) == pytest.approx(ranks[2])


def test_the_pagerank_of_a_known_graph():
    # 0 -> 1 -> 2 -> 0, and 2 -> 1: networkx.pagerank gives these (alpha 0.85).
    ranks = ranks_of({0: {1: 1.0}, 1: {2: 1.0}, 2: {0: 1.0, 1: 1.0}}, 3)

    assert ranks == pytest.approx([0.2148, 0.3974, 0.3878], abs=1e-3)


def test_personalised_rank_stays_near_the_teleport_and_what_it_uses():
    weights = {0: {1: 1.0}, 2: {3: 1.0}, 4: {5: 1.0}}

    ranks = ranks_of(weights, 6, personal={2: 1.0})

    assert sorted(range(6), key=lambda f: -ranks[f])[:2] == [2, 3]
    assert ranks[0] == ranks[1] == ranks[4] == ranks[5] == 0.0
    assert sum(ranks) == pytest.approx(1.0)


def test_extra_weight_turns_a_files_rank_towards_one_link():
    weights = {0: {1: 1.0, 2: 1.0}}
    plain = ranks_of(weights, 3, personal={0: 1.0})

    turned = ranks_of(weights, 3, personal={0: 1.0}, extra={0: {2: 9.0}})

    assert plain[1] == pytest.approx(plain[2])
    assert turned[2] > 5 * turned[1]


def test_a_file_linking_nowhere_hands_its_rank_to_the_teleport():
    ranks = ranks_of({0: {1: 1.0}}, 3, personal={0: 1.0})

    # networkx.pagerank(personalization={0: 1}, dangling={0: 1}) gives these.
    assert ranks == pytest.approx([0.5405, 0.4595, 0.0], abs=1e-3)


def test_links_go_from_users_to_definers_of_their_language_only():
    groups = ["python", "python", "javascript", "script", "python"]
    definers = {"compute_total": [1, 2], "shared_name": [0, 1]}
    referrers = {"compute_total": [0, 3], "shared_name": [0, 1, 4]}

    weights = graph.link_weights(
        groups.__getitem__, definers, referrers, {"compute_total": 1.0, "shared_name": 1.0}
    )

    # 0 uses compute_total (Python's, not JavaScript's) and shared_name (1's, not its own);
    # the script 3 links to both definers; 1 uses shared_name defined only by 0 and itself.
    assert weights == {
        0: {1: 10.0 + 10.0},
        3: {1: 10.0, 2: 10.0},
        1: {0: 10.0},
        4: {0: 10.0, 1: 10.0},
    }


def test_a_name_defined_in_too_many_files_links_nothing():
    count = graph.MAX_DEFINERS + 1
    definers = {"update_record": list(range(1, count + 1))}

    groups = ["python"] * (count + 1)
    weights = graph.link_weights(
        groups.__getitem__, definers, {"update_record": [0]}, {"update_record": 1.0}
    )

    assert weights == {}


@pytest.mark.parametrize(
    ("name", "weight"),
    [
        ("run", 1.0),
        ("render", 1.0),
        ("compute_total", 10.0),
        ("QuerySet", 10.0),  # CamelCase of eight letters
        ("Queries", 1.0),
        ("_private_helper", 1.0),  # ten times for snake_case, a tenth for private
        ("_run", 0.1),
        ("MAX_SIZE", 10.0),
    ],
)
def test_name_weights_follow_aider(name, weight):
    assert graph.name_weight(name) == pytest.approx(weight)
