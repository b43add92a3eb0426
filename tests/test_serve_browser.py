"""The web service in a real browser: Debian's headless Chromium driven by Selenium through
/usr/bin/chromedriver (no downloaded browser). A student uploads a notebook, the page follows the
grading by itself, the feedback is read; screenshots of the student page and of the dashboard
are saved (to SERVE_SCREENSHOTS if set) to be looked at."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as until
from selenium.webdriver.support.ui import WebDriverWait

from browser_support import needs_browser, shot
from serve_support import REPO, Server, import_roster, signed_in

pytestmark = needs_browser


def _shot(driver, folder, name: str):
    return shot(driver, folder, name, "SERVE_SCREENSHOTS")


def test_upload_a_notebook_follow_the_grade_and_read_the_feedback(tmp_path, browser):
    notebook = REPO / "examples" / "sample_submission.ipynb"
    with Server(tmp_path / "data", "--jobs", "1") as server:
        with signed_in(server.instructor_link) as instructor:
            links = import_roster(instructor, server.base, "ana@uni.edu,Ana Ng")
        browser.get(links["ana@uni.edu"])
        assert browser.current_url == server.base + "/"
        browser.find_element(By.NAME, "submission").send_keys(str(notebook))
        browser.find_element(By.XPATH, "//button[text()='Upload and grade']").click()
        state = browser.find_element(By.CSS_SELECTOR, "tr[id^=job-] td:nth-child(4)")
        assert state.text in ("waiting in the queue", "being graded", "graded")
        WebDriverWait(browser, 180, poll_frequency=0.5).until(
            until.text_to_be_present_in_element((By.CSS_SELECTOR, "tr[id^=job-] td:nth-child(5)"),
                                                "/ 36"))  # the page reloads itself when graded
        assert browser.find_element(By.CSS_SELECTOR, "tr[id^=job-] td:nth-child(4)").text == "graded"
        score = browser.find_element(By.CSS_SELECTOR, "tr[id^=job-] td:nth-child(5)").text
        assert "/ 36" in score and "counts" in score
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe[title=feedback]"))
        total = browser.find_element(By.CLASS_NAME, "total").text
        assert total.startswith("Total:") and total.endswith("/ 36")
        assert browser.find_elements(By.CSS_SELECTOR, "section.exercise")
        browser.switch_to.default_content()
        assert _shot(browser, tmp_path, "student.png").stat().st_size > 10_000

        browser.get(server.instructor_link)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Instructor dashboard"
        assert "ana@uni.edu" in browser.find_element(By.TAG_NAME, "table").text
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe[title='class summary']"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Class summary"
        browser.switch_to.default_content()
        assert _shot(browser, tmp_path, "dashboard.png").stat().st_size > 10_000
