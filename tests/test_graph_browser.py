"""The autograd graphs in the HTML feedback, as Chromium draws them: a student who forgot
`detach()` and one who forgot `create_graph=True`, graded for real, their feedback pages opened
in headless Chromium. The boxes are read back from the rendered DOM (sizes, overlaps, every
label inside its box, the highlight) and a screenshot of each pair is saved (to
SCREENSHOTS_DIR too when set) to be looked at."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from browser_support import needs_browser, shot
from conftest import FIXTURES, exercise
from grader.render.feedback import to_html
from grader.render.graph_svg import PARTING
from grader.render.graph_view import words

pytestmark = needs_browser

MEASURE = """
return [...arguments[0].querySelectorAll('svg.autograd-graph')].map(svg => {
  const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  return {
    svg: box(svg.getBoundingClientRect()),
    nodes: [...svg.querySelectorAll('g.node')].map(g => ({
      classes: g.getAttribute('class'),
      rect: box(g.querySelector('rect').getBoundingClientRect()),
      stroke: getComputedStyle(g.querySelector('rect')).stroke,
      texts: [...g.querySelectorAll('text')].map(t => ({text: t.textContent,
                                                       box: box(t.getBoundingClientRect())})),
    })),
  };
});
"""


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["left"] >= outer["left"] - slack and inner["right"] <= outer["right"] + slack
            and inner["top"] >= outer["top"] - slack and inner["bottom"] <= outer["bottom"] + slack)


def _apart(a: dict, b: dict) -> bool:
    return a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]


def _open_feedback(grader, browser, tmp_path, fixture: str, exercise_id: str):
    report = grader.grade_file(str(FIXTURES / "wrong" / f"{fixture}.py"))
    (diagnosis, *_) = exercise(report, exercise_id).diagnoses
    assert diagnosis.graphs is not None
    page = tmp_path / f"{fixture}.html"
    page.write_text(to_html(report), encoding="utf-8")
    browser.get(page.as_uri())
    (graphs,) = browser.find_elements(By.CSS_SELECTOR, ".autograd-graphs")
    browser.execute_script("arguments[0].scrollIntoView()", graphs)
    return graphs, browser.execute_script(MEASURE, graphs)


def _readable(drawn: list[dict]) -> None:
    """Each graph has a size, its boxes never overlap, every label is inside its box."""
    for graph in drawn:
        svg = graph["svg"]
        assert svg["right"] - svg["left"] > 100 and svg["bottom"] - svg["top"] > 100
        rects = [node["rect"] for node in graph["nodes"]]
        assert all(_inside(rect, svg) for rect in rects)
        assert all(_apart(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])
        for node in graph["nodes"]:
            for text in node["texts"]:
                assert text["box"]["right"] > text["box"]["left"], text
                assert _inside(text["box"], node["rect"]), (text, node["rect"])


def _parting(graph: dict) -> dict:
    (node,) = [n for n in graph["nodes"] if "parting" in n["classes"].split()]
    red, green, blue = (int(PARTING[i:i + 2], 16) for i in (1, 3, 5))
    assert node["stroke"] == f"rgb({red}, {green}, {blue})"
    return node


def test_a_forgotten_detach_is_drawn_readably_with_the_parting_node_highlighted(grader, browser, tmp_path):
    graphs, (mine, theirs) = _open_feedback(grader, browser, tmp_path, "detach_grad__no-detach", "detach_grad")
    _readable([mine, theirs])
    for graph in (mine, theirs):
        assert [t["text"] for t in _parting(graph)["texts"]] == ["×", "MulBackward0"]
    assert len(mine["nodes"]) == len(theirs["nodes"]) == 6  # 2 roots + 4 nodes; 2 roots + 3 nodes + a cut
    labels = [t["text"] for n in theirs["nodes"] for t in n["texts"]]
    assert words("cut") in labels and "x  float32[]" in labels
    assert words("legend-cut") in graphs.text and words("parting") not in graphs.text
    assert shot(graphs, tmp_path, "graph-no-detach.png").stat().st_size > 10_000


def test_a_forgotten_create_graph_shows_a_gradient_with_no_graph(grader, browser, tmp_path):
    graphs, (mine, theirs) = _open_feedback(grader, browser, tmp_path, "second_derivative__no-create-graph",
                                            "second_derivative")
    _readable([mine, theirs])
    root = _parting(mine)
    assert [t["text"] for t in root["texts"]] == ["backward 2", words("no-graph")]
    assert [t["text"] for t in _parting(theirs)["texts"]] == ["sum", "SumBackward0"]
    assert shot(graphs, tmp_path, "graph-no-create-graph.png").stat().st_size > 10_000
