"""The intent record of a finish: written whole, and abandoned only when its process is gone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from talkgit.git.intent import FinishIntent, abandoned
from talkgit.git.repo import GitRepo
from tests.support.gitrepo import make_repo


def _begin(repo: GitRepo) -> FinishIntent:
    head = repo.head()
    return FinishIntent.begin(
        repo, run="r1", branch="refs/heads/main", old=head, new=head, paths=("a.py",)
    )


def test_a_live_finish_is_not_abandoned_and_ending_removes_the_record(tmp_path: Path) -> None:
    repo = GitRepo.discover(make_repo(tmp_path / "app"))
    record = _begin(repo)
    path = repo.private_dir / "finish" / "r1.json"
    assert FinishIntent.model_validate_json(path.read_bytes()) == record
    assert abandoned(repo) == []  # this process holds it
    record.end(repo)
    assert not path.exists()


def test_a_dead_finishs_record_is_abandoned_in_its_own_checkout_only(tmp_path: Path) -> None:
    repo = GitRepo.discover(make_repo(tmp_path / "app"))
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    record = _begin(repo).model_copy(update={"pid": dead.pid})
    path = repo.private_dir / "finish" / "r1.json"
    path.write_text(record.model_dump_json())
    assert abandoned(repo) == [record]
    path.write_text(record.model_copy(update={"workdir": str(tmp_path)}).model_dump_json())
    assert abandoned(repo) == []
