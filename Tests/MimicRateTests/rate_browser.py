"""Takes part in a running rating study (`mimic rate serve`) in headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium) as raters and the organiser would, and prints what it did and saw as one JSON object for the Swift
test to check. It reports facts and leaves the judging to the test.

    python rate_browser.py BASE_URL ADMIN_URL SCREENSHOT_DIR RATER_URL [RATER_URL ...]

The first rater link is rated to the end at desktop width (1280x900): the keyboard (1, 2, 3 sent to the page) and the
mouse (the buttons) take turns, the choices go round 1, 2, 3, and one item gets a comment typed first (with a "1" in
it, which must not vote). The first item page is also shown at phone width (390x844). The second rater link gets two
votes by mouse and is left there. Then the admin page is opened.

Everything the raters' browser received is captured from Chromium's performance log: each response's URL, status and
headers (redirects included) and, fetched right after each page load with Network.getResponseBody, its body. The admin
page's responses are kept apart, since that page may name the systems.

Output keys:
  votes, second_votes      one per vote, in order: {"prompt", "output1", "output2" (exact textContent), "pressed"
                           (1, 2 or 3), "comment" (null or the text typed), "method" ("keyboard" or "mouse"),
                           "progress" (the #progress text shown with it)}
  completion_code          the first rater's #completion-code text (null if never reached)
  progress_texts           every #progress text the first rater saw, in order
  second_progress_texts    the same for the second rater
  rater_links              the rater links given
  rater_urls               every URL the raters' browser requested
  rater_bodies             every response body the raters' browser got (strings)
  rater_responses          {"url", "status", "type", "headers", "redirect", "body": true/false} per response
  rater_body_failures      {"url", "status", "error"} for each body that could not be fetched
  admin_summary            p#summary's text
  admin_raters, admin_items  the admin tables, rows of cell texts (header row left out)
  admin_bodies, admin_responses  as for the raters, for the admin page
  console                  browser console messages at level SEVERE or WARNING (raters' and admin's)
  pwned                    whether window.__pwned was ever defined on a rater page
  hostile_seen             whether an item showing the hostile answer (text with "__pwned") came up
  hostile_text_ok          whether that output's textContent holds the literal "<script>" and "onerror"
  hostile_child_elements   how many elements that output div holds (0 when it is shown as text)
  phone_stacked            output 2's top below output 1's bottom at phone width
  phone_no_hscroll         scrollWidth <= innerWidth + 1 at phone width
  phone_viewport           [innerWidth, innerHeight] at phone width
  desktop_side_by_side     the two outputs side by side (same top, output 2 to the right) at desktop width
  desktop_viewport         [innerWidth, innerHeight] at desktop width
  comment_typing_submitted whether typing the comment (with a "1") left the page or changed the item
  comment_value_kept       whether the textarea still held exactly what was typed afterwards
  screenshots              the PNG files written

It exits with status 1 and a message on stderr when the flow breaks (a page or element missing, an unexpected page).
"""
import base64
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

DESKTOP = (1280, 900)
PHONE = (390, 844)
COMMENT = "I pressed 1 while typing this: output 1 & 2 differ <b>a lot</b>"
WAIT = 20


class FlowError(Exception):
    pass


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    return driver


class Capture:
    """What one side (the raters or the admin) received, drained from the performance log after each page load."""

    def __init__(self):
        self.urls = []
        self.bodies = []
        self.responses = []
        self.failures = []

    def drain(self, driver):
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message.get("method"), message.get("params", {})
            url = (params.get("request") or params.get("response") or {}).get("url", "")
            if url.startswith("data:"):  # the blank page Chromium opens with, not something a server sent
                continue
            if method == "Network.requestWillBeSent":
                self.urls.append(params["request"]["url"])
                redirect = params.get("redirectResponse")
                if redirect:
                    self.responses.append({"url": redirect.get("url"), "status": redirect.get("status"),
                                           "type": params.get("type"), "headers": redirect.get("headers", {}),
                                           "redirect": True, "body": False})
            elif method == "Network.responseReceived":
                response = params["response"]
                record = {"url": response.get("url"), "status": response.get("status"), "type": params.get("type"),
                          "headers": response.get("headers", {}), "redirect": False, "body": False}
                try:
                    got = driver.execute_cdp_cmd("Network.getResponseBody", {"requestId": params["requestId"]})
                    body = got.get("body", "")
                    if got.get("base64Encoded"):
                        body = base64.b64decode(body).decode("utf-8", errors="replace")
                    self.bodies.append(body)
                    record["body"] = True
                except WebDriverException as error:
                    self.failures.append({"url": record["url"], "status": record["status"],
                                          "error": str(error.msg or error).splitlines()[0] if str(error) else ""})
                self.responses.append(record)


def console(driver, into):
    into += [f'{e["level"]}: {e["message"]}' for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def settle(driver):
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")


def navigate(driver, act):
    """Runs `act` (which leaves the page) and waits until the next page has loaded."""
    old = driver.find_element(By.TAG_NAME, "html")
    act()
    def left(_):
        # The old page's root is stale, or (when the new page replaced it mid-check) chromedriver says it no longer
        # belongs to the document: either way the page changed.
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise

    try:
        WebDriverWait(driver, WAIT).until(left)
    except Exception as e:
        raise FlowError(f"the page did not change after a vote or click (still {driver.current_url}): "
                        f"{type(e).__name__} {str(e).splitlines()[0] if str(e) else ''}")
    settle(driver)


def text(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    if not found:
        return None
    return driver.execute_script("return arguments[0].textContent", found[0])


def page_kind(driver):
    if driver.find_elements(By.ID, "progress"):
        return "item"
    if driver.find_elements(By.ID, "completion-code"):
        return "complete"
    if driver.find_elements(By.ID, "begin"):
        return "instructions"
    heading = text(driver, "h1")
    paragraph = text(driver, "main p")
    raise FlowError(f"unexpected page at {driver.current_url}: title {driver.title!r}, heading {heading!r}, "
                    f"text {paragraph!r}")


def need(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    if not found:
        raise FlowError(f"no {selector} on {driver.current_url} (title {driver.title!r})")
    return found[0]


def full_shot(driver, path, width):
    """A screenshot of the whole page at `width`, the window as tall as the page."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 140, 600), 12000))
    driver.save_screenshot(path)
    driver.set_window_size(*DESKTOP)


def begin(driver, link, capture, messages):
    driver.set_window_size(*DESKTOP)
    driver.get(link)
    settle(driver)
    capture.drain(driver)
    console(driver, messages)
    kind = page_kind(driver)
    if kind == "instructions":
        heading = text(driver, "h1")
        if heading is None or heading.strip() != "Instructions":
            raise FlowError(f"the instructions page's heading is {heading!r}")
    return kind


def press_begin(driver, capture, messages):
    button = need(driver, "#begin")
    navigate(driver, button.click)
    capture.drain(driver)
    console(driver, messages)


def read_item(driver):
    return {"progress": text(driver, "#progress"), "prompt": need(driver, "#prompt") and text(driver, "#prompt"),
            "output1": need(driver, "#output1") and text(driver, "#output1"),
            "output2": need(driver, "#output2") and text(driver, "#output2")}


def vote(driver, choice, method):
    """Votes `choice` on the item shown by `method` ("keyboard" or "mouse"); a comment is typed before."""
    if method == "keyboard":
        # Keys go to whatever has focus: make sure that is the page itself, not the comment box or a button.
        driver.execute_script("if (document.activeElement && document.activeElement !== document.body) "
                              "document.activeElement.blur()")
        navigate(driver, lambda: ActionChains(driver).send_keys(str(choice)).perform())
    else:
        button = need(driver, f"#choice{choice}")
        navigate(driver, lambda: ActionChains(driver).move_to_element(button).click().perform())


def geometry(driver):
    return driver.execute_script("""
        var a = document.getElementById('output1').getBoundingClientRect();
        var b = document.getElementById('output2').getBoundingClientRect();
        return {a: {top: a.top, bottom: a.bottom, left: a.left, right: a.right},
                b: {top: b.top, bottom: b.bottom, left: b.left, right: b.right},
                scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
                innerHeight: window.innerHeight, scrollHeight: document.documentElement.scrollHeight};
    """)


def first_rater(driver, link, shots, out, capture, messages):
    if begin(driver, link, capture, messages) != "instructions":
        raise FlowError(f"the first visit to {link} did not show the instructions")
    shot = os.path.join(shots, "rater1-instructions.png")
    driver.save_screenshot(shot)
    out["screenshots"].append(shot)
    press_begin(driver, capture, messages)

    index = 0
    while True:
        kind = page_kind(driver)
        if kind == "complete":
            break
        if kind != "item":
            raise FlowError(f"expected an item page, got the {kind} page at {driver.current_url}")
        if index >= 500:
            raise FlowError("more than 500 items: the study never ends")
        shown = read_item(driver)
        out["progress_texts"].append(shown["progress"])

        pwned = driver.execute_script("return typeof window.__pwned !== 'undefined'")
        out["pwned"] = out["pwned"] or bool(pwned)
        for slot in ("output1", "output2"):
            if "__pwned" in (shown[slot] or ""):
                out["hostile_seen"] = True
                ok = "<script>" in shown[slot] and "onerror" in shown[slot]
                out["hostile_text_ok"] = ok if out["hostile_text_ok"] is None else (out["hostile_text_ok"] and ok)
                children = driver.execute_script(
                    "return document.getElementById(arguments[0]).getElementsByTagName('*').length", slot)
                out["hostile_child_elements"] = max(out["hostile_child_elements"] or 0, children)

        if index == 0:
            driver.set_window_size(*DESKTOP)
            g = geometry(driver)
            out["desktop_viewport"] = [g["innerWidth"], g["innerHeight"]]
            out["desktop_side_by_side"] = abs(g["a"]["top"] - g["b"]["top"]) < 1 and g["b"]["left"] >= g["a"]["right"]
            shot = os.path.join(shots, "rater1-item1-desktop.png")
            driver.save_screenshot(shot)
            out["screenshots"].append(shot)
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
            try:
                time.sleep(0.3)
                g = geometry(driver)
                out["phone_viewport"] = [g["innerWidth"], g["innerHeight"]]
                out["phone_stacked"] = g["b"]["top"] > g["a"]["bottom"]
                out["phone_no_hscroll"] = g["scrollWidth"] <= g["innerWidth"] + 1
                shot = os.path.join(shots, "rater1-item1-phone.png")
                driver.save_screenshot(shot)
                out["screenshots"].append(shot)
                if g["scrollHeight"] > g["innerHeight"] + 1:  # the whole page too, when it is longer than the screen
                    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                           {"width": PHONE[0], "height": min(g["scrollHeight"], 8000),
                                            "deviceScaleFactor": 1, "mobile": True})
                    time.sleep(0.3)
                    shot = os.path.join(shots, "rater1-item1-phone-full.png")
                    driver.save_screenshot(shot)
                    out["screenshots"].append(shot)
            finally:
                driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
                driver.set_window_size(*DESKTOP)

        choice = index % 3 + 1
        method = "keyboard" if index % 2 == 0 else "mouse"
        comment = None
        if index == 1:
            box = need(driver, "#comment")
            html = driver.find_element(By.TAG_NAME, "html")
            box.click()
            box.send_keys(COMMENT)
            time.sleep(0.8)
            left = not _alive(driver, html)
            now = text(driver, "#progress")
            out["comment_typing_submitted"] = bool(left or now != shown["progress"])
            value = driver.execute_script("var c = document.getElementById('comment'); return c ? c.value : null")
            out["comment_value_kept"] = value == COMMENT
            shot = os.path.join(shots, "rater1-comment.png")
            driver.save_screenshot(shot)
            out["screenshots"].append(shot)
            if out["comment_typing_submitted"]:
                raise FlowError("typing the comment sent the vote form")
            comment = COMMENT
        vote(driver, choice, method)
        capture.drain(driver)
        console(driver, messages)
        out["votes"].append({"prompt": shown["prompt"], "output1": shown["output1"], "output2": shown["output2"],
                             "pressed": choice, "comment": comment, "method": method, "progress": shown["progress"]})
        index += 1

    out["completion_code"] = (text(driver, "#completion-code") or "").strip() or None
    shot = os.path.join(shots, "rater1-complete.png")
    driver.save_screenshot(shot)
    out["screenshots"].append(shot)


def _alive(driver, element):
    try:
        element.tag_name
        return True
    except WebDriverException:
        return False


def second_rater(driver, link, shots, out, capture, messages):
    if begin(driver, link, capture, messages) == "instructions":
        press_begin(driver, capture, messages)
    for index in range(2):
        kind = page_kind(driver)
        if kind != "item":
            raise FlowError(f"the second rater's item {index + 1} is the {kind} page at {driver.current_url}")
        shown = read_item(driver)
        out["second_progress_texts"].append(shown["progress"])
        out["pwned"] = out["pwned"] or bool(driver.execute_script("return typeof window.__pwned !== 'undefined'"))
        if index == 0:
            shot = os.path.join(shots, "rater2-item1.png")
            driver.save_screenshot(shot)
            out["screenshots"].append(shot)
        choice = index % 3 + 1
        vote(driver, choice, "mouse")
        capture.drain(driver)
        console(driver, messages)
        out["second_votes"].append({"prompt": shown["prompt"], "output1": shown["output1"], "output2": shown["output2"],
                                    "pressed": choice, "comment": None, "method": "mouse",
                                    "progress": shown["progress"]})


def admin(driver, link, shots, out, capture, messages):
    driver.set_window_size(*DESKTOP)
    driver.get(link)
    settle(driver)
    capture.drain(driver)
    console(driver, messages)
    out["admin_summary"] = (text(driver, "p#summary") or "").strip() or None
    if out["admin_summary"] is None:
        raise FlowError(f"no p#summary on the admin page (title {driver.title!r}, heading {text(driver, 'h1')!r})")
    for table in ("raters", "items"):
        need(driver, f"table#{table}")
        rows = driver.execute_script("""
            return Array.from(document.querySelectorAll('table#' + arguments[0] + ' tr')).slice(1).map(
                function (r) { return Array.from(r.cells).map(function (c) { return c.textContent.trim(); }); });
        """, table)
        out[f"admin_{table}"] = rows
    shot = os.path.join(shots, "admin.png")
    full_shot(driver, shot, DESKTOP[0])
    out["screenshots"].append(shot)


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    base, admin_link, shots, links = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(shots, exist_ok=True)
    out = {"votes": [], "second_votes": [], "completion_code": None, "progress_texts": [], "second_progress_texts": [],
           "rater_links": links, "rater_urls": [], "rater_bodies": [], "rater_responses": [], "rater_body_failures": [],
           "admin_summary": None, "admin_raters": [], "admin_items": [], "admin_bodies": [], "admin_responses": [],
           "admin_urls": [], "console": [], "pwned": False, "hostile_seen": False, "hostile_text_ok": None,
           "hostile_child_elements": None, "phone_stacked": None, "phone_no_hscroll": None, "phone_viewport": None,
           "desktop_side_by_side": None, "desktop_viewport": None, "comment_typing_submitted": None,
           "comment_value_kept": None, "screenshots": [], "base_url": base}
    raters, organiser = Capture(), Capture()
    failure = None
    driver = browser()
    try:
        first_rater(driver, links[0], shots, out, raters, out["console"])
        if len(links) > 1:
            second_rater(driver, links[1], shots, out, raters, out["console"])
        raters.drain(driver)
        admin(driver, admin_link, shots, out, organiser, out["console"])
    except FlowError as error:
        failure = str(error)
    except WebDriverException as error:
        failure = f"{type(error).__name__} at {driver.current_url}: {str(error.msg or error).splitlines()[0]}"
    finally:
        try:
            driver.quit()
        except Exception:
            pass
    out["hostile_text_ok"] = bool(out["hostile_text_ok"])
    out["rater_urls"], out["rater_bodies"] = raters.urls, raters.bodies
    out["rater_responses"], out["rater_body_failures"] = raters.responses, raters.failures
    out["admin_urls"], out["admin_bodies"], out["admin_responses"] = organiser.urls, organiser.bodies, organiser.responses
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    if failure:
        print(f"rate_browser.py: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
