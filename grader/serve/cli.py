"""`python -m grader serve`: open the warm Grader (or a Dask cluster), then serve until Ctrl-C.

Each start prints a fresh private link for the instructor account (only its hash is kept), so
whoever can read the server's terminal can administer the course, and nobody else.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from grader.serve.grades import POLICIES

DESCRIPTION = ("Serve a web page where students upload their notebooks and read their feedback, "
               "instructors follow the class, and grades go back to Canvas or Moodle over LTI 1.3. "
               "See docs/web-service.md.")


def _parser() -> argparse.ArgumentParser:
    from grader.commands.batch import _cores, _positive_int
    from grader.commands.options import add_settings_arguments
    from grader.cluster import cluster_spec

    parser = argparse.ArgumentParser(prog="python -m grader serve", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; "
                        "put a TLS reverse proxy in front for anything else)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data", type=Path, default=Path("grader-web"), metavar="DIR",
                        help="folder of the gradebook and exports (default: ./grader-web)")
    parser.add_argument("--jobs", "-j", type=_positive_int, default=_cores(), metavar="N",
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--cluster", type=cluster_spec, default=None, metavar="ADDRESS",
                        help="grade on a Dask cluster, as batch --cluster does")
    parser.add_argument("--policy", choices=POLICIES, default="latest",
                        help="which graded submission counts (default: latest)")
    parser.add_argument("--per-hour", type=int, default=0, metavar="N",
                        help="uploads a student may make per hour (default: no limit)")
    parser.add_argument("--max-upload-kb", type=_positive_int, default=2048, metavar="KB")
    parser.add_argument("--lti", type=Path, default=None, metavar="FILE",
                        help="LTI 1.3 platforms (JSON; see docs/web-service.md)")
    parser.add_argument("--instructor", default="instructor", metavar="ID",
                        help="the instructor account whose link is printed at start")
    parser.add_argument("--frame-ancestors", default=None, metavar="ORIGINS",
                        help="origins that may show the pages in a frame (default: the LTI platforms)")
    add_settings_arguments(parser)
    return parser


def command(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from grader.commands.options import settings_overrides, speak_course_language

    speak_course_language(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = _config(args)
    except (OSError, ValueError) as err:
        print(f"grader serve: {err}", file=sys.stderr)
        return 2
    grader = _open_grader(args, settings_overrides(args))
    try:
        return _serve(args, config, grader)
    finally:
        grader.close()


def _config(args: argparse.Namespace) -> Any:
    from grader.serve.app import ServeConfig

    args.data.mkdir(parents=True, exist_ok=True)
    lti = None
    if args.lti is not None:
        from grader.serve.lti import LtiSettings

        lti = LtiSettings.load(args.lti, args.data)
    ancestors = args.frame_ancestors or " ".join(["'self'", *(lti.platform_origins() if lti else [])])
    return ServeConfig(data=args.data, policy=args.policy, per_hour=args.per_hour,
                       max_upload_bytes=args.max_upload_kb * 1024, lti=lti,
                       frame_ancestors=ancestors)


def _open_grader(args: argparse.Namespace, overrides: dict[str, Any]) -> Any:
    if args.cluster:
        from grader.cluster import open_cluster

        return open_cluster(args.cluster, args.config, overrides)
    from grader.api import Grader

    grader = Grader.open(args.config, overrides, jobs=args.jobs)
    grader.warm()
    return grader


def _serve(args: argparse.Namespace, config: Any, grader: Any) -> int:
    import uvicorn

    from grader.serve.app import build_app
    from grader.serve.store import Store, User

    store = Store(config.data / "gradebook.sqlite")
    token = store.add_user(User(args.instructor, args.instructor, "instructor"))
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Instructor link (new at each start): http://{host}:{args.port}/login/{token}\n"
          f"Gradebook: {store.path}", flush=True)
    app = build_app(config, store, grader, getattr(grader, "jobs", args.jobs))
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_level="info",
                timeout_graceful_shutdown=30)
    return 0
