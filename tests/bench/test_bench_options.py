"""`--only` picks scenarios by part of their name; without it every scenario runs."""

from __future__ import annotations

from bench.run import PLACE_TRACKED, SCENARIOS, SMALL_ORDER, STORM, parse_args


def _selected(*argv: str) -> list[str]:
    options = parse_args(["--redis-url", "", *argv])
    return [name for name in [s.name for s in SCENARIOS] + [STORM, SMALL_ORDER] if options.selects(name)]


def test_without_only_every_scenario_runs() -> None:
    assert _selected() == [s.name for s in SCENARIOS] + [STORM, SMALL_ORDER]


def test_only_matches_part_of_a_name_in_any_case_and_repeats() -> None:
    assert _selected("--only", "GET PRODUCT", "--only", "categories") == ["get product", "list categories"]
    assert _selected("--only", "place order") == ["place order (2 lines)", PLACE_TRACKED, SMALL_ORDER]
