#!/usr/bin/env python3
"""Opens a web form's hosted page in headless Chromium, fills it in as a person would, submits
it, and prints the page it lands on. Used by WebFormsProcessTests (the browser test).

usage: submit_form.py URL FIELD=VALUE... [--wait SECONDS]
"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def main():
    url, *rest = sys.argv[1:]
    wait = 0.0
    values = []
    while rest:
        item = rest.pop(0)
        if item == "--wait":
            wait = float(rest.pop(0))
        else:
            name, value = item.split("=", 1)
            values.append((name, value))
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    # Debian's driver, not one selenium-manager would download.
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    try:
        driver.get(url)
        for name, value in values:
            field = driver.find_element(By.NAME, name)
            # Each label is tied to its field, as a screen reader finds it.
            label = driver.find_element(By.CSS_SELECTOR, "label[for='%s']" % field.get_attribute("id"))
            assert label.text.strip(), "field %s has no label" % name
            field.send_keys(value)
        time.sleep(wait)  # a person takes a moment; the form refuses a bot's instant post
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 20).until(expected_conditions.url_changes(url))
        print(driver.current_url)
        print(driver.find_element(By.TAG_NAME, "body").text)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
