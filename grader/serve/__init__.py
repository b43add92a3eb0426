"""`python -m grader serve`: the grading pipeline behind a small web service with LTI 1.3.

app (routes and lifetime), auth (sessions, roles, CSRF), store (SQLite: people, queue, overrides),
worker (the queue feeding the warm Grader), grades (latest/best, overrides), pages and
dashboard_pages (HTML), student and instructor (routes), lti (launches), passback (AGS scores).
"""
