"""Agents: the planner, and the step agents (coder, tester) a plan names, behind one protocol."""
