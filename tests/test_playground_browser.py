"""End-to-end tests of the playground in a real headless Chromium: Debian's ``chromium`` package
driven by Playwright for Python (no browser is downloaded). The server is started here, on
127.0.0.1 and a free port. Without /usr/bin/chromium or Playwright the tests skip, saying why.
"""

from pathlib import Path

import pytest

import glassnet

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "the browser tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the browser tests need Playwright for Python: pip install playwright "
    "(its driver comes with it; the browser is /usr/bin/chromium)",
)
pytest.importorskip(
    "uvicorn", reason="the playground needs uvicorn: pip install 'glassnet[playground]'"
)

from glassnet.playground import running  # noqa: E402

TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def server():
    with running() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include any breach of the page's content security policy.
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto_playground = lambda hash_="": open_playground(page, server, hash_)
    yield page
    context.close()
    assert errors == [], "the page logged errors"


def open_playground(page, server: str, hash_: str) -> None:
    page.goto(server + hash_)
    page.wait_for_function("() => Number(document.body.dataset.frames || 0) >= 1")


def by_id(page, test_id: str):
    return page.get_by_test_id(test_id)


def wait_for_text(page, test_id: str, condition: str) -> None:
    """Wait until ``condition`` (a JavaScript function of a text) holds for the element's text.
    Functions, not expressions: the page's content security policy forbids eval."""
    page.wait_for_function(
        f"() => ({condition})(document.querySelector('[data-testid={test_id}]').textContent)"
    )


def epoch(page) -> int:
    return int(by_id(page, "epoch").inner_text().replace(",", ""))


def shot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 20_000  # a drawn page, not a blank one


def test_pick_a_dataset_press_play_and_watch_the_test_loss_fall(page, tmp_path):
    page.goto_playground("#seed=3")
    by_id(page, "dataset-xor").click()
    page.wait_for_function("() => location.hash.includes('dataset=xor')")
    assert "selected" in by_id(page, "dataset-xor").get_attribute("class")
    assert epoch(page) == 0
    first_loss = float(by_id(page, "test-loss").inner_text())
    by_id(page, "play").click()
    wait_for_text(page, "epoch", "text => Number(text.replace(/,/g, '')) >= 60")
    by_id(page, "play").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=play]').ariaPressed === 'false'"
    )
    assert epoch(page) >= 60
    assert float(by_id(page, "test-loss").inner_text()) < 0.8 * first_loss
    assert "%" in by_id(page, "accuracy").inner_text()
    shot(page, tmp_path / "xor.png")


def test_add_and_remove_a_layer(page, tmp_path):
    page.goto_playground("#seed=1")
    by_id(page, "add-layer").click()
    by_id(page, "neuron-2-0").wait_for()
    # The counter and the URL follow the server's answer, which may come a moment later.
    wait_for_text(page, "layer-count", "text => text === '3 hidden layers'")
    page.wait_for_function("() => location.hash.includes('hidden=4,2,2')")
    by_id(page, "add-neuron-2").click()
    by_id(page, "neuron-2-2").wait_for()
    shot(page, tmp_path / "three-layers.png")
    by_id(page, "remove-layer").click()
    by_id(page, "neuron-3-0").wait_for(state="detached")  # the output moves back to layer 2
    wait_for_text(page, "layer-count", "text => text === '2 hidden layers'")


def test_upload_a_csv_and_see_a_bad_one_explained(page, tmp_path):
    page.goto_playground()
    rows = ["width,height,kind"]
    rows += [
        f"{i % 7 - 3},{i % 5 - 2 + (i % 2) * 4},{'tall' if i % 2 else 'short'}"
        for i in range(10_000)
    ]
    by_id(page, "upload").set_input_files(
        files=[{"name": "shapes.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}]
    )
    wait_for_text(page, "upload-status", "text => text.includes('10,000 rows')")
    assert "tall" in by_id(page, "legend").inner_text()
    assert page.get_by_text("height", exact=True).count() >= 1
    shot(page, tmp_path / "upload.png")
    bad = b"width,height,kind\n1,2,tall\n3,four,short\n"
    by_id(page, "upload").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    error = by_id(page, "error")
    error.wait_for(state="visible")
    assert "bad.csv, line 3, column 'height': expected a number, got 'four'" in error.inner_text()


def test_export_the_model_and_the_script(page, tmp_path):
    page.goto_playground("#seed=2")
    by_id(page, "step").click()
    wait_for_text(page, "epoch", "text => text === '000,001'")
    with page.expect_download() as download:
        by_id(page, "export-model").click()
    model = tmp_path / download.value.suggested_filename
    download.value.save_as(model)
    network = glassnet.load(model)
    assert repr(network) == "Network(2-4-2-1, dtype=float32)"
    assert network.history.epochs == 2
    with page.expect_download() as download:
        by_id(page, "export-python").click()
    script = tmp_path / "train.py"
    download.value.save_as(script)
    assert "network = Network(" in script.read_text() and "train_epochs(1)" in script.read_text()


def test_explain_a_neuron_and_set_a_bias_by_hand(page):
    page.goto_playground("#seed=4")
    by_id(page, "neuron-0-1").click()
    explain = by_id(page, "explain")
    explain.wait_for(state="visible")
    assert "Neuron 2 of hidden layer 1" in explain.inner_text()
    assert "a^(1) = (x - mean) / scale" in explain.inner_text()
    by_id(page, "bias-1-0").click()
    by_id(page, "param-editor").wait_for(state="visible")
    by_id(page, "param-value").fill("1.25")
    by_id(page, "param-value").press("Enter")
    by_id(page, "param-editor").wait_for(state="hidden")
    page.wait_for_timeout(200)
    by_id(page, "bias-1-0").click()
    assert by_id(page, "param-value").input_value() == "1.25"


def test_the_url_holds_the_whole_setup_and_the_hidden_controls(page):
    page.goto_playground(
        "#dataset=spiral&hidden=3&activations=relu&dropout=0&features=x1,x2,sinx1"
        "&learning_rate=0.1&seed=5&hide=noise,learning_rate"
    )
    assert "selected" in by_id(page, "dataset-spiral").get_attribute("class")
    assert by_id(page, "layer-count").inner_text() == "1 hidden layer"
    assert by_id(page, "activation-0").input_value() == "relu"
    assert "off" not in by_id(page, "feature-sinx1").get_attribute("class")
    assert "off" in by_id(page, "feature-cosx1").get_attribute("class")
    assert by_id(page, "learning-rate").input_value() == "0.1"
    assert not by_id(page, "noise").is_visible()
    assert not by_id(page, "learning-rate").is_visible()
    assert by_id(page, "batch-size").is_visible()
    by_id(page, "problem").select_option("regression")
    page.wait_for_function("() => location.hash.includes('dataset=plane')")
    assert by_id(page, "dataset-multi-gaussian").is_visible()
    assert not by_id(page, "dataset-spiral").is_visible()
