"""Plan and references, public plan, fork server, runner, child harness, sandbox/."""
