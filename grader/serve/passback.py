"""LTI Assignment and Grade Services: each student's counting score, sent to their line item.

The outbox is a table, written in the transaction that stores a grade or an override, so a score
owed survives a kill -9 and is sent after the restart. What is sent is computed at sending time
(the counting submission with its overrides), so a burst of grades costs one request, and a
failed delivery is retried with a growing delay, shown on the dashboard meanwhile.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from grader.serve.grades import counting_reports
from grader.serve.store import Store

log = logging.getLogger("grader.serve.passback")
IDLE_SECONDS = 2.0
LINEITEM_TAG = "autograder"


class _Connector(ServiceConnector):
    """Access tokens are reused until they expire: one token request per hour, not per score."""

    _tokens: dict[str, tuple[str, float]] = {}
    _lock = threading.Lock()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        with self._lock:
            token, expires = self._tokens.get(scope_key, ("", 0.0))
        return token if expires > time.time() + 30 else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[scope_key] = (access_token, time.time() + float(expires_in or 0))


class ScoreSender:
    def __init__(self, store: Store, config: Any) -> None:
        self.store = store
        self.config = config
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lti-scores", daemon=True)

    def start(self) -> None:
        self.store.outbox_due_now()
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for user_id in self.store.outbox_due():
                if self._stop.is_set():
                    return
                self._deliver(user_id)
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()

    def _deliver(self, user_id: str) -> None:
        started = time.time()
        try:
            self.send(user_id)
        except Exception as err:  # the platform's refusal or a network error: retried later
            log.warning("score for %s not delivered: %s", user_id, err)
            self.store.outbox_retry(user_id, f"{type(err).__name__}: {err}")
            return
        self.store.outbox_sent(user_id, started)

    def send(self, user_id: str) -> None:
        launch = self.store.launch(user_id)
        report = counting_reports(self.store, self.config.policy).get(user_id)
        if launch is None or report is None:
            return
        registration = self.config.lti.tool_config().find_registration_by_params(
            launch["iss"], launch["client_id"])
        if registration is None:
            raise LookupError(f"no LTI platform {launch['iss']} / {launch['client_id']} any more")
        ags = AssignmentsGradesService(_Connector(registration), launch["ags"])
        grade = (Grade().set_score_given(report.score).set_score_maximum(report.max_score)
                 .set_activity_progress("Completed").set_grading_progress("FullyGraded")
                 .set_timestamp(datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
                 .set_user_id(launch["sub"]))
        lineitem = None
        if not launch["ags"].get("lineitem"):
            lineitem = (LineItem().set_tag(LINEITEM_TAG).set_label("Autograder")
                        .set_score_maximum(report.max_score))
        ags.put_grade(grade, lineitem)
