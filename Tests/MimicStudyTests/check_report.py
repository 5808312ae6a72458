"""Opens a study report in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium) as a reader
would, and prints what it found as JSON for the Swift test to check: console errors, every request the pages made,
each plot's points, each table cell's exact value, what the answer pages show as text, and the screenshots taken.

    python check_report.py REPORT_DIR SCREENSHOT_DIR
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def visit(driver, url, shot):
    driver.get(url)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height + 40, 600), 12000))
    driver.save_screenshot(shot)
    console = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    return console, requests


def main():
    report, shots = sys.argv[1], sys.argv[2]
    driver = browser()
    out = {"console": [], "requests": [], "screenshots": []}
    try:
        index = f"file://{report}/index.html"
        console, requests = visit(driver, index, f"{shots}/report.png")
        out["console"] += console
        out["requests"] += requests
        out["screenshots"].append(f"{shots}/report.png")
        out["title"] = driver.title
        out["plots"] = []
        for svg in driver.find_elements(By.CSS_SELECTOR, "svg.plot"):
            title = svg.find_element(By.CSS_SELECTOR, "text.plot-title").text
            points = [{"series": c.get_attribute("data-series"), "x": float(c.get_attribute("data-x")),
                       "y": float(c.get_attribute("data-y"))} for c in svg.find_elements(By.CSS_SELECTOR, "circle.point")]
            references = [{"name": r.get_attribute("data-name"), "y": float(r.get_attribute("data-y"))}
                          for r in svg.find_elements(By.CSS_SELECTOR, "line.reference")]
            ticks = [t.text for t in svg.find_elements(By.CSS_SELECTOR, "text.tick")]
            out["plots"].append({"title": title, "points": points, "references": references, "ticks": ticks,
                                 "visible": svg.is_displayed()})
        out["cells"] = []
        for td in driver.find_elements(By.CSS_SELECTOR, "td[data-value]"):
            row = td.find_element(By.XPATH, "./..")
            table = td.find_element(By.XPATH, "./ancestor::table")
            out["cells"].append({"table": table.get_attribute("id"), "model": row.get_attribute("data-model"),
                                 "kind": row.get_attribute("data-kind"),
                                 "task": td.get_attribute("data-task"), "metric": td.get_attribute("data-metric"),
                                 "key": td.get_attribute("data-key"), "value": float(td.get_attribute("data-value")),
                                 "text": td.text})
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "ol.prompts a")]
        out["answer_pages"] = []
        for i, link in enumerate(links):
            shot = f"{shots}/answers-{i + 1}.png"
            console, requests = visit(driver, link, shot)
            out["console"] += console
            out["requests"] += requests
            out["screenshots"].append(shot)
            out["answer_pages"].append({
                "title": driver.title,
                "texts": [p.text for p in driver.find_elements(By.CSS_SELECTOR, "pre.model-text")],
                "scripts": len(driver.find_elements(By.TAG_NAME, "script")),
                "bold_in_answers": len(driver.find_elements(By.CSS_SELECTOR, "pre.model-text b")),
                "headings": [h.text for h in driver.find_elements(By.CSS_SELECTOR, ".answer h3")],
            })
    finally:
        driver.quit()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
