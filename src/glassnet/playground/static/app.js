// glassnet playground: the page. It draws what the server computes and sends back what the user
// does; no arithmetic of the network happens here. Messages are described in app.py.
"use strict";

(() => {
  // -- constants ---------------------------------------------------------------------------------

  const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const DROPOUT_RATES = [0, 0.1, 0.2, 0.3, 0.5];
  const NODE = 38; // a neuron's box, in pixels
  const GAP = 12; // between neurons of a column
  const HEADER = 100; // above the neurons: each hidden layer's controls
  const ORANGE = [245, 147, 34];
  const GREY = [232, 234, 235];
  const BLUE = [8, 119, 189];
  const CLASS_COLOURS = [
    [245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189], [214, 39, 40],
    [23, 190, 207], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34],
  ];
  const DATASET_TITLES = {
    circle: "Circle", xor: "XOR", gaussian: "Gaussian", spiral: "Spiral",
    blobs: "Three blobs", plane: "Plane", "multi-gaussian": "Multi-gaussian",
  };
  const ACTIVATION_TITLES = {
    tanh: "Tanh", relu: "ReLU", sigmoid: "Sigmoid", identity: "Linear", leaky_relu: "Leaky ReLU",
  };
  const OPTIMIZER_TITLES = { sgd: "SGD", momentum: "SGD + momentum", adam: "Adam" };
  const REGULARIZATION_TITLES = { none: "None", l1: "L1", l2: "L2" };
  // Controls a teacher can hide, by the data-control names of the page.
  const HIDABLE = [
    ["show_test", "Show test data"], ["discretize", "Discretize output"], ["play", "Play button"],
    ["step", "Step button"], ["reset", "Reset button"], ["learning_rate", "Learning rate"],
    ["activation", "Activation"], ["optimizer", "Optimizer"],
    ["regularization", "Regularization"], ["regularization_rate", "Regularization rate"],
    ["problem", "Problem type"], ["dataset", "Which dataset"],
    ["train_percent", "Ratio of training data"], ["noise", "Noise level"],
    ["batch_size", "Batch size"], ["layers", "Number of hidden layers"],
    ["upload", "CSV upload"], ["regenerate", "Regenerate button"],
  ];
  const CLIENT_KEYS = ["show_test", "discretize", "hide"];

  // -- state -------------------------------------------------------------------------------------

  const state = {
    socket: null,
    hello: null, // limits, choices, thumbnails
    network: null, // the last "network" message
    update: null, // the last "update" message, drawn on the next frame
    drawnUpdate: null,
    playing: false,
    showTest: false,
    discretize: false,
    hidden: new Set(),
    losses: [], // [train, test] per update
    selected: null, // {layer, unit}: the neuron being explained
    point: 0, // the training point being explained
    editing: null, // {layer, name, index}: the parameter in the editor
    frames: 0, // updates drawn, for tests and benchmarks
  };
  const $ = (selector, root = document) => root.querySelector(selector);
  const byTestId = (id) => $(`[data-testid="${id}"]`);
  const lut = colourTable(ORANGE, GREY, BLUE);
  // The output map is a little paler than the points on it, so that they stand out.
  const MAP_STRENGTH = 0.63;
  const softLut = lut.map((colour) => soften(colour));

  // -- the connection ----------------------------------------------------------------------------

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    state.socket = socket;
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      setPlaying(false);
      const box = byTestId("error");
      const before = box.hidden ? "" : `${$(".error-text", box).textContent}\n`;
      showError(`${before}The connection to the server closed (code ${event.code}${
        event.reason ? `: ${event.reason}` : ""}). Reload the page to start again.`);
    });
  }

  function send(message) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(message));
    }
  }

  function sendSetup(changes) {
    send({ type: "setup", setup: changes });
  }

  function receive(message) {
    switch (message.type) {
      case "hello": return onHello(message);
      case "network": return onNetwork(message);
      case "update": return onUpdate(message);
      case "setup": return onSetup(message.setup);
      case "playing": return setPlaying(message.playing);
      case "explain": return onExplain(message);
      case "error": return showError(message.message);
      default: return showError(`unexpected message from the server: ${message.type}`);
    }
  }

  // -- hello: build the controls -----------------------------------------------------------------

  function onHello(hello) {
    state.hello = hello;
    fillSelect(byTestId("learning-rate"), LEARNING_RATES.map((v) => [String(v), String(v)]));
    fillSelect(byTestId("regularization-rate"),
      REGULARIZATION_RATES.map((v) => [String(v), String(v)]));
    fillSelect(byTestId("activation"), [["", "Per layer"],
      ...hello.activations.map((a) => [a, ACTIVATION_TITLES[a] || a])]);
    fillSelect(byTestId("optimizer"), hello.optimizers.map((o) => [o, OPTIMIZER_TITLES[o] || o]));
    fillSelect(byTestId("regularization"),
      hello.regularizations.map((r) => [r, REGULARIZATION_TITLES[r] || r]));
    fillSelect(byTestId("problem"), [["classification", "Classification"],
      ["regression", "Regression"]]);
    byTestId("batch-size").max = String(hello.limits.max_batch_size);
    byTestId("export-model").href = `/export/${hello.token}/model`;
    byTestId("export-python").href = `/export/${hello.token}/script`;
    buildDatasetButtons(hello);
    buildHideList();
    const { setup, client, notes } = readHash(hello.defaults);
    state.showTest = client.show_test === "true";
    state.discretize = client.discretize === "true";
    state.hidden = new Set((client.hide || "").split(",").filter(Boolean));
    byTestId("show-test").checked = state.showTest;
    byTestId("discretize").checked = state.discretize;
    applyHidden();
    notes.forEach(showError);
    sendSetup(setup);
  }

  function fillSelect(select, options) {
    select.replaceChildren(...options.map(([value, text]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = text;
      return option;
    }));
  }

  function buildDatasetButtons(hello) {
    const box = $("#datasets");
    box.replaceChildren();
    for (const [name, problem] of Object.entries(hello.datasets)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dataset";
      button.dataset.testid = `dataset-${name}`;
      button.dataset.dataset = name;
      button.dataset.problem = problem;
      button.title = DATASET_TITLES[name] || name;
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 64;
      drawThumbnail(canvas, hello.thumbnails[name], problem, hello.view);
      const caption = document.createElement("span");
      caption.textContent = DATASET_TITLES[name] || name;
      button.append(canvas, caption);
      button.addEventListener("click", () => sendSetup({ dataset: name, problem }));
      box.append(button);
    }
  }

  function drawThumbnail(canvas, points, problem, half) {
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    for (const [x1, x2, value] of points) {
      const colour = problem === "classification" ? CLASS_COLOURS[value] : lut[toByte(value)];
      context.fillStyle = rgb(colour);
      const x = ((x1 + half) / (2 * half)) * canvas.width;
      const y = ((half - x2) / (2 * half)) * canvas.height;
      context.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
  }

  function buildHideList() {
    const box = $("#hide-list");
    box.replaceChildren(...HIDABLE.map(([key, text]) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.dataset.hide = key;
      input.addEventListener("change", () => {
        if (input.checked) state.hidden.add(key); else state.hidden.delete(key);
        applyHidden();
        writeHash();
      });
      label.append(input, ` ${text}`);
      return label;
    }));
  }

  function applyHidden() {
    for (const element of document.querySelectorAll("[data-control]")) {
      element.classList.toggle("hidden-control", state.hidden.has(element.dataset.control));
    }
    for (const input of document.querySelectorAll("[data-hide]")) {
      input.checked = state.hidden.has(input.dataset.hide);
    }
  }

  // -- the URL: the whole set-up, so a link reproduces it ----------------------------------------

  function readHash(defaults) {
    const setup = { ...defaults };
    const client = {};
    const notes = [];
    const pairs = location.hash.replace(/^#/, "").split("&").filter(Boolean);
    for (const pair of pairs) {
      const [key, raw = ""] = pair.split("=");
      const value = safeDecode(raw);
      if (CLIENT_KEYS.includes(key)) {
        client[key] = value;
      } else if (key in defaults) {
        setup[key] = parseValue(defaults[key], value);
      }
    }
    if (!location.hash.includes("seed=")) {
      setup.seed = Math.floor(Math.random() * 100000);
    }
    if (setup.dataset === "upload") {
      notes.push("This link was made with an uploaded file: upload it again to use it.");
      setup.dataset = defaults.dataset;
      setup.problem = defaults.problem;
    }
    return { setup, client, notes };
  }

  function safeDecode(text) {
    try {
      return decodeURIComponent(text);
    } catch {
      return text; // a malformed escape: the server names the bad value
    }
  }

  function parseValue(example, text) {
    if (Array.isArray(example)) {
      const items = text === "" ? [] : text.split(",");
      return typeof example[0] === "string" ? items : items.map(Number);
    }
    if (typeof example === "number") return Number(text);
    return text;
  }

  function writeHash() {
    if (!state.network) return;
    const setup = state.network.setup;
    const pairs = Object.entries(setup).map(([key, value]) => `${key}=${
      Array.isArray(value) ? value.map(encodeURIComponent).join(",") : encodeURIComponent(value)}`);
    pairs.push(`show_test=${state.showTest}`, `discretize=${state.discretize}`);
    pairs.push(`hide=${[...state.hidden].join(",")}`);
    history.replaceState(null, "", `#${pairs.join("&")}`);
  }

  // -- network: lay out the features, layers and links -------------------------------------------

  function onNetwork(network) {
    state.network = network;
    state.losses = [];
    state.update = null;
    state.drawnUpdate = null;
    state.point = Math.min(state.point, network.train.length - 1);
    hideExplain();
    closeEditor();
    clearError();
    onSetup(network.setup);
    layoutNetwork();
    buildReadouts();
    drawAxes();
    drawLegend();
    state.pointsLayer = null;
    const upload = network.upload;
    byTestId("upload-status").textContent = upload
      ? `Uploaded ${upload.name}: ${upload.rows.toLocaleString()} rows.` : "";
  }

  function onSetup(setup) {
    if (!state.network) return;
    state.network.setup = setup;
    byTestId("learning-rate").value = String(setup.learning_rate);
    if (byTestId("learning-rate").value !== String(setup.learning_rate)) {
      addOption(byTestId("learning-rate"), String(setup.learning_rate));
    }
    byTestId("regularization-rate").value = String(setup.regularization_rate);
    if (byTestId("regularization-rate").value !== String(setup.regularization_rate)) {
      addOption(byTestId("regularization-rate"), String(setup.regularization_rate));
    }
    const activations = new Set(setup.activations);
    const activation = byTestId("activation");
    activation.value = activations.size === 1 ? setup.activations[0] : "";
    byTestId("optimizer").value = setup.optimizer;
    byTestId("regularization").value = setup.regularization;
    byTestId("problem").value = setup.problem;
    setSlider("train-percent", "train_percent", setup.train_percent, `${setup.train_percent}%`);
    setSlider("noise", "noise", setup.noise, String(setup.noise));
    setSlider("batch-size", "batch_size", setup.batch_size, String(setup.batch_size));
    for (const button of document.querySelectorAll(".dataset")) {
      button.classList.toggle("selected", button.dataset.dataset === setup.dataset);
      button.hidden = button.dataset.problem !== setup.problem;
    }
    const layers = setup.hidden.length;
    byTestId("layer-count").textContent = `${layers} hidden layer${layers === 1 ? "" : "s"}`;
    writeHash();
  }

  function addOption(select, value) {
    const option = document.createElement("option");
    option.value = option.textContent = value;
    select.append(option);
    select.value = value;
  }

  function setSlider(testId, key, value, text) {
    byTestId(testId).value = String(value);
    $(`[data-value="${key}"]`).textContent = text;
  }

  function layoutNetwork() {
    const network = state.network;
    const setup = network.setup;
    const features = state.hello.features.map((f) => f.key);
    const sizes = [features.length, ...setup.hidden, network.sizes[network.sizes.length - 1]];
    const box = $("#network");
    const svg = $("#links");
    const canvas = $("#network-canvas");
    box.querySelectorAll(".node, .layer-head, .bias, .feature-label").forEach((e) => e.remove());
    svg.replaceChildren();
    const available = Math.max(box.parentElement.clientWidth - 8, 420);
    const columnGap = Math.max(96, (available - 130) / Math.max(1, sizes.length - 1));
    const width = Math.max(available, 130 + columnGap * (sizes.length - 1) + 20);
    const height = HEADER + Math.max(...sizes) * (NODE + GAP) + 8;
    box.style.width = `${width}px`;
    box.style.height = `${height}px`;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const columnX = sizes.map((_, i) => 96 + i * columnGap);
    const nodeY = (j) => HEADER + j * (NODE + GAP);

    // Nodes: column 0 every feature, then the hidden layers, then the output.
    state.nodes = sizes.map(() => []);
    features.forEach((key, j) => {
      const active = setup.features.includes(key);
      const node = makeNode(columnX[0], nodeY(j), `feature-${key}`, active ? "feature" : "feature off");
      node.title = active ? "Click to stop using this feature" : "Click to use this feature";
      node.addEventListener("click", () => toggleFeature(key));
      const label = document.createElement("span");
      label.className = "feature-label";
      label.textContent = network.feature_labels[key];
      label.style.left = `${columnX[0] - 8}px`;
      label.style.top = `${nodeY(j) + NODE / 2}px`;
      box.append(label);
      state.nodes[0].push(node);
    });
    for (let layer = 1; layer < sizes.length; layer += 1) {
      const output = layer === sizes.length - 1;
      for (let unit = 0; unit < sizes[layer]; unit += 1) {
        const node = makeNode(columnX[layer], nodeY(unit), `neuron-${layer - 1}-${unit}`,
          output ? "neuron output" : "neuron");
        node.title = "Click to trace a training point through this neuron";
        node.addEventListener("click", () => explainNeuron(layer - 1, unit));
        const bias = document.createElement("div");
        bias.className = "bias";
        bias.dataset.testid = `bias-${layer - 1}-${unit}`;
        bias.title = "Bias: click to set it";
        bias.style.left = `${columnX[layer] - 9}px`;
        bias.style.top = `${nodeY(unit) + NODE - 7}px`;
        node.biasBox = [columnX[layer] - 8, nodeY(unit) + NODE - 6, 7, 7];
        bias.addEventListener("click", (event) => {
          event.stopPropagation();
          openEditor(event, { layer: layer - 1, name: "b", index: [unit] });
        });
        box.append(bias);
        state.nodes[layer].push(node);
      }
      if (!output) box.append(layerHead(layer - 1, columnX[layer]));
    }

    // Links, from each input of a dense layer to each of its units: drawn on one canvas each
    // update, with a still, transparent SVG path over each to take clicks.
    state.links = [];
    const inputRows = setup.features.map((key) => features.indexOf(key));
    for (let layer = 1; layer < sizes.length; layer += 1) {
      const sources = layer === 1 ? inputRows : [...Array(sizes[layer - 1]).keys()];
      const links = [];
      for (let unit = 0; unit < sizes[layer]; unit += 1) {
        const row = [];
        sources.forEach((source, input) => {
          const x1 = columnX[layer - 1] + NODE;
          const y1 = nodeY(source) + NODE / 2;
          const x2 = columnX[layer];
          const y2 = nodeY(unit) + NODE / 2 + ((input - (sources.length - 1) / 2) / sources.length) * 10;
          const middle = (x1 + x2) / 2;
          const d = `M${x1},${y1} C${middle},${y1} ${middle},${y2} ${x2},${y2}`;
          const hit = svgElement("path", { d, class: "link-hit" });
          hit.dataset.testid = `link-${layer - 1}-${unit}-${input}`;
          hit.addEventListener("click", (event) =>
            openEditor(event, { layer: layer - 1, name: "W", index: [unit, input] }));
          svg.append(hit);
          row.push([x1, y1, middle, x2, y2]);
        });
        links.push(row);
      }
      state.links.push(links);
    }
    state.inputMaps = mapAtlas(decode(network.input_maps), features.length,
      network.neuron_map_size);
  }

  // A node is a bordered box that takes clicks; its heat map is drawn on the network's canvas
  // at the same place, with every other map and the links, in one paint per update.
  function makeNode(x, y, testId, className) {
    const node = document.createElement("div");
    node.className = `node ${className}`;
    node.dataset.testid = testId;
    node.style.left = `${x}px`;
    node.style.top = `${y}px`;
    node.box = [x + 1, y + 1, NODE - 2, NODE - 2];
    $("#network").append(node);
    return node;
  }

  function layerHead(layer, x) {
    const setup = state.network.setup;
    const limits = state.hello.limits;
    const head = document.createElement("div");
    head.className = "layer-head";
    head.style.left = `${x + NODE / 2}px`;
    const buttons = document.createElement("div");
    buttons.className = "neuron-buttons";
    const more = roundButton("+", `add-neuron-${layer}`, "Add a neuron", () => {
      if (setup.hidden[layer] >= limits.max_neurons) {
        showError(`at most ${limits.max_neurons} neurons per layer (max_neurons)`);
        return;
      }
      changeLayer(layer, setup.hidden[layer] + 1);
    });
    const fewer = roundButton("\u2212", `remove-neuron-${layer}`, "Remove a neuron", () => {
      if (setup.hidden[layer] > 1) changeLayer(layer, setup.hidden[layer] - 1);
    });
    buttons.append(more, fewer);
    const count = document.createElement("span");
    count.className = "neuron-count";
    count.textContent = `${setup.hidden[layer]} neuron${setup.hidden[layer] === 1 ? "" : "s"}`;
    const activation = document.createElement("select");
    activation.dataset.testid = `activation-${layer}`;
    activation.title = "This layer's activation";
    fillSelect(activation, state.hello.activations.map((a) => [a, ACTIVATION_TITLES[a] || a]));
    activation.value = setup.activations[layer];
    activation.addEventListener("change", () => {
      const activations = [...setup.activations];
      activations[layer] = activation.value;
      sendSetup({ activations });
    });
    const dropout = document.createElement("select");
    dropout.dataset.testid = `dropout-${layer}`;
    dropout.title = "Dropout after this layer";
    fillSelect(dropout, DROPOUT_RATES.map((r) => [String(r), r ? `dropout ${r}` : "no dropout"]));
    dropout.value = String(setup.dropout[layer]);
    dropout.addEventListener("change", () => {
      const rates = [...setup.dropout];
      rates[layer] = Number(dropout.value);
      sendSetup({ dropout: rates });
    });
    head.append(buttons, count, activation, dropout);
    return head;
  }

  function roundButton(text, testId, title, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "round tiny";
    button.textContent = text;
    button.title = title;
    button.dataset.testid = testId;
    button.addEventListener("click", onClick);
    return button;
  }

  function changeLayer(layer, size) {
    const hidden = [...state.network.setup.hidden];
    hidden[layer] = size;
    sendSetup({ hidden });
  }

  function toggleFeature(key) {
    const setup = state.network.setup;
    const order = state.hello.features.map((f) => f.key);
    const chosen = setup.features.includes(key)
      ? setup.features.filter((k) => k !== key)
      : order.filter((k) => k === key || setup.features.includes(k));
    sendSetup({ features: chosen });
  }

  function svgElement(name, attributes) {
    const element = document.createElementNS("http://www.w3.org/2000/svg", name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  // -- update: draw the heat maps, links, losses and metrics -------------------------------------

  function onUpdate(update) {
    state.update = update;
    requestAnimationFrame(drawUpdate);
  }

  function drawUpdate() {
    const update = state.update;
    if (!update || update === state.drawnUpdate || !state.network) return;
    state.drawnUpdate = update;
    byTestId("epoch").textContent = epochText(update.epoch);
    byTestId("train-loss").textContent = lossText(update.train_loss);
    byTestId("test-loss").textContent = lossText(update.test_loss);
    if (update.train_loss !== null && update.test_loss !== null) {
      const last = state.losses[state.losses.length - 1];
      if (!last || last.epoch !== update.epoch) {
        state.losses.push({ epoch: update.epoch, train: update.train_loss, test: update.test_loss });
      } else {
        state.losses[state.losses.length - 1] = {
          epoch: update.epoch, train: update.train_loss, test: update.test_loss,
        };
      }
    }
    drawLossChart();
    drawBoundary();
    paintNetwork(update);
    showMetrics(update);
    showGradients(update);
    state.frames += 1;
    document.body.dataset.frames = String(state.frames);
    send({ type: "ack" });
  }

  function epochText(epoch) {
    return String(epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function lossText(value) {
    return value === null ? "\u2013" : value.toFixed(3);
  }

  function decode(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  const scratch = {};
  function paintMap(canvas, bytes, offset, size, colourOf) {
    let entry = scratch[size];
    if (!entry) {
      const off = document.createElement("canvas");
      off.width = off.height = size;
      const context = off.getContext("2d");
      entry = scratch[size] = { off, context, image: context.createImageData(size, size) };
    }
    const pixels = entry.image.data;
    for (let i = 0; i < size * size; i += 1) {
      const [r, g, b] = colourOf(bytes[offset + i], i);
      pixels[4 * i] = r;
      pixels[4 * i + 1] = g;
      pixels[4 * i + 2] = b;
      pixels[4 * i + 3] = 255;
    }
    entry.context.putImageData(entry.image, 0, 0);
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = true;
    context.drawImage(entry.off, 0, 0, canvas.width, canvas.height);
  }

  // Heat maps of size x size, one after another in ``bytes``, as one canvas of ``count`` rows:
  // one putImageData for them all.
  function mapAtlas(bytes, count, size) {
    const atlas = document.createElement("canvas");
    atlas.width = size;
    atlas.height = size * count;
    const context = atlas.getContext("2d");
    const image = context.createImageData(size, size * count);
    const pixels = image.data;
    for (let i = 0; i < size * size * count; i += 1) {
      const [r, g, b] = lut[bytes[i]];
      pixels[4 * i] = r;
      pixels[4 * i + 1] = g;
      pixels[4 * i + 2] = b;
      pixels[4 * i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    return atlas;
  }

  function paintNetwork(update) {
    const canvas = $("#network-canvas");
    const context = canvas.getContext("2d");
    const ratio = canvas.width / parseFloat(canvas.style.width);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.lineCap = "round";
    context.globalAlpha = 0.85;
    state.links.forEach((links, layer) => {
      const weights = update.weights[layer];
      links.forEach((row, unit) => {
        row.forEach(([x1, y1, middle, x2, y2], input) => {
          const w = weights[unit][input];
          context.lineWidth = 1 + (Math.min(Math.abs(w), 5) / 5) * 9;
          context.strokeStyle = rgb(lut[toByte(w)]);
          context.beginPath();
          context.moveTo(x1, y1);
          context.bezierCurveTo(middle, y1, middle, y2, x2, y2);
          context.stroke();
        });
      });
    });
    context.globalAlpha = 1;
    context.imageSmoothingEnabled = true;
    const size = state.network.neuron_map_size;
    const draw = (atlas, index, [x, y, width, height]) =>
      context.drawImage(atlas, 0, index * size, size, size, x, y, width, height);
    state.nodes[0].forEach((node, j) => draw(state.inputMaps, j, node.box));
    const neurons = mapAtlas(decode(update.neuron_maps),
      state.nodes.slice(1).reduce((total, column) => total + column.length, 0), size);
    let index = 0;
    for (const column of state.nodes.slice(1)) {
      for (const node of column) draw(neurons, index++, node.box);
    }
    state.nodes.slice(1).forEach((column, layer) => {
      column.forEach((node, unit) => {
        context.fillStyle = rgb(lut[toByte(update.biases[layer][unit])]);
        context.fillRect(...node.biasBox);
      });
    });
  }

  function drawBoundary() {
    const network = state.network;
    const update = state.update;
    const canvas = byTestId("boundary");
    const size = network.map_size;
    const values = decode(update.output_map);
    const classes = network.classes;
    let colourOf;
    if (update.class_map) {
      const winners = decode(update.class_map);
      const floor = 1 / classes.length; // a softmax is never less sure than this
      colourOf = (v, i) => {
        const colour = CLASS_COLOURS[winners[i] % CLASS_COLOURS.length];
        if (state.discretize) return soften(colour);
        const sure = Math.max(0, (v / 255 - floor) / (1 - floor));
        return soften(mix(GREY, colour, sure));
      };
    } else if (state.discretize) {
      colourOf = (v) => softLut[v >= 128 ? 255 : 0];
    } else {
      colourOf = (v) => softLut[v];
    }
    paintMap(canvas, values, 0, size, colourOf);
    const context = canvas.getContext("2d");
    if (!state.pointsLayer) state.pointsLayer = drawPoints(canvas.width, canvas.height);
    context.drawImage(state.pointsLayer, 0, 0);
    if (state.selected) {
      const [x, y] = toCanvas(network.train[state.point], canvas);
      context.strokeStyle = "#111";
      context.lineWidth = 2;
      context.beginPath();
      context.arc(x, y, 7, 0, 2 * Math.PI);
      context.stroke();
    }
  }

  function drawPoints(width, height) {
    const layer = document.createElement("canvas");
    layer.width = width;
    layer.height = height;
    const context = layer.getContext("2d");
    const network = state.network;
    const groups = [[network.train, "#fff"]];
    if (state.showTest) groups.push([network.test, "#000"]);
    const radius = network.train.length > 2000 ? 2 : 3.5;
    for (const [points, edge] of groups) {
      context.strokeStyle = edge;
      context.lineWidth = 1;
      for (const point of points) {
        const [x, y] = toCanvas(point, layer);
        context.fillStyle = rgb(pointColour(point[2]));
        context.beginPath();
        context.arc(x, y, radius, 0, 2 * Math.PI);
        context.fill();
        context.stroke();
      }
    }
    return layer;
  }

  function pointColour(target) {
    const network = state.network;
    if (network.classes) {
      if (network.classes.length === 2) return target === 1 ? BLUE : ORANGE;
      return CLASS_COLOURS[target % CLASS_COLOURS.length];
    }
    return lut[toByte(target / network.value_range)];
  }

  function toCanvas(point, canvas) {
    const [[x1Low, x1High], [x2Low, x2High]] = state.network.domain;
    return [
      ((point[0] - x1Low) / (x1High - x1Low)) * canvas.width,
      ((x2High - point[1]) / (x2High - x2Low)) * canvas.height,
    ];
  }

  function fromCanvas(x, y, canvas) {
    const [[x1Low, x1High], [x2Low, x2High]] = state.network.domain;
    return [x1Low + (x / canvas.width) * (x1High - x1Low), x2High - (y / canvas.height) * (x2High - x2Low)];
  }

  function drawAxes() {
    const network = state.network;
    const [[x1Low, x1High], [x2Low, x2High]] = network.domain;
    const format = (v) => String(Number(v.toPrecision(3)));
    $('[data-axis="x-low"]').textContent = format(x1Low);
    $('[data-axis="x-high"]').textContent = format(x1High);
    $('[data-axis="x-name"]').textContent = network.column_names[0];
    $('[data-axis="y-low"]').textContent = format(x2Low);
    $('[data-axis="y-high"]').textContent = format(x2High);
    $('[data-axis="y-name"]').textContent = network.column_names[1];
  }

  function drawLegend() {
    const network = state.network;
    const legend = byTestId("legend");
    legend.replaceChildren();
    const entries = [];
    if (network.classes && network.classes.length > 2) {
      network.classes.forEach((name, k) => entries.push([CLASS_COLOURS[k % 10], name]));
    } else if (network.classes) {
      entries.push([ORANGE, network.classes[0]], [BLUE, network.classes[1]]);
    } else {
      const r = Number(network.value_range.toPrecision(3));
      entries.push([ORANGE, `${network.target_name} \u2264 \u2212${r}`], [GREY, "0"],
        [BLUE, `\u2265 ${r}`]);
    }
    for (const [colour, name] of entries) {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = rgb(colour);
      item.append(swatch, ` ${name}`);
      legend.append(item);
    }
  }

  function drawLossChart() {
    const canvas = byTestId("loss-chart");
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, canvas.width, canvas.height);
    const losses = state.losses;
    if (losses.length < 2) return;
    const top = Math.max(...losses.map((l) => Math.max(l.train, l.test))) * 1.05 || 1;
    const x = (i) => (i / (losses.length - 1)) * (canvas.width - 2) + 1;
    const y = (v) => canvas.height - 2 - (v / top) * (canvas.height - 4);
    for (const [key, colour, width] of [["train", "#999", 1.5], ["test", "#111", 1.5]]) {
      context.strokeStyle = colour;
      context.lineWidth = width;
      context.beginPath();
      const step = Math.max(1, Math.floor(losses.length / canvas.width));
      for (let i = 0; i < losses.length; i += step) {
        if (i === 0) context.moveTo(x(i), y(losses[i][key]));
        else context.lineTo(x(i), y(losses[i][key]));
      }
      context.lineTo(x(losses.length - 1), y(losses[losses.length - 1][key]));
      context.stroke();
    }
  }

  // The read-outs below the map are built once per network; updates only change their text.
  function buildReadouts() {
    const network = state.network;
    const metrics = byTestId("metrics");
    metrics.replaceChildren();
    const line = document.createElement("p");
    const bold = (testId) => {
      const b = document.createElement("b");
      if (testId) b.dataset.testid = testId;
      return b;
    };
    state.readouts = [];
    const phrase = (label, testId) => {
      const test = bold(testId);
      const training = bold();
      line.append(`${label}: test `, test, ", training ", training);
      state.readouts.push(test, training);
    };
    if (network.classes) {
      phrase("Accuracy", "accuracy");
      metrics.append(line);
      state.confusion = confusionTable(network.classes);
      metrics.append(state.confusion);
    } else {
      phrase("Mean absolute error", "mae");
      line.append(document.createElement("br"));
      phrase("R\u00B2", "r2");
      metrics.append(line);
      state.confusion = null;
    }
    const norms = byTestId("grad-norms");
    norms.replaceChildren();
    const count = network.sizes.length - 1;
    state.gradientRows = [];
    for (let layer = 0; layer < count; layer += 1) {
      const row = document.createElement("div");
      row.className = "grad-row";
      const name = document.createElement("span");
      name.textContent = layer === count - 1 ? "output" : `layer ${layer + 1}`;
      const bar = document.createElement("span");
      bar.className = "grad-bar";
      const fill = document.createElement("i");
      bar.append(fill);
      const value = document.createElement("span");
      value.className = "grad-value";
      row.append(name, bar, value);
      norms.append(row);
      state.gradientRows.push([fill, value]);
    }
  }

  function showMetrics(update) {
    const m = update.metrics;
    const show = (v, format) => (v === null || v === undefined ? "\u2013" : format(v));
    const percent = (v) => `${(100 * v).toFixed(1)}%`;
    const number = (v) => v.toFixed(3);
    const values = state.network.classes
      ? [show(m.val_accuracy, percent), show(m.accuracy, percent)]
      : [show(m.val_mae, number), show(m.mae, number), show(m.val_r2, number), show(m.r2, number)];
    values.forEach((text, i) => { state.readouts[i].textContent = text; });
    if (state.confusion && update.confusion) {
      update.confusion.forEach((row, i) => {
        row.forEach((count, j) => {
          const cell = state.confusion.rows[i + 1].cells[j + 1];
          cell.textContent = String(count);
          if (i !== j) cell.className = count > 0 ? "miss" : "";
        });
      });
    }
  }

  function confusionTable(classes) {
    const table = document.createElement("table");
    table.className = "confusion";
    table.dataset.testid = "confusion";
    const caption = document.createElement("caption");
    caption.textContent = "Test points: true class (rows) by predicted class (columns)";
    table.append(caption);
    const head = table.insertRow();
    head.insertCell().textContent = "";
    classes.forEach((name) => { head.insertCell().textContent = name; });
    classes.forEach((name, i) => {
      const line = table.insertRow();
      line.insertCell().textContent = name;
      classes.forEach((_, j) => {
        line.insertCell().className = i === j ? "diagonal" : "";
      });
    });
    return table;
  }

  function showGradients(update) {
    update.grad_norms.forEach((norm, layer) => {
      const [fill, value] = state.gradientRows[layer];
      // A log scale from 1e-6 to 10: each tenfold is the same length.
      const fraction = norm ? Math.min(1, Math.max(0, (Math.log10(norm) + 6) / 7)) : 0;
      fill.style.width = `${(100 * fraction).toFixed(1)}%`;
      value.textContent = norm === null ? "\u2013" : norm.toExponential(1);
    });
  }

  // -- explain: one training point through one neuron --------------------------------------------

  function explainNeuron(layer, unit) {
    state.selected = { layer, unit };
    send({ type: "explain", layer, unit, point: state.point });
  }

  function onExplain(message) {
    const panel = byTestId("explain");
    const network = state.network;
    const count = network.sizes.length - 1;
    const where = message.layer === count - 1 ? "the output layer" : `hidden layer ${message.layer + 1}`;
    const [x1, x2] = message.xy;
    const target = typeof message.target === "number" ? message.target.toPrecision(4) : message.target;
    $(".explain-title", panel).textContent =
      `Neuron ${message.unit + 1} of ${where}, training point #${message.point} ` +
      `(${network.column_names[0]} = ${x1.toPrecision(3)}, ${network.column_names[1]} = ` +
      `${x2.toPrecision(3)}; ${network.target_name} = ${target}), loss ${message.loss.toPrecision(4)}`;
    const table = $(".unit-values", panel);
    table.replaceChildren();
    const rows = [
      ["z", "weighted input"], ["a", "activation"], ["delta", "residual \u03B4 = dJ/dz"],
      ["db", "dJ/db"], ["dW", "dJ/dW, one per input"],
    ];
    for (const [key, text] of rows) {
      const row = table.insertRow();
      row.insertCell().textContent = `${message.symbols[key]}[${message.unit + 1}]`;
      row.insertCell().textContent = text;
      const value = message.unit_values[key];
      row.insertCell().textContent = Array.isArray(value)
        ? value.map((v) => v.toPrecision(4)).join(", ") : value.toPrecision(4);
    }
    const trace = $(".trace", panel);
    trace.replaceChildren();
    const symbols = Object.values(message.symbols);
    for (const line of message.text.split("\n")) {
      const span = document.createElement("span");
      span.textContent = `${line}\n`;
      const symbol = line.trim().split(" = ")[0];
      if (symbols.includes(symbol)) span.className = "highlight";
      trace.append(span);
    }
    panel.hidden = false;
    drawBoundary();
  }

  function hideExplain() {
    state.selected = null;
    byTestId("explain").hidden = true;
  }

  // -- the weight and bias editor ----------------------------------------------------------------

  function openEditor(event, target) {
    const update = state.update;
    if (!update) return;
    const value = target.name === "W"
      ? update.weights[target.layer][target.index[0]][target.index[1]]
      : update.biases[target.layer][target.index[0]];
    state.editing = target;
    const editor = byTestId("param-editor");
    $(".popover-title", editor).textContent = target.name === "W"
      ? `Weight into neuron ${target.index[0] + 1} from input ${target.index[1] + 1}`
      : `Bias of neuron ${target.index[0] + 1}`;
    const input = byTestId("param-value");
    input.value = String(value);
    editor.style.left = `${Math.min(event.pageX + 12, document.body.scrollWidth - 260)}px`;
    editor.style.top = `${event.pageY + 12}px`;
    editor.hidden = false;
    input.focus();
    input.select();
  }

  function closeEditor() {
    state.editing = null;
    byTestId("param-editor").hidden = true;
  }

  function commitEditor() {
    const target = state.editing;
    const value = Number(byTestId("param-value").value);
    if (!target) return;
    if (!Number.isFinite(value)) {
      showError("a weight or bias must be a finite number");
      return;
    }
    send({ type: "set_param", layer: target.layer, name: target.name, index: target.index, value });
    closeEditor();
  }

  // -- errors and play state ---------------------------------------------------------------------

  function showError(text) {
    const box = byTestId("error");
    $(".error-text", box).textContent = text;
    box.hidden = false;
  }

  function clearError() {
    byTestId("error").hidden = true;
  }

  function setPlaying(playing) {
    state.playing = playing;
    const button = byTestId("play");
    button.setAttribute("aria-pressed", String(playing));
    button.classList.toggle("playing", playing);
  }

  // -- colours -----------------------------------------------------------------------------------

  function colourTable(negative, middle, positive) {
    const table = [];
    for (let v = 0; v < 256; v += 1) {
      const t = v / 127.5 - 1;
      table.push(t < 0 ? mix(middle, negative, -t) : mix(middle, positive, t));
    }
    return table;
  }

  function soften(colour) {
    return mix([255, 255, 255], colour, MAP_STRENGTH);
  }

  function mix(from, to, amount) {
    return from.map((c, i) => Math.round(c + (to[i] - c) * amount));
  }

  function toByte(value) {
    return Math.round((Math.max(-1, Math.min(1, value)) + 1) * 127.5);
  }

  function rgb([r, g, b]) {
    return `rgb(${r},${g},${b})`;
  }

  // -- wiring ------------------------------------------------------------------------------------

  function wire() {
    byTestId("play").addEventListener("click", () => send({ type: state.playing ? "pause" : "play" }));
    byTestId("step").addEventListener("click", () => send({ type: "step" }));
    byTestId("reset").addEventListener("click", () => send({ type: "reset" }));
    byTestId("learning-rate").addEventListener("change", (e) =>
      sendSetup({ learning_rate: Number(e.target.value) }));
    byTestId("regularization-rate").addEventListener("change", (e) =>
      sendSetup({ regularization_rate: Number(e.target.value) }));
    byTestId("activation").addEventListener("change", (e) => {
      if (!e.target.value) return;
      sendSetup({ activations: state.network.setup.hidden.map(() => e.target.value) });
    });
    byTestId("optimizer").addEventListener("change", (e) => sendSetup({ optimizer: e.target.value }));
    byTestId("regularization").addEventListener("change", (e) =>
      sendSetup({ regularization: e.target.value }));
    byTestId("problem").addEventListener("change", (e) => {
      const problem = e.target.value;
      const first = Object.keys(state.hello.datasets)
        .find((name) => state.hello.datasets[name] === problem);
      sendSetup({ problem, dataset: first });
    });
    for (const [testId, key, format] of [
      ["train-percent", "train_percent", (v) => `${v}%`],
      ["noise", "noise", String],
      ["batch-size", "batch_size", String],
    ]) {
      const slider = byTestId(testId);
      slider.addEventListener("input", () => {
        $(`[data-value="${key}"]`).textContent = format(slider.value);
      });
      slider.addEventListener("change", () => sendSetup({ [key]: Number(slider.value) }));
    }
    byTestId("regenerate").addEventListener("click", () =>
      sendSetup({ seed: Math.floor(Math.random() * 100000) }));
    byTestId("add-layer").addEventListener("click", () => {
      const setup = state.network.setup;
      if (setup.hidden.length >= state.hello.limits.max_hidden_layers) {
        showError(`at most ${state.hello.limits.max_hidden_layers} hidden layers (max_hidden_layers)`);
        return;
      }
      const last = setup.activations[setup.activations.length - 1] || "tanh";
      sendSetup({
        hidden: [...setup.hidden, 2],
        activations: [...setup.activations, last],
        dropout: [...setup.dropout, 0],
      });
    });
    byTestId("remove-layer").addEventListener("click", () => {
      const setup = state.network.setup;
      if (!setup.hidden.length) return;
      sendSetup({
        hidden: setup.hidden.slice(0, -1),
        activations: setup.activations.slice(0, -1),
        dropout: setup.dropout.slice(0, -1),
      });
    });
    byTestId("show-test").addEventListener("change", (e) => {
      state.showTest = e.target.checked;
      state.pointsLayer = null;
      if (state.update) drawBoundary();
      writeHash();
    });
    byTestId("discretize").addEventListener("change", (e) => {
      state.discretize = e.target.checked;
      if (state.update) drawBoundary();
      writeHash();
    });
    byTestId("upload").addEventListener("change", async (e) => {
      const file = e.target.files[0];
      e.target.value = "";
      if (!file) return;
      const limit = state.hello.limits.max_upload_bytes;
      if (file.size > limit) {
        showError(`${file.name}: the file has ${file.size.toLocaleString()} bytes; the playground ` +
          `takes at most ${limit.toLocaleString()}`);
        return;
      }
      const message = JSON.stringify({ type: "upload", name: file.name, text: await file.text() });
      const socketLimit = 2 * limit + state.hello.limits.max_message_bytes;
      if (message.length > socketLimit) {
        showError(`${file.name}: the file is too large to send (at most ${limit.toLocaleString()} bytes)`);
        return;
      }
      byTestId("upload-status").textContent = `Reading ${file.name}\u2026`;
      state.socket.send(message);
    });
    byTestId("boundary").addEventListener("click", (event) => {
      if (!state.network) return;
      const canvas = event.currentTarget;
      const box = canvas.getBoundingClientRect();
      const [x1, x2] = fromCanvas((event.clientX - box.left) * (canvas.width / box.width),
        (event.clientY - box.top) * (canvas.height / box.height), canvas);
      let best = 0;
      let bestDistance = Infinity;
      state.network.train.forEach((p, i) => {
        const distance = (p[0] - x1) ** 2 + (p[1] - x2) ** 2;
        if (distance < bestDistance) { best = i; bestDistance = distance; }
      });
      state.point = best;
      if (state.selected) explainNeuron(state.selected.layer, state.selected.unit);
    });
    $(".dismiss", byTestId("error")).addEventListener("click", clearError);
    $(".dismiss", byTestId("explain")).addEventListener("click", () => {
      hideExplain();
      if (state.update) drawBoundary();
    });
    const input = byTestId("param-value");
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") commitEditor();
      if (event.key === "Escape") closeEditor();
    });
    document.addEventListener("click", (event) => {
      const editor = byTestId("param-editor");
      if (!editor.hidden && !editor.contains(event.target) &&
          !event.target.closest(".link-hit, .bias")) closeEditor();
    });
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (!state.network) return;
        layoutNetwork();
        state.drawnUpdate = null;
        drawUpdate();
      }, 150);
    });
  }

  wire();
  connect();
})();
