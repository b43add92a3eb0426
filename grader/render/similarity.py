"""similarity.html and similarity.csv: the ranked pairs, their groups, and their code side by side."""
from __future__ import annotations

import csv
import os
from pathlib import Path

from grader.render.html import escape, html_page
from grader.insight.evidence import Answer
from grader.insight.scoring import CODE_SHARE, THRESHOLD, ExerciseEvidence, PairEvidence

MAX_PAIRS_SHOWN = 100
PER_EXERCISE = 5
NOTICE = ("This page is evidence for a TA to read, never a penalty and never a verdict. Short "
          "exercises have few natural answers, students share a textbook and study together, and "
          "a shared mistake can be honest. Read both codes, then talk to the students. The grader "
          "decides nothing here; a person does.")
HOW = (f"A pair's score adds up, per exercise, code similarity ({CODE_SHARE:.0%}: starter code and "
       f"the reference solution subtracted; names, comments and layout ignored; code much of the "
       f"class shares weighed down) and identical wrong values on the same cases "
       f"({1 - CODE_SHARE:.0%}: weighed down when many students returned them). Exercises both got "
       f"right count little, and never reach the threshold ({THRESHOLD:g}) alone. Marked in the "
       f"code: what both wrote that is neither starter code nor the reference solution. See "
       f"docs/class-insight.md.")
CSS = """.notice{border:2px solid #bf8700;background:#fff8c5;padding:.6rem 1rem;border-radius:6px}
.side{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}.side pre{margin:0;overflow-x:auto}
mark{background:#ffd8b5}.flag{color:#cf222e;font-weight:600}.pair{border-top:1px solid #d0d7de}"""

Answers = dict[tuple[str, str], Answer]


def write_csv(pairs: list[PairEvidence], groups: list[tuple[str, ...]], path: Path) -> None:
    """One row per pair and exercise with evidence; `group` numbers the groups on the page."""
    group_of = {s: n for n, group in enumerate(groups, 1) for s in group}
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "student_a", "student_b", "pair_score", "above_threshold", "group",
                         "exercise", "exercise_score", "code_similarity", "same_wrong_cases",
                         "wrong_cases", "both_correct", "why"])
        for rank, pair in enumerate(pairs, 1):
            group = group_of.get(pair.first) if pair.flagged else None
            for e in pair.exercises:
                writer.writerow([rank, csv_safe(pair.first), csv_safe(pair.second), pair.score,
                                 "yes" if pair.flagged else "no", group or "", e.exercise, e.score,
                                 e.code, e.same_values, e.wrong_cases,
                                 "yes" if e.both_passed else "no", csv_safe("; ".join(e.reasons))])
    os.replace(tmp, path)


def render_page(pairs: list[PairEvidence], groups: list[tuple[str, ...]], answers: Answers,
                students: int, warnings: list[str]) -> str:
    flagged = sum(p.flagged for p in pairs)
    shown = pairs[:MAX_PAIRS_SHOWN]
    body = [f'<p class="notice">{escape(NOTICE)}</p>', f"<p>{escape(HOW)}</p>"]
    body += [f'<p class="notice">{escape(w)}</p>' for w in warnings]
    body.append(f"<p>{students} students · {len(pairs)} pairs with some evidence · "
                f"<span class=flag>{flagged} at or above {THRESHOLD:g}</span></p>")
    body.append(_groups_html(groups))
    body.append(_pairs_table(shown))
    body.append(_per_exercise_html(pairs))
    body += [_pair_html(rank, pair, answers) for rank, pair in enumerate(shown, 1)]
    return html_page("Similarity: evidence for a TA to read", "".join(body), CSS)


def _groups_html(groups: list[tuple[str, ...]]) -> str:
    if not groups:
        return "<h2>Groups</h2><p>No three or more students are linked by pairs above the threshold.</p>"
    rows = "".join(f"<tr><td>{n}</td><td>{len(g)}</td><td>{escape(', '.join(g))}</td></tr>"
                   for n, g in enumerate(groups, 1))
    return ("<h2>Groups</h2><p>Students linked to each other by pairs above the threshold.</p>"
            f"<table><thead><tr><th>Group</th><th>Students</th><th>Who</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _pairs_table(pairs: list[PairEvidence]) -> str:
    if not pairs:
        return "<h2>Pairs</h2><p>No pair of students shares distinctive code or wrong values.</p>"
    rows = []
    for rank, pair in enumerate(pairs, 1):
        flag = ' class="flag"' if pair.flagged else ""
        where = ", ".join(f"{e.exercise} ({e.score:g})" for e in pair.exercises[:6])
        rows.append(f'<tr><td><a href="#pair-{rank}">{rank}</a></td><td>{escape(pair.first)}</td>'
                    f"<td>{escape(pair.second)}</td><td{flag}>{pair.score:g}</td>"
                    f"<td>{escape(where)}</td></tr>")
    return ("<h2>Pairs, strongest evidence first</h2><table><thead><tr><th>#</th><th>Student</th>"
            "<th>Student</th><th>Score</th><th>Exercises (evidence)</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _per_exercise_html(pairs: list[PairEvidence]) -> str:
    by_exercise: dict[str, list[tuple[ExerciseEvidence, PairEvidence]]] = {}
    for pair in pairs:
        for e in pair.exercises:
            by_exercise.setdefault(e.exercise, []).append((e, pair))
    parts = ["<h2>Per exercise</h2>"]
    for exercise in sorted(by_exercise):
        top = sorted(by_exercise[exercise], key=lambda ep: (-ep[0].score, ep[1].first, ep[1].second))
        items = "".join(f"<li>{escape(p.first)} · {escape(p.second)}: {e.score:g} — "
                        f"{escape('; '.join(e.reasons))}</li>" for e, p in top[:PER_EXERCISE])
        parts.append(f"<h3>{escape(exercise)}</h3><ul>{items}</ul>")
    return "".join(parts)


def _pair_html(rank: int, pair: PairEvidence, answers: Answers) -> str:
    verdict = "at or above the threshold" if pair.flagged else "below the threshold"
    parts = [f'<section class="pair" id="pair-{rank}"><h2>{rank}. {escape(pair.first)} · '
             f"{escape(pair.second)} — {pair.score:g} ({verdict})</h2>"]
    for e in pair.exercises:
        a, b = answers[(e.exercise, pair.first)], answers[(e.exercise, pair.second)]
        reasons = "".join(f"<li>{escape(r)}</li>" for r in e.reasons)
        parts.append(f"<h3>{escape(e.exercise)}: {e.score:g}</h3><ul>{reasons}</ul>"
                     f'<div class="side">{_code(a, e)}{_code(b, e)}</div>')
    return "".join(parts) + "</section>"


def _code(answer: Answer, evidence: ExerciseEvidence) -> str:
    spans = sorted(s for h in evidence.shared for s in answer.code.spans.get(h, ()))
    source, out, at = answer.source, [], 0
    for start, end in _merged(spans):
        out += [escape(source[at:start]), f"<mark>{escape(source[start:end])}</mark>"]
        at = end
    out.append(escape(source[at:]))
    return (f"<div><p><b>{escape(answer.student)}</b> · {escape(answer.status)}</p>"
            f"<pre>{''.join(out) or '(no code)'}</pre></div>")


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def csv_safe(text: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula. (grader/batch.py has
    # the same rule; importing it would load matplotlib for this command.)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
