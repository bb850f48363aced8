"""One lane's work on one attempt: the agent does the step, then its change is judged.

Runs in a worker thread and moves no ref: the only object it writes is the probe commit
that the gates and the council look at. The runner settles what it hands back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from talkgit.agents.base import Agent, Completer, StepContext
from talkgit.config import Settings, gate_rules
from talkgit.engine.council import CouncilVerdict, convene
from talkgit.engine.records import Attempted, Job
from talkgit.gates.base import Change
from talkgit.gates.change import judge_with_rules
from talkgit.gates.evaluate import GateReport
from talkgit.gates.policy import Waiver
from talkgit.git.diff import patch_text
from talkgit.git.repo import GitRepo
from talkgit.git.snapshot import changed_paths
from talkgit.git.trees import create_commit
from talkgit.skills.library import Skill
from talkgit.skills.match import select_skills


def lane_name(run_id: str, lane: int) -> str:
    """Names a lane's private worktrees and gate caches."""
    return f"{run_id}-lane{lane}"


@dataclass(frozen=True)
class Lane:
    """What every attempt of one run is done and judged with."""

    repo: GitRepo
    settings: Settings
    llm: Completer | None
    run_id: str
    task: str
    strict: bool  # the reviewer council must approve too
    waivers: tuple[Waiver, ...] = ()
    skills: tuple[Skill, ...] = ()
    run_base: str | None = None  # the commit the run started from

    def attempt(self, job: Job, agent: Agent, model: str | None) -> Attempted:
        skills = self._skills_for(job, agent)
        context = StepContext(
            run_id=self.run_id,
            task=self.task,
            step=job.step,
            base=job.base,
            repo=self.repo,
            settings=self.settings,
            llm=self.llm,
            model=model,
            api_base=self.settings.api_base_for(agent.name),
            feedback=job.feedback,
            worktree_name=lane_name(self.run_id, job.lane),
            skills=skills,
            run_base=self.run_base,
        )
        outcome = agent.run(context)
        names = tuple(skill.name for skill in skills)
        if not (outcome.ok and outcome.changes):
            return Attempted(outcome, skills=names)
        # No ref names the probe: its pack is held from `git gc` until the run ends.
        with self.repo.batch():  # takes the repository's lock
            probe = create_commit(
                self.repo, base=job.base, changes=outcome.changes, message="talkgit probe\n"
            )
        report = self._gate(job, probe)
        vetoed = report is not None and not report.lets_through
        council = self._convene(job, probe, report) if self.strict and not vetoed else None
        return Attempted(outcome, report, council, probe, names)

    def _skills_for(self, job: Job, agent: Agent) -> tuple[Skill, ...]:
        """The skills that match the step's goal and files, within the token budget."""
        budget = self.settings.skill_tokens
        if not (agent.needs_model and self.skills and budget):
            return ()
        matches = select_skills(self.skills, job.step.goal, job.step.files, budget)
        return tuple(match.skill for match in matches if match.selected)

    def _gate(self, job: Job, probe: str) -> GateReport | None:
        """The gates on what this attempt changed, judged against where its step began;
        None when no gate is configured for runs (``run_gates = []``)."""
        rules = gate_rules(self.settings, self.waivers, default="run_gates")
        if not rules.gates:
            return None
        change = Change(probe, job.judge_base, changed_paths(self.repo, job.judge_base, probe))
        return judge_with_rules(
            self.repo,
            change,
            rules,
            today=date.today(),
            lane=lane_name(self.run_id, job.lane),
            rules_from_base=True,  # a model's edit to ruff.toml must not loosen its own gate
        )

    def _convene(self, job: Job, probe: str, report: GateReport | None) -> CouncilVerdict:
        """The reviewer council on what this attempt changed since its step began."""
        return convene(
            self.llm,
            self.settings.council,
            goal=job.step.goal,
            diff=patch_text(self.repo, job.judge_base, probe),
            report=report,
            api_base_for=lambda reviewer: reviewer.api_base or self.settings.api_base,
        )
