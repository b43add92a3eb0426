"""Chinese HTML feedback in a real browser (Debian's headless Chromium, as test_serve_browser.py
drives it): the page declares `lang="zh-CN"`, and its Chinese text is drawn with real CJK glyphs,
not the empty boxes ("tofu") a machine without a CJK font shows. The screenshot is saved (to
SCREENSHOTS_DIR if set) to be looked at."""
from __future__ import annotations

import io


from conftest import FIXTURES, REPO
from grader import i18n
from grader.api import Grader
from grader.render import feedback
from browser_support import needs_browser, shot

pytestmark = needs_browser
from PIL import Image, ImageChops  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

# Three words of the page's own vocabulary, and private-use characters no font draws (tofu).
SAMPLES = {"gradient": "梯度累积", "backward": "反向传播", "tofu": "\ue000\ue001\ue002\ue003"}


def _ink(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def _dark_pixels(image: Image.Image) -> int:
    return sum(image.point(lambda value: 255 if value < 128 else 0).histogram()[255:])


def test_chinese_feedback_declares_its_language_and_draws_cjk_glyphs(tmp_path, browser):
    with Grader.open(str(REPO / "config.yaml"), {"language": "zh_CN"}) as grader:
        report = grader.grade_file(FIXTURES / "wrong" / "two_grads__forgets-zero.py", "ana")
    with i18n.using("zh_CN"):
        page = tmp_path / "feedback.html"
        page.write_text(feedback.to_html(report), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert browser.find_element(By.TAG_NAME, "h1").text == "ana 的反馈"
    assert "梯度在 x.grad 中累积了" in browser.find_element(By.CSS_SELECTOR, "section.exercise.failed").text
    browser.execute_script(
        "for (const [id, text] of Object.entries(arguments[0])) {"
        " const span = document.createElement('span'); span.id = id; span.textContent = text;"
        " span.style.cssText = 'font-size:48px;display:inline-block;padding:4px;background:#fff';"
        " document.body.prepend(span); }", SAMPLES)
    glyphs = {name: _ink(browser.find_element(By.ID, name).screenshot_as_png) for name in SAMPLES}
    assert min(_dark_pixels(glyphs[name]) for name in ("gradient", "backward")) > 400  # ink, not blank
    for word in ("gradient", "backward"):  # a CJK font draws each character; tofu draws one box for all
        other = "backward" if word == "gradient" else "gradient"
        for different in (other, "tofu"):
            a, b = glyphs[word], glyphs[different].resize(glyphs[word].size)
            assert ImageChops.difference(a, b).getbbox() is not None, f"{word} is drawn like {different}"
    browser.execute_script("for (const id of Object.keys(arguments[0])) document.getElementById(id).remove();",
                           SAMPLES)
    assert shot(browser, tmp_path, "feedback-zh_CN.png").stat().st_size > 10_000
