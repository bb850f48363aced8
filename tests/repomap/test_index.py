"""build_index on real repositories: what it holds, and its cache per blob and per tree."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from talkgit.git.repo import GitRepo
from talkgit.repomap import cache_location
from talkgit.repomap import parsing as parsing_module
from talkgit.repomap.cache import FORMAT, MapCache
from talkgit.repomap.index import RepoIndex, assemble, build_index
from talkgit.repomap.rank import rank
from talkgit.repomap.render import render_map
from talkgit.repomap.symbols import FileSymbols, Symbol, extract
from tests.support.gitrepo import commit_file, git, make_repo

FILES = {
    "README.md": "# project\n",
    "app/models.py": "class Order:\n    def total(self) -> int:\n        return price_of(self)\n",
    "app/prices.py": "def price_of(order) -> int:\n    return 1\n",
    "app/views.py": "from app.models import Order\n\ndef show(order: Order) -> str:\n    pass\n",
    "web/main.js": "export function boot() {\n  return 1\n}\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "project", FILES)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths extract is called on, in this process (the repositories here are too small
    for the process pool)."""
    calls: list[str] = []

    def counting(path: str, data: bytes):
        calls.append(path)
        return extract(path, data)

    monkeypatch.setattr(parsing_module, "extract", counting)
    return calls


def cache_of(path: Path) -> Path:
    return cache_location(GitRepo.discover(path).private_dir)


def test_the_index_holds_every_file_and_what_each_defines(project: Path):
    repo = GitRepo.discover(project)

    index = build_index(repo, repo.head(), None)

    assert index.paths == tuple(sorted(FILES))
    assert index.tree == git(project, "rev-parse", "HEAD^{tree}").strip()
    assert index.symbols("app/models.py") == (
        Symbol("Order", "class", 1, "class Order"),
        Symbol("total", "method", 2, "def total(self) -> int"),
    )
    assert [s.name for s in index.symbols("web/main.js")] == ["boot"]
    assert index.symbols("README.md") == () and index.symbols("missing.py") == ()


def test_a_file_links_to_the_files_defining_what_it_uses(project: Path):
    repo = GitRepo.discover(project)

    index = build_index(repo, repo.head(), None)

    number = index.numbers
    links = {
        index.paths[source]: sorted(index.paths[t] for t in index.links.row(source)[0])
        for source in range(len(index.paths))
        if index.links.row(source)[0]
    }
    assert links == {"app/models.py": ["app/prices.py"], "app/views.py": ["app/models.py"]}
    assert sorted(index.using("price_of")) == [number["app/models.py"]]
    assert index.defining(["Order", "boot", "nowhere"]) == {
        "Order": (number["app/models.py"],),
        "boot": (number["web/main.js"],),
    }


def test_links_and_submodules_are_not_files_of_the_map(tmp_path: Path):
    path = make_repo(tmp_path / "r", {"real.py": "def real():\n    pass\n"})
    (path / "alias.py").symlink_to("real.py")
    git(path, "add", "alias.py")
    git(path, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor/lib")
    git(path, "commit", "-q", "-m", "link and submodule")
    repo = GitRepo.discover(path)

    index = build_index(repo, repo.head(), None)

    assert index.paths == ("real.py",)


def test_a_second_build_of_the_tree_reads_one_file_and_parses_nothing(project, parsed):
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    first = build_index(repo, repo.head(), cache)
    assert sorted(parsed) == ["app/models.py", "app/prices.py", "app/views.py", "web/main.js"]
    parsed.clear()

    again = build_index(repo, repo.head(), cache)

    assert parsed == []
    assert again.record() == first.record()
    assert (cache / "trees" / f"{first.tree}.json").is_file()


def test_a_new_commit_parses_only_the_blobs_it_changed(project, parsed):
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    build_index(repo, repo.head(), cache)
    parsed.clear()
    commit_file(project, "app/prices.py", "def price_of(order) -> int:\n    return 2\n")
    git(project, "mv", "app/views.py", "app/pages.py")  # a rename keeps its blob
    git(project, "commit", "-q", "-m", "rename")

    index = build_index(repo, repo.head(), cache)

    assert parsed == ["app/prices.py"]
    assert [s.name for s in index.symbols("app/pages.py")] == ["show"]


def test_the_same_blob_under_another_language_is_parsed_again(project, parsed):
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    build_index(repo, repo.head(), cache)
    parsed.clear()
    commit_file(project, "tools/prices.rb", FILES["app/prices.py"])  # same bytes, Ruby

    index = build_index(repo, repo.head(), cache)

    assert parsed == ["tools/prices.rb"]
    assert [(s.name, s.kind) for s in index.symbols("tools/prices.rb")] == [("price_of", "method")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda record: b"{not json",
        lambda record: json.dumps(record).encode()[: len(json.dumps(record)) // 2],
        lambda record: json.dumps({**record, "format": "someone-else/9"}).encode(),
        lambda record: json.dumps([record]).encode(),
        lambda record: json.dumps(
            {**record, "link_targets": [10**6] * len(record["link_targets"])}
        ).encode(),
        lambda record: json.dumps({**record, "users": ["x"] * len(record["users"])}).encode(),
        lambda record: json.dumps(
            {**record, "symbol_starts": record["symbol_starts"][::-1]}
        ).encode(),
        lambda record: json.dumps({**record, "prior": record["prior"][:-1]}).encode(),
        lambda record: json.dumps({**record, "lines": [True] * len(record["lines"])}).encode(),
        lambda record: json.dumps({key: v for key, v in record.items() if key != "paths"}).encode(),
        lambda record: b"\xff\xfe garbage",
    ],
    ids=[
        "not-json",
        "truncated",
        "foreign-format",
        "not-an-object",
        "links-out-of-range",
        "users-not-numbers",
        "rows-out-of-order",
        "column-too-short",
        "bools-for-ints",
        "column-missing",
        "not-utf8",
    ],
)
def test_a_damaged_tree_file_is_ignored_and_written_again(project, parsed, damage):
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    first = build_index(repo, repo.head(), cache)
    tree_file = cache / "trees" / f"{first.tree}.json"
    tree_file.write_bytes(damage(json.loads(tree_file.read_bytes())))
    parsed.clear()

    again = build_index(repo, repo.head(), cache)

    assert again.record() == first.record()
    assert parsed == []  # the blobs' symbols were still good
    assert RepoIndex.from_record(first.tree, json.loads(tree_file.read_bytes())) is not None


def test_a_damaged_file_shard_is_parsed_again(project, parsed):
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    first = build_index(repo, repo.head(), cache)
    for shard in (cache / "files").iterdir():
        record = json.loads(shard.read_bytes())
        record["entries"] = {key: [["x"], [], [1], [], []] for key in record["entries"]}
        shard.write_text(json.dumps(record))
    (cache / "trees" / f"{first.tree}.json").unlink()
    parsed.clear()

    again = build_index(repo, repo.head(), cache)

    assert sorted(parsed) == ["app/models.py", "app/prices.py", "app/views.py", "web/main.js"]
    assert again.record() == first.record()


def test_the_cache_is_this_users_alone(project):
    repo = GitRepo.discover(project)
    cache = cache_of(project)

    build_index(repo, repo.head(), cache)

    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    records = [json.loads(f.read_bytes()) for f in cache.rglob("*.json")]
    assert records and all(record["format"] == FORMAT for record in records)


def test_a_cache_directory_others_can_open_is_not_used(project, parsed):
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    cache.mkdir(parents=True)
    cache.chmod(0o755)

    build_index(repo, repo.head(), cache)
    build_index(repo, repo.head(), cache)

    assert MapCache.open(cache) is None
    assert list(cache.iterdir()) == []
    assert len(parsed) == 8  # both builds parsed everything


def test_without_a_cache_directory_nothing_is_written(project, parsed):
    repo = GitRepo.discover(project)

    build_index(repo, repo.head(), None)
    build_index(repo, repo.head(), None)

    assert len(parsed) == 8
    assert not cache_of(project).exists()


def test_only_the_latest_trees_are_kept(project, monkeypatch):
    monkeypatch.setattr("talkgit.repomap.cache.TREES_KEPT", 2)
    repo = GitRepo.discover(project)
    cache = cache_of(project)
    trees = []
    for n in range(4):
        commit_file(project, "app/prices.py", f"def price_of(order) -> int:\n    return {n}\n")
        trees.append(build_index(repo, repo.head(), cache).tree)
        os.utime(cache / "trees" / f"{trees[-1]}.json", (n, n))  # a clear order, in any clock

    assert sorted(p.stem for p in (cache / "trees").iterdir()) == sorted(trees[-2:])


def test_an_empty_tree_has_an_empty_index(tmp_path):
    path = make_repo(tmp_path / "r", {"a.txt": "x\n"})
    git(path, "rm", "-q", "a.txt")
    git(path, "commit", "-q", "-m", "empty")
    repo = GitRepo.discover(path)

    index = build_index(repo, repo.head(), cache_of(path))

    assert index.paths == () and index.prior == []
    assert build_index(repo, repo.head(), cache_of(path)).paths == ()
    assert rank(index, "anything", focus=["a.txt"]) == []
    assert render_map(index, [], 100, len) == ""


def test_prose_finds_camel_case_names_but_not_capitalised_words():
    found = {
        "a.py": FileSymbols((Symbol("QuerySet", "class", 1, "class QuerySet"),)),
        "b.py": FileSymbols((Symbol("When", "class", 1, "class When"),)),
        "c.py": FileSymbols((Symbol("SET", "constant", 1, "SET = 1"),)),
    }
    index = assemble("0" * 40, sorted(found), found)

    assert index.defining([], ["queryset", "when", "set"]) == {"QuerySet": (0,)}
    assert index.defining(["When", "SET"]) == {"When": (1,), "SET": (2,)}
