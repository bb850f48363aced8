"""The REST client against a local GitHub-protocol server: identity, pages, retries, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from talkgit.errors import ConfigError
from talkgit.github.api import GitHubClient, GitHubError, GitHubUser, TokenIdentity
from talkgit.github.diff import LineComment
from tests.support.github_server import BOT, BOT_ID, FORBIDDEN, TOKEN, GitHubServer, Identity

BASE, HEAD = "a" * 40, "b" * 40
PAT = "ghp_TALKGIT_TEST_personal_0123456789"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.add_pull(7, base_sha=BASE, head_sha=HEAD, files={"a.py": "@@ -1 +1 @@\n-x\n+y"})
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(github: GitHubServer, sleeps: Sleeps) -> Iterator[GitHubClient]:
    with GitHubClient(TOKEN, api_url=github.base_url, sleep=sleeps, now=lambda: 1000.0) as c:
        yield c


def test_an_installation_token_finds_its_login_through_graphql_without_get_user(github, client):
    assert client.identity() == TokenIdentity(BOT, BOT_ID)
    assert github.calls("POST", "/graphql")
    assert not github.calls("GET", "/user")


def test_a_personal_token_without_graphql_falls_back_to_get_user(github, sleeps):
    github.tokens[PAT] = Identity("octocat", installation=False, graphql=False)
    with GitHubClient(PAT, api_url=github.base_url, sleep=sleeps) as client:
        identity = client.identity()
    assert identity is not None and identity.login == "octocat"
    assert identity.owns(GitHubUser(login="octocat", id=identity.user_id))


def test_no_login_at_all_is_none_not_an_error(github, sleeps):
    github.tokens[PAT] = Identity("octocat", installation=True, graphql=False)
    with GitHubClient(PAT, api_url=github.base_url, sleep=sleeps) as client:
        assert client.identity() is None


def test_an_identity_owns_its_own_account_not_a_namesake():
    actions = TokenIdentity(BOT, BOT_ID)
    assert actions.owns(GitHubUser(login=BOT, id=BOT_ID, type="Bot"))
    assert not actions.owns(GitHubUser(login=BOT, id=666, type="Bot"))
    assert not actions.owns(GitHubUser(login="github-actions", id=666, type="User"))
    assert not actions.owns(None)  # a deleted account
    without_id = TokenIdentity(BOT)  # by login, then only with the kind that login implies
    assert without_id.owns(GitHubUser(login="GitHub-Actions[bot]", type="Bot"))
    assert not without_id.owns(GitHubUser(login=BOT, type="User"))
    assert not without_id.owns(GitHubUser(login="github-actions", type="User"))


def test_requests_carry_the_token_api_version_and_a_user_agent(github, client):
    client.identity()
    headers = github.requests[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["user-agent"].startswith("talkgit/")


def test_lists_follow_link_headers_to_the_last_page(github, client):
    for n in range(250):
        github.add_issue_comment(7, f"comment {n}")

    bodies = [c.body for c in client.issue_comments("octo/widgets", 7)]

    assert bodies == [f"comment {n}" for n in range(250)]
    pages = github.calls("GET", r"/repos/octo/widgets/issues/7/comments")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    assert {r.query["per_page"] for r in pages} == {"100"}


def test_a_next_link_to_another_host_is_not_followed():
    def answer(request: httpx.Request) -> httpx.Response:
        link = '<http://elsewhere.invalid/repos/o/r/issues/1/comments?page=2>; rel="next"'
        return httpx.Response(200, json=[], headers={"Link": link})

    transport = httpx.MockTransport(answer)
    with (
        GitHubClient(TOKEN, api_url="http://127.0.0.1:9", transport=transport) as client,
        pytest.raises(GitHubError, match="leaves its own host"),
    ):
        list(client.issue_comments("o/r", 1))


def test_pull_files_and_the_pull_request_itself(github, client):
    (entry,) = client.pull_files("octo/widgets", 7)
    assert (entry.filename, entry.patch) == ("a.py", "@@ -1 +1 @@\n-x\n+y")
    pr = client.pull_request("octo/widgets", 7)
    assert (pr.number, pr.base_sha, pr.head_sha, pr.is_fork) == (7, BASE, HEAD, False)


def test_an_error_is_one_line_with_status_and_githubs_message_and_no_token(github, client):
    with pytest.raises(GitHubError) as caught:
        client.pull_request("octo/widgets", 99)
    assert caught.value.status == 404
    assert str(caught.value) == "GitHub GET /repos/octo/widgets/pulls/99: 404 Not Found"
    assert TOKEN not in str(caught.value)


def test_a_read_only_token_gets_forbidden_on_writes(github, sleeps):
    github.tokens[TOKEN] = Identity(can_write=False)
    with (
        GitHubClient(TOKEN, api_url=github.base_url, sleep=sleeps) as client,
        pytest.raises(GitHubError, match=FORBIDDEN) as caught,
    ):
        client.create_issue_comment("octo/widgets", 7, "hello")
    assert caught.value.status == 403 and caught.value.forbidden


def test_422_carries_githubs_first_error(github, client):
    with pytest.raises(GitHubError, match="line must be part of the diff") as caught:
        client.create_review(
            "octo/widgets", 7, commit_id=HEAD, body="x", comments=[LineComment("a.py", 40, "no")]
        )
    assert caught.value.status == 422


def test_a_read_is_retried_after_a_server_error(github, client, sleeps):
    github.fail("GET", r"/repos/octo/widgets/pulls/7/files", 502)

    assert [f.filename for f in client.pull_files("octo/widgets", 7)] == ["a.py"]
    assert sleeps == [1.0]


def test_a_creation_is_not_retried_after_a_server_error(github, client, sleeps):
    github.fail("POST", r"/repos/octo/widgets/issues/7/comments", 502)

    with pytest.raises(GitHubError) as caught:
        client.create_issue_comment("octo/widgets", 7, "hello")

    assert caught.value.status == 502
    assert sleeps == []
    assert github.issue_comments[7] == []


def test_a_rate_limited_creation_waits_as_told_and_is_sent_again(github, client, sleeps):
    github.fail(
        "POST",
        r"/repos/octo/widgets/issues/7/comments",
        403,
        "You have exceeded a secondary rate limit",
        headers={"Retry-After": "3"},
    )

    client.create_issue_comment("octo/widgets", 7, "hello")

    assert sleeps == [3.0]
    assert [c["body"] for c in github.issue_comments[7]] == ["hello"]


def test_an_exhausted_quota_waits_until_its_reset(github, client, sleeps):
    github.fail(
        "GET",
        r"/repos/octo/widgets/pulls/7",
        403,
        "API rate limit exceeded",
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1010"},
    )

    client.pull_request("octo/widgets", 7)

    assert sleeps == [11.0]  # reset at 1010, now is 1000, plus a second


def test_a_rate_limit_longer_than_a_minute_fails_instead_of_waiting(github, client, sleeps):
    github.fail(
        "GET", r"/repos/octo/widgets/pulls/7", 429, "slow down", headers={"Retry-After": "3600"}
    )

    with pytest.raises(GitHubError, match="429 slow down"):
        client.pull_request("octo/widgets", 7)
    assert sleeps == []


def test_retries_stop_after_the_configured_number(github, sleeps):
    github.fail("GET", r"/repos/octo/widgets/pulls/7", 503, times=5)
    with (
        GitHubClient(TOKEN, api_url=github.base_url, retries=2, sleep=sleeps) as client,
        pytest.raises(GitHubError, match="503"),
    ):
        client.pull_request("octo/widgets", 7)
    assert len(github.calls("GET", r"/repos/octo/widgets/pulls/7")) == 3


def test_a_refused_connection_is_a_one_line_error(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        GitHubClient(TOKEN, api_url=f"http://127.0.0.1:{port}", sleep=sleeps) as client,
        pytest.raises(GitHubError, match="cannot connect") as caught,
    ):
        client.pull_request("octo/widgets", 7)
    assert caught.value.status is None
    assert len(sleeps) == 2  # a connection that never opened is safe to try again


def test_an_answer_that_is_not_json_is_a_github_error():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    with (
        GitHubClient(TOKEN, api_url="http://127.0.0.1:9", transport=transport) as client,
        pytest.raises(GitHubError, match="not JSON"),
    ):
        client.pull_request("o/r", 1)


def test_graphql_lives_next_to_the_rest_root_on_enterprise_servers():
    with GitHubClient(TOKEN, api_url="https://ghe.example.com/api/v3/") as enterprise:
        assert enterprise.graphql_url == "https://ghe.example.com/api/graphql"
    with GitHubClient(TOKEN) as public:
        assert public.graphql_url == "https://api.github.com/graphql"


def test_from_environ_reads_the_token_and_urls_and_refuses_no_token():
    environ = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:1"}
    with GitHubClient.from_environ(environ) as client:
        assert client.api_url == "http://127.0.0.1:1"
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        GitHubClient.from_environ({})
