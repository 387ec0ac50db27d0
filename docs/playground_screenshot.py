"""Take the README's screenshot of the playground: python docs/playground_screenshot.py

Serves the playground on 127.0.0.1, opens it in headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright), trains a network on the spiral until epoch 400, traces a training point
through one neuron and saves the page as docs/images/playground.png.
"""

from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from glassnet.playground import running

IMAGE = Path(__file__).resolve().parent / "images" / "playground.png"
SETUP = (
    "#dataset=spiral&noise=5&features=x1,x2,x1sq,x2sq,sinx1,sinx2&hidden=8,8,4"
    "&activations=tanh,tanh,tanh&dropout=0,0,0&optimizer=adam&learning_rate=0.01&seed=7"
    "&show_test=false&discretize=false"
)
EPOCHS = 400


def main() -> None:
    with running() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1400, "height": 940}, device_scale_factor=1)
        page.goto(url + SETUP)
        page.get_by_test_id("neuron-2-3").wait_for()
        page.get_by_test_id("play").click()
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=epoch]').textContent"
            f".replace(/,/g, '')) >= {EPOCHS}",
            timeout=120_000,
        )
        page.get_by_test_id("play").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=play]').ariaPressed === 'false'"
        )
        page.wait_for_timeout(300)
        page.screenshot(path=str(IMAGE), clip={"x": 0, "y": 0, "width": 1400, "height": 940})
        browser.close()
    # 256 colours: a third of the size, no visible difference.
    Image.open(IMAGE).convert("RGB").quantize(256).save(IMAGE, optimize=True)
    print(f"saved {IMAGE}")


if __name__ == "__main__":
    main()
