"""The subcommands of python -m grader: cli, validate, assign, batch and its gradebook."""
