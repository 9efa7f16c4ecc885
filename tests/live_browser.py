#!/usr/bin/python3
"""The live page in a real browser: Debian's headless Chromium driven by chromium-driver
through python3-selenium (no browser download). Given a server's HTTP face, it loads /, sees
the figures in #rps, #p99 and #lag filled and updated by new answers, sends a long request with
the page's control and sees its answer shown; with --inline it also sees the page say, live,
that the server stopped answering while the loop computes.

    tests/live_browser.py http://127.0.0.1:PORT [--inline] [--n 100000] [--screenshot FILE]

Exit status: 0 passed, 1 failed (the reason on stderr), 77 skipped (no Chromium, driver or
selenium here; the message says which and how to install it).
"""
import argparse
import re
import shutil
import sys
import tempfile
import time

SKIP = 77
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1200,1000"]


class Failed(Exception):
    pass


def skip(why):
    print(f"skipped: {why} (.ci/install-deps browser installs chromium, chromium-driver and "
          "python3-selenium)", file=sys.stderr)
    sys.exit(SKIP)


def wait_for(what, check, deadline):
    """Polls check() (a page query) until it returns something true, or fails with `what`."""
    until = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > until:
            raise Failed(f"{what}: not seen within {deadline:.0f} s")
        time.sleep(0.05)  # the browser's state is polled: there is no event to wait on from here


def start_browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        skip("python3-selenium is not installed")
    for path in (CHROMIUM, DRIVER):
        if not shutil.which(path):
            skip(f"{path} is not installed")
    profile = tempfile.mkdtemp(prefix="primeloop-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(DRIVER), options=options), profile


def run(browser, args):
    from selenium.webdriver.common.by import By

    text = lambda i: browser.find_element(By.ID, i).text
    browser.get(args.url.rstrip("/") + "/")
    if "primeloop live" not in browser.title:
        raise Failed(f"GET / is not the live page (title {browser.title!r})")

    # The figures: filled from /live.json, then rewritten by later answers.
    wait_for("#rps, #p99 and #lag filled", lambda: all(text(i) not in ("", "-")
                                                       for i in ("rps", "p99", "lag")), 20)
    polls = lambda: int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-polls"))
    first = polls()
    wait_for("three more answers of /live.json drawn", lambda: polls() >= first + 3, 20)
    if not re.fullmatch(r"\d+", text("rps")):
        raise Failed(f"#rps is not a number: {text('rps')!r}")
    for i in ("p99", "lag"):
        if not re.search(r"\d+(\.\d+)? (s|ms|\u00b5s)", text(i)):
            raise Failed(f"#{i} is not a duration: {text(i)!r}")
    print(f"figures: rps {text('rps')}, p99 {text('p99')}, lag {text('lag')}")

    # The long request, sent with the page's own control.
    field = browser.find_element(By.ID, "n")
    field.clear()
    field.send_keys(str(args.n))
    browser.find_element(By.ID, "send").click()
    if args.inline:
        message = wait_for("the stall said in words during the long request",
                           lambda: re.search(r"no answer from the server for \d+\.\d s: the loop "
                                             r"is busy computing", text("status")), args.deadline)
        print(f"stall message: {message.group(0)!r}")
    else:
        if args.long_shown:
            # The server says what it computes (/live.json's long_request): the page shows it.
            shown = wait_for("#long-request showing the long request while it computes",
                             lambda: re.match(rf"n={args.n}, \d", text("long-request")), 20)
            print(f"long request shown: {shown.string!r}")
        if args.screenshot:
            # A second into the long request, while it computes, as the page itself reports
            # it (the server's elapsed time, in seconds from 1 s on): what the page shows on a
            # policy whose loop keeps answering.
            wait_for("the page showing a second of the long request",
                     lambda: re.match(rf"n={args.n}, \d+\.\d s", text("long-request")),
                     args.deadline)
            browser.save_screenshot(args.screenshot)
    answer = wait_for("the long request's answer shown",
                      lambda: re.search(rf"prime {args.n} = (\d+)", text("answer")),
                      args.deadline)
    print(f"answer: {text('answer')!r}")
    if args.expect and answer.group(1) != args.expect:
        raise Failed(f"the answer is {answer.group(1)}, not {args.expect}")
    if args.inline:
        wait_for("the page live again after the answer",
                 lambda: text("status").startswith("live"), 20)
        if args.screenshot:
            # After the answer: the gap drawn grey between the two marks, the answer beside them.
            browser.save_screenshot(args.screenshot)
    elif "no answer" in text("status"):
        print(f"note: the page stalled on a non-inline server: {text('status')!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="the server's HTTP face, e.g. http://127.0.0.1:8080")
    p.add_argument("--inline", action="store_true",
                   help="the server computes on its loop: expect the stall message")
    p.add_argument("--n", type=int, default=100000, help="n of the long request (default 100000)")
    p.add_argument("--expect", help="the answer the long request must get (e.g. 1299709)")
    p.add_argument("--long-shown", action="store_true",
                   help="expect #long-request to show the request while it computes (a pool: "
                   "the loop answers /live.json meanwhile)")
    p.add_argument("--deadline", type=float, default=120,
                   help="seconds to wait for the long request's answer (default 120)")
    p.add_argument("--screenshot", help="a PNG of the page: during the long request, or with --inline just after it "
                   "(the gap drawn)")
    args = p.parse_args()
    browser, profile = start_browser()
    try:
        run(browser, args)
    except Failed as e:
        print(f"failed: {e}", file=sys.stderr)
        print(f"status line: {browser.find_element('id', 'status').text!r}", file=sys.stderr)
        return 1
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
