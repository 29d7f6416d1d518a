"""The client search benchmark still runs (tiny sizes; the figures are in bench/RESULTS-clients.md)."""

from bench.client_search import generate, people, run


def test_generation_is_reproducible():
    assert list(people(50, seed=3)) == list(people(50, seed=3))
    assert list(people(50, seed=3)) != list(people(50, seed=4))


def test_generate_and_run_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    generate(url, 300, seed=5)
    report = run(url, 40, seed=5)
    assert "sqlite, 300 clients, 40 queries" in report
    assert "| **all** | 40 |" in report
    assert "| duplicate check (Add Subject) | 10 |" in report
