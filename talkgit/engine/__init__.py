"""The engine: plans, the runner that carries them out, budgets and run state."""
