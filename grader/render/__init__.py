"""The result model for people: terminal/JSON report, feedback pages, class summary."""
